// Signing keys and their states (next -> active -> previous -> retired).
#include <algorithm>

#include "idp/store/sql_store.h"

namespace propusk::store {

namespace {

constexpr char kKeyColumns[] =
    "id, algorithm, private_key_pem, certificate_pem, state, created_at, activated_at, retired_at";

SigningKey keyFrom(const sql::Row& r) {
  SigningKey k;
  k.id = r.text(0);
  k.algorithm = r.text(1);
  k.privateKeyPem = r.text(2);
  k.certificatePem = r.text(3);
  k.state = r.keyState(4);
  k.createdAt = r.time(5);
  k.activatedAt = r.optTime(6);
  k.retiredAt = r.optTime(7);
  return k;
}

}  // namespace

void SqlStore::addKey(const SigningKey& key, const AuditRecord& audit) {
  const std::int64_t created = sql::unixSeconds(clock_.now());
  write("add signing key", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare(
        "INSERT INTO signing_keys (id, algorithm, private_key_pem, certificate_pem, state, created_at, activated_at, "
        "retired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(key.id).bind(key.algorithm).bind(key.privateKeyPem).bind(key.certificatePem).bind(keyStateName(key.state))
        .bind(created).bind(sql::unixSeconds(key.activatedAt)).bind(sql::unixSeconds(key.retiredAt)).run();
    appendIn(tx, audit);
  });
}

void SqlStore::updateKeys(const std::vector<SigningKey>& keys, const AuditRecord& audit) {
  write("update signing keys", [&](sql::WriteTx& tx) {
    // At most one key may be active (unique index): demote before promoting.
    std::vector<const SigningKey*> order;
    for (const auto& k : keys) order.push_back(&k);
    std::stable_partition(order.begin(), order.end(), [](const SigningKey* k) { return k->state != KeyState::Active; });
    for (const SigningKey* k : order) {
      auto q = tx.db.prepare("UPDATE signing_keys SET state = ?, activated_at = ?, retired_at = ? WHERE id = ?");
      q.bind(keyStateName(k->state)).bind(sql::unixSeconds(k->activatedAt)).bind(sql::unixSeconds(k->retiredAt))
          .bind(k->id).run();
      if (q.changes() == 0)
        throw StoreError("store " + std::string(tx.label) + ": update signing keys: no key with id " + k->id);
    }
    appendIn(tx, audit);
  });
}

std::vector<SigningKey> SqlStore::listKeys() {
  static const std::string sql = "SELECT " + std::string(kKeyColumns) + " FROM signing_keys ORDER BY created_at, id";
  return read("list signing keys", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    std::vector<SigningKey> out;
    while (q.step()) out.push_back(keyFrom(row(q)));
    return out;
  });
}

}  // namespace propusk::store
