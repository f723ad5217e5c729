#include "idp/audit/audit_chain.h"

#include "idp/crypto/digest.h"

namespace propusk::audit {

namespace {
// Each field as "<decimal length>:<bytes>\n": a length prefix cannot be forged by content,
// so moving bytes from one field to the next always changes the encoding.
void field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += '\n';
}
}  // namespace

std::string eventHash(const AuditEvent& e) {
  std::string enc = "propusk-audit-v1\n";  // domain tag: a future encoding gets a new tag
  field(enc, e.prevHash);
  field(enc, std::to_string(e.seq));
  field(enc, std::to_string(e.time.time_since_epoch().count()));
  field(enc, e.record.actor);
  field(enc, e.record.action);
  field(enc, e.record.target);
  field(enc, e.record.outcome);
  field(enc, e.record.details);
  return crypto::toHex(crypto::sha256(enc));
}

std::optional<std::int64_t> firstBrokenLink(const std::vector<AuditEvent>& events,
                                            const std::string& expectedPrev) {
  const std::string* prev = &expectedPrev;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (i > 0 && e.seq != events[i - 1].seq + 1) return e.seq;
    if (e.prevHash != *prev) return e.seq;
    if (eventHash(e) != e.hash) return e.seq;
    prev = &e.hash;
  }
  return std::nullopt;
}

}  // namespace propusk::audit
