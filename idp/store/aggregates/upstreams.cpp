// Upstream identity providers (gateway) and the accounts linked to their subjects.
#include "idp/store/sql_store.h"

namespace propusk::store {

namespace {

constexpr char kUpstreamColumns[] =
    "name, entity_id, metadata_xml, map_text, display_name, level, link_by, allow_sha1, "
    "metadata_signature_verified, valid_until, source, created_at, updated_at";

Upstream upstreamFrom(const sql::Row& r) {
  Upstream u;
  u.name = r.text(0);
  u.entityId = r.text(1);
  u.metadataXml = r.text(2);
  u.mapText = r.text(3);
  u.displayName = r.text(4);
  u.level = r.status(5);
  u.linkBy = r.linkKey(6);
  u.allowSha1 = r.flag(7);
  u.metadataSignatureVerified = r.flag(8);
  u.validUntil = r.optTime(9);
  u.source = r.text(10);
  u.createdAt = r.time(11);
  u.updatedAt = r.time(12);
  return u;
}

// The login comes from users (a link follows its account through a rename).
constexpr char kLinkSelect[] =
    "SELECT l.upstream, l.subject, l.user_id, u.login, l.linked_at FROM account_links l "
    "JOIN users u ON u.id = l.user_id ";

AccountLink linkFrom(const sql::Row& r) {
  AccountLink l;
  l.upstream = r.text(0);
  l.subject = r.text(1);
  l.userId = r.integer(2);
  l.login = r.text(3);
  l.linkedAt = r.time(4);
  return l;
}

}  // namespace

bool SqlStore::putUpstream(const Upstream& up, const AuditRecord& audit) {
  const std::int64_t t = sql::unixSeconds(clock_.now());
  return write("put upstream", [&](sql::WriteTx& tx) {
    {
      // Under the write lock, so no other writer can take the entityID between this and the
      // insert: one entityID, one upstream (its Responses must map to exactly one policy).
      auto q = tx.db.prepare("SELECT COUNT(*) FROM upstreams WHERE entity_id = ? AND name <> ?");
      q.bind(up.entityId).bind(up.name);
      if (q.step() && row(q).integer(0) > 0) return false;
    }
    // created_at survives replacement; everything else is replaced.
    tx.db
        .prepare(
            "INSERT INTO upstreams (name, entity_id, metadata_xml, map_text, display_name, level, link_by, "
            "allow_sha1, metadata_signature_verified, valid_until, source, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET entity_id = excluded.entity_id, metadata_xml = excluded.metadata_xml, "
            "map_text = excluded.map_text, display_name = excluded.display_name, level = excluded.level, "
            "link_by = excluded.link_by, allow_sha1 = excluded.allow_sha1, "
            "metadata_signature_verified = excluded.metadata_signature_verified, valid_until = excluded.valid_until, "
            "source = excluded.source, updated_at = excluded.updated_at")
        .bind(up.name)
        .bind(up.entityId)
        .bind(up.metadataXml)
        .bind(up.mapText)
        .bind(up.displayName)
        .bind(policy::accountStatusName(up.level))
        .bind(linkKeyName(up.linkBy))
        .bind(int(up.allowSha1))
        .bind(int(up.metadataSignatureVerified))
        .bind(sql::unixSeconds(up.validUntil))
        .bind(up.source)
        .bind(t)
        .bind(t)
        .run();
    appendIn(tx, audit);
    return true;
  });
}

std::optional<Upstream> SqlStore::findUpstream(std::string_view name) {
  static const std::string sql = "SELECT " + std::string(kUpstreamColumns) + " FROM upstreams WHERE name = ?";
  return read("find upstream", [&](sql::Connection& db) -> std::optional<Upstream> {
    auto q = db.prepare(sql);
    q.bind(name);
    if (!q.step()) return std::nullopt;
    return upstreamFrom(row(q));
  });
}

std::optional<Upstream> SqlStore::findUpstreamByEntityId(std::string_view entityId) {
  static const std::string sql = "SELECT " + std::string(kUpstreamColumns) + " FROM upstreams WHERE entity_id = ?";
  return read("find upstream by entityID", [&](sql::Connection& db) -> std::optional<Upstream> {
    auto q = db.prepare(sql);
    q.bind(entityId);
    if (!q.step()) return std::nullopt;
    return upstreamFrom(row(q));
  });
}

std::vector<Upstream> SqlStore::listUpstreams() {
  static const std::string sql = "SELECT " + std::string(kUpstreamColumns) + " FROM upstreams ORDER BY name";
  return read("list upstreams", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    std::vector<Upstream> out;
    while (q.step()) out.push_back(upstreamFrom(row(q)));
    return out;
  });
}

