// What the audit log holds: the record a caller gives with a change and the event it
// becomes once sequenced, timed and linked into the chain (audit_chain.h). Plain data; the
// store writes it in the same transaction as the change it describes.
#pragma once

#include <cstdint>
#include <string>

#include "idp/core/clock.h"

namespace propusk::audit {

// What a caller says happened; the store adds sequence, time and the hash chain.
struct AuditRecord {
  std::string actor;    // "cli:root", "web", a user login, an SP entityID
  std::string action;   // "user.add", "sp.remove", "key.rotate", ...
  std::string target;   // login, entityID, key id
  std::string outcome;  // "ok", "refused", "error"
  std::string details;  // JSON object text; never secrets
};

struct AuditEvent {
  std::int64_t seq = 0;
  TimePoint time{};
  AuditRecord record;
  std::string prevHash;  // hex; 64 zeros for the first event
  std::string hash;      // hex sha256 over prevHash and the event (audit_chain.h)
};

}  // namespace propusk::audit
