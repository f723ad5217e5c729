// Turns an authenticated person + a validated request into a signed Response for the SP,
// records the SP in the session (for Single Logout) and audits the issuance.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <optional>
#include <string>

#include "idp/core/clock.h"
#include "idp/core/fair_gate.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/saml/sp_directory.h"
#include "idp/sso/pending_request.h"
#include "idp/sso/signing_keys.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct IssuerSettings {
  std::string idpEntityId;
  std::string scope;  // of subject-id / pairwise-id: the public URL's host
  std::chrono::seconds clockSkew{180};
  std::chrono::seconds assertionValidity = std::chrono::minutes(5);
  std::chrono::seconds sessionAbsolute = std::chrono::hours(8);
};

class AssertionIssuer {
 public:
  AssertionIssuer(store::Store& store, SigningKeys& keys, const Clock& clock, Random& random, IssuerSettings settings)
      : store_(store), keys_(keys), clock_(clock), random_(random), settings_(std::move(settings)) {}

  // `authnContextClassRef`: what the authn-context step chose (sso/login_steps.h), which, with
  // the other after-login steps, has run before. Errors: Responder when signing fails. `requestAudit`, when given,
  // is the event of the request being answered, not yet in the log: it is written just
  // before assertion.issue, in the same transaction. The participation and those events are
  // queued before signing and committed before this returns the Response. When signing fails
  // (or throws) after a commit took them along, the participation is retracted and an
  // assertion.issue event with outcome "error" follows the "ok" one. `requestAuditWritten`
  // (optional) is set when the request's event reached the log, on success or failure.
  Result<std::string> issue(const store::User& user, const store::Session& session, const saml::RegisteredSp& sp,
                            const PendingRequest& request, const std::string& authnContextClassRef,
                            const store::AuditRecord* requestAudit = nullptr, bool* requestAuditWritten = nullptr);

  // A signed error Response to a known ACS (only ever a URL from metadata).
  Result<std::string> error(const saml::RegisteredSp& sp, const std::string& acsUrl,
                            const std::optional<std::string>& inResponseTo, const Error& err);

 private:
  const std::string& pairwiseSecret();  // read once, never changed after

  store::Store& store_;
  SigningKeys& keys_;
  const Clock& clock_;
  Random& random_;
  IssuerSettings settings_;
  std::mutex secretMutex_;
  std::string secret_;
  // Cores + 1 Responses signed at once: with 32 busy connections, 32 runnable signing
  // threads starved the store's committing thread and everyone queued behind it (p99 at
  // concurrency 32: 71 -> 61 ms, and 1 250 -> 1 350 req/s, with group commit). First come,
  // first served (FairGate), so no request waits behind later ones (p99 at 32: 54 -> 23 ms).
  // Measured: cores slots left a core idle; cores + 2 lengthened the tail; gating the whole
  // request (parse and checks too) gained nothing.
  FairGate signers_{std::max(1u, std::thread::hardware_concurrency()) + 1};
};

}  // namespace propusk::sso
