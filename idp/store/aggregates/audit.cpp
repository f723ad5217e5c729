// The audit log: append-only (triggers refuse UPDATE and DELETE) and hash-chained
// (audit/audit_chain.h). Appends happen only inside a write transaction, whose lock (SQLite's
// write lock, PostgreSQL's advisory lock: sql::Dialect::beginWrite) keeps every other writer
// out between reading the chain's head and inserting the next event: one chain, no fork, no gap.
#include "idp/audit/audit_chain.h"
#include "idp/store/sql_store.h"

namespace propusk::store {

namespace {

constexpr char kAuditColumns[] = "seq, time, actor, action, target, outcome, details, prev_hash, hash";

AuditEvent auditFrom(const sql::Row& r) {
  AuditEvent e;
  e.seq = r.integer(0);
  e.time = r.time(1);
  e.record.actor = r.text(2);
  e.record.action = r.text(3);
  e.record.target = r.text(4);
  e.record.outcome = r.text(5);
  e.record.details = r.text(6);
  e.prevHash = r.text(7);
  e.hash = r.text(8);
  return e;
}

}  // namespace

AuditEvent SqlStore::appendIn(sql::WriteTx& tx, const AuditRecord& record) {
  AuditEvent e;
  e.record = record;
  e.time = tx.clock.now();
  e.seq = 1;
  e.prevHash = audit::kGenesisHash;
  if (tx.chainHead) {  // appended earlier in this same transaction
    e.seq = tx.chainHead->first + 1;
    e.prevHash = tx.chainHead->second;
  } else {
    auto q = tx.db.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (q.step()) {
      sql::Row last(q, tx.label);
      e.seq = last.integer(0) + 1;
      e.prevHash = last.text(1);
    }
  }
  e.hash = audit::eventHash(e);
  tx.db
      .prepare("INSERT INTO audit_log (seq, time, actor, action, target, outcome, details, prev_hash, hash) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(e.seq)
      .bind(sql::unixSeconds(e.time))
      .bind(record.actor)
      .bind(record.action)
      .bind(record.target)
      .bind(record.outcome)
      .bind(record.details)
      .bind(e.prevHash)
      .bind(e.hash)
      .run();
  tx.chainHead.emplace(e.seq, e.hash);
  return e;
}

AuditEvent SqlStore::appendAudit(const AuditRecord& record) {
  return write("append audit event", [&](sql::WriteTx& tx) { return appendIn(tx, record); });
}

std::vector<AuditEvent> SqlStore::listAudit(std::int64_t afterSeq, std::size_t limit) {
  static const std::string sql = "SELECT " + std::string(kAuditColumns) + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?";
  return read("list audit log", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    q.bind(afterSeq).bind(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    std::vector<AuditEvent> out;
    while (q.step()) out.push_back(auditFrom(row(q)));
    return out;
  });
}

std::vector<AuditEvent> SqlStore::listRefusals(std::string_view target, std::size_t limit) {
  // The literal outcome lets both engines use the partial index audit_log_refusals (migration 6).
  static const std::string sql = "SELECT " + std::string(kAuditColumns) +
                                 " FROM audit_log WHERE target = ? AND outcome = 'refused' ORDER BY seq DESC LIMIT ?";
  return read("list refusals", [&](sql::Connection& db) {
    auto q = db.prepare(sql);
    q.bind(target).bind(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    std::vector<AuditEvent> out;
    while (q.step()) out.push_back(auditFrom(row(q)));
    return out;
  });
}

}  // namespace propusk::store
