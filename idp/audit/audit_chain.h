// The hash chain of the audit log: each event's hash covers the previous hash and every
// field of the event, so editing, deleting or reordering a past event is detectable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "idp/audit/audit_record.h"

namespace propusk::audit {

inline constexpr char kGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// hex(sha256(canonical encoding of prevHash, seq, time, actor, action, target, outcome,
// details)); fields are length-prefixed so no two events encode alike.
std::string eventHash(const AuditEvent& e);

// Checks a run of consecutive events (seq ascending): each prevHash equals the previous
// event's hash (the first one equals `expectedPrev`), seqs have no gaps, each hash recomputes.
// Returns the seq of the first bad event, or nullopt when the chain holds.
std::optional<std::int64_t> firstBrokenLink(const std::vector<AuditEvent>& events,
                                            const std::string& expectedPrev = kGenesisHash);

}  // namespace propusk::audit
