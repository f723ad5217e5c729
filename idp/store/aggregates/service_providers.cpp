// Service providers: registered SP metadata and per-SP policy.
#include "idp/store/sql_store.h"

namespace propusk::store {

namespace {

constexpr char kSpColumns[] =
    "entity_id, metadata_xml, release, min_status, allow_sha1, sign_mode, "
    "metadata_signature_verified, valid_until, source, created_at, updated_at, upstreams, local_login, require_mfa, "
    "allow_ip";

ServiceProvider spFrom(const sql::Row& r) {
  ServiceProvider sp;
  sp.entityId = r.text(0);
  sp.metadataXml = r.text(1);
  sp.release = r.stringList(2);
  sp.minStatus = r.status(3);
  sp.allowSha1 = r.flag(4);
  sp.signMode = r.signMode(5);
  sp.metadataSignatureVerified = r.flag(6);
  sp.validUntil = r.optTime(7);
  sp.source = r.text(8);
  sp.createdAt = r.time(9);
  sp.updatedAt = r.time(10);
  sp.upstreams = r.stringList(11);
  sp.localLogin = r.flag(12);
  sp.requireMfa = r.flag(13);
  sp.allowIp = r.stringList(14);
  return sp;
}

}  // namespace

void SqlStore::putServiceProvider(const ServiceProvider& sp, const AuditRecord& audit) {
  const std::int64_t t = sql::unixSeconds(clock_.now());
  const std::string release = sql::stringListJson(sp.release);
  const std::string upstreams = sql::stringListJson(sp.upstreams);
  const std::string allowIp = sql::stringListJson(sp.allowIp);
  write("put service provider", [&](sql::WriteTx& tx) {
    // created_at survives re-registration; everything else is replaced.
    auto q = tx.db.prepare(
        "INSERT INTO service_providers (entity_id, metadata_xml, release, min_status, allow_sha1, sign_mode, "
        "metadata_signature_verified, valid_until, source, created_at, updated_at, upstreams, local_login, require_mfa, "
        "allow_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (entity_id) DO UPDATE SET metadata_xml = excluded.metadata_xml, release = excluded.release, "
        "min_status = excluded.min_status, allow_sha1 = excluded.allow_sha1, sign_mode = excluded.sign_mode, "
        "metadata_signature_verified = excluded.metadata_signature_verified, valid_until = excluded.valid_until, "
        "source = excluded.source, updated_at = excluded.updated_at, upstreams = excluded.upstreams, "
        "local_login = excluded.local_login, require_mfa = excluded.require_mfa, allow_ip = excluded.allow_ip");
    q.bind(sp.entityId).bind(sp.metadataXml).bind(release).bind(policy::accountStatusName(sp.minStatus))
        .bind(int(sp.allowSha1)).bind(signModeName(sp.signMode)).bind(int(sp.metadataSignatureVerified))
        .bind(sql::unixSeconds(sp.validUntil)).bind(sp.source).bind(t).bind(t).bind(upstreams)
        .bind(int(sp.localLogin)).bind(int(sp.requireMfa)).bind(allowIp).run();
    appendIn(tx, audit);
  });
}

std::optional<ServiceProvider> SqlStore::findServiceProvider(std::string_view entityId) {
  static const std::string sql = "SELECT " + std::string(kSpColumns) + " FROM service_providers WHERE entity_id = ?";
  return read("find service provider", [&](sql::Connection& db) -> std::optional<ServiceProvider> {
    auto q = db.prepare(sql);
    q.bind(entityId);
    if (!q.step()) return std::nullopt;
    return spFrom(row(q));
  });
}

std::vector<ServiceProvider> SqlStore::listServiceProviders() {
  static const std::string sql = "SELECT " + std::string(kSpColumns) + " FROM service_providers ORDER BY entity_id";
  return read("list service providers", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    std::vector<ServiceProvider> out;
    while (q.step()) out.push_back(spFrom(row(q)));
    return out;
  });
}

bool SqlStore::removeServiceProvider(std::string_view entityId, const AuditRecord& audit) {
  return write("remove service provider", [&](sql::WriteTx& tx) {
    auto q = tx.db.prepare("DELETE FROM service_providers WHERE entity_id = ?");
    q.bind(entityId).run();
    if (q.changes() == 0) return false;
    appendIn(tx, audit);
    return true;
  });
}

}  // namespace propusk::store