// The links go first (account_links references upstreams), in the same transaction: the
// accounts stay, reachable by password or by another upstream. SPs naming the upstream keep
// the name; an unknown name in an SP's list allows nothing (sso/ looks names up).
bool SqlStore::removeUpstream(std::string_view name, const AuditRecord& audit) {
  return write("remove upstream", [&](sql::WriteTx& tx) {
    tx.db.prepare("DELETE FROM account_links WHERE upstream = ?").bind(name).run();
    auto q = tx.db.prepare("DELETE FROM upstreams WHERE name = ?");
    q.bind(name).run();
    if (q.changes() == 0) return false;  // nothing was linked to a name that is not there
    appendIn(tx, audit);
    return true;
  });
}

std::optional<AccountLink> SqlStore::findAccountLink(std::string_view upstream, std::string_view subject) {
  static const std::string sql = std::string(kLinkSelect) + "WHERE l.upstream = ? AND l.subject = ?";
  return read("find account link", [&](sql::Connection& db) -> std::optional<AccountLink> {
    auto q = db.prepare(sql);
    q.bind(upstream).bind(subject);
    if (!q.step()) return std::nullopt;
    return linkFrom(row(q));
  });
}

std::vector<AccountLink> SqlStore::listAccountLinks(std::int64_t userId) {
  static const std::string sql = std::string(kLinkSelect) + "WHERE l.user_id = ? ORDER BY l.upstream, l.subject";
  return read("list account links", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    q.bind(userId);
    std::vector<AccountLink> out;
    while (q.step()) out.push_back(linkFrom(row(q)));
    return out;
  });
}

std::size_t SqlStore::countAccountLinks(std::string_view upstream) {
  return read("count account links", [&](sql::Connection& db) -> std::size_t {
    auto q = db.prepare("SELECT COUNT(*) FROM account_links WHERE upstream = ?");
    q.bind(upstream);
    return q.step() ? static_cast<std::size_t>(row(q).integer(0)) : 0;
  });
}

// ON CONFLICT DO NOTHING rather than catching the violation: on PostgreSQL a failed statement
// aborts the whole transaction, which would take the other changes of the batch with it.
bool SqlStore::insertLink(sql::WriteTx& tx, const AccountLink& link, TimePoint stamp) {
  const TimePoint linkedAt = link.linkedAt == TimePoint{} ? stamp : link.linkedAt;
  auto q = tx.db.prepare(
      "INSERT INTO account_links (upstream, subject, user_id, linked_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (upstream, subject) DO NOTHING");
  q.bind(link.upstream).bind(link.subject).bind(link.userId).bind(sql::unixSeconds(linkedAt)).run();
  return q.changes() > 0;
}

bool SqlStore::addAccountLink(const AccountLink& link, const AuditRecord& audit) {
  const TimePoint stamp = clock_.now();
  return write("add account link", [&](sql::WriteTx& tx) {
    // Checked first, under the write lock, so that the foreign keys never fail (a failed
    // statement would abort a PostgreSQL transaction).
    auto exists = [&](const char* sql, auto value) {
      auto q = tx.db.prepare(sql);
      q.bind(value);
      return q.step() && row(q).integer(0) > 0;
    };
    if (!exists("SELECT COUNT(*) FROM users WHERE id = ?", link.userId)) return false;
    if (!exists("SELECT COUNT(*) FROM upstreams WHERE name = ?", std::string_view(link.upstream))) return false;
    if (!insertLink(tx, link, stamp)) return false;
    appendIn(tx, audit);
    return true;
  });
}

}  // namespace propusk::store
