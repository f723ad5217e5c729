#include "idp/sso/assertion_issuer.h"

#include <stdexcept>

#include "idp/admin/bootstrap.h"
#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/policy/attribute_release.h"
#include "idp/policy/pairwise.h"
#include "idp/saml/build/response.h"
#include "idp/saml/validation/request_context.h"
#include "idp/sso/gateway.h"

namespace propusk::sso {

namespace {
saml::SigningOptions signingFor(const saml::RegisteredSp& sp, const LoadedKey& key, const LoadedKey::Lease& lease) {
  saml::SigningOptions s;
  s.key = lease.get();
  s.cert = key.cert.get();
  s.algorithm = key.algorithm;
  s.signer = &lease.signer();
  s.certBase64 = key.certBase64;
  s.signAssertion = sp.signing != saml::ResponseSigning::ResponseOnly;
  s.signResponse = sp.signing != saml::ResponseSigning::AssertionOnly;
  return s;
}
}  // namespace

const std::string& AssertionIssuer::pairwiseSecret() {
  std::lock_guard lock(secretMutex_);
  if (secret_.empty()) {
    auto s = store_.getSetting(admin::kPairwiseSecretSetting);
    if (!s) throw std::runtime_error("pairwise secret missing: run 'propuskctl init'");
    secret_ = *s;
  }
  return secret_;
}

Result<std::string> AssertionIssuer::issue(const store::User& user, const store::Session& session,
                                           const saml::RegisteredSp& sp, const PendingRequest& request,
                                           const std::string& authnContextClassRef,
                                           const store::AuditRecord* requestAudit, bool* requestAuditWritten) {
  const std::string& spId = sp.metadata.entityId;
  saml::AssertionInput in;
  in.issuer = settings_.idpEntityId;
  in.audience = spId;
  in.recipient = request.acsUrl;
  in.inResponseTo = request.requestId;
  in.nameIdFormat = request.nameIdFormat;
  if (request.nameIdFormat == saml::kNameIdEmail) {
    // The name-id step (sso/login_steps.h) refuses an account without a confirmed e-mail.
    if (!user.email || !user.emailConfirmed) return responderError("emailAddress NameID without a confirmed e-mail");
    in.nameId = *user.email;
  } else if (request.nameIdFormat == saml::kNameIdTransient) {
    in.nameId = random_.samlId();
    in.nameQualifier = settings_.idpEntityId;
    in.spNameQualifier = spId;
  } else {
    in.nameIdFormat = std::string(saml::kNameIdPersistent);
    in.nameId = policy::persistentNameId(pairwiseSecret(), user.uid, spId);
    in.nameQualifier = settings_.idpEntityId;
    in.spNameQualifier = spId;
  }
  in.now = clock_.now();
  in.authnInstant = session.authnInstant;
  in.sessionIndex = policy::sessionIndex(pairwiseSecret(), session.idHash, spId, in.nameId);
  // Chosen by the authn-context step from what the session proved (policy/authn_context.h):
  // for an upstream session the upstream's class, never a stronger one of ours unless a
  // second factor was added here.
  if (authnContextClassRef.empty()) return responderError("no AuthnContextClassRef chosen");
  in.authnContextClassRef = authnContextClassRef;
  std::optional<TimePoint> upstreamSessionEnd;
  if (!session.upstream.empty()) {
    // Logged in through an upstream IdP: the SP learns which (core §2.7.2.2).
    auto up = decodeUpstreamSession(session.upstreamData);
    if (!up) return responderError("session " + session.idHash.substr(0, 16) + ": unreadable upstream data");
    in.authenticatingAuthorities = up->authenticatingAuthorities;
    in.proxyRestrictionCount = up->proxyCount;
    // When the person was authenticated is the upstream's to say, and its session bounds ours.
    if (up->authnInstant) in.authnInstant = *up->authnInstant;
    upstreamSessionEnd = up->sessionNotOnOrAfter;
  }
  in.validity = settings_.assertionValidity;
  in.clockSkew = settings_.clockSkew;
  in.sessionNotOnOrAfter = session.createdAt + settings_.sessionAbsolute;
  if (upstreamSessionEnd && *upstreamSessionEnd < *in.sessionNotOnOrAfter) in.sessionNotOnOrAfter = upstreamSessionEnd;

  policy::Person person;
  person.surname = user.surname;
  person.givenName = user.givenName;
  person.middleName = user.middleName;
  person.inn = user.inn;
  person.snils = user.snils;
  if (user.emailConfirmed) person.email = user.email;
  if (user.phoneConfirmed) person.phone = user.phone;
  person.status = effectiveStatus(user, session);
  for (auto& a : policy::releaseAttributes(person, sp.release))
    in.attributes.push_back({std::string(a.def.name), std::string(a.def.friendlyName), std::move(a.values)});
  in.responseId = random_.samlId();
  in.assertionId = random_.samlId();

  auto key = keys_.active();
  std::string names;
  for (auto& a : in.attributes) names += (names.empty() ? "" : ",") + jsonString(a.friendlyName);
  std::vector<store::AuditRecord> audits;
  if (requestAudit) audits.push_back(*requestAudit);
  // The three IDs that let a login be traced from the SP's log to this one.
  audits.push_back({user.login, "assertion.issue", spId, "ok",
                    R"({"response_id":)" + jsonString(in.responseId) + R"(,"assertion_id":)" +
                        jsonString(in.assertionId) + R"(,"in_response_to":)" +
                        (in.inResponseTo && !in.inResponseTo->empty() ? jsonString(printable(*in.inResponseTo, 100)) : std::string("null")) +
                        R"(,"name_id_format":)" + jsonString(in.nameIdFormat) + R"(,"name_id":)" + jsonString(in.nameId) +
                        R"(,"attributes":[)" + names + R"(],"key":)" + jsonString(key->id) + "}"});
  // Queued before signing, waited for after: the Response still leaves only once its events
  // and participation are committed, but under load another thread's commit has usually
  // taken this change along by then (one transaction for several Responses).
  const store::SessionParticipant participation{session.idHash, spId, in.nameId, in.nameIdFormat, in.sessionIndex, in.now};
  auto change = store_.queueSessionParticipant(participation, std::move(audits));
  // Any way out before the commit is confirmed (an error or an exception while signing): take
  // the change back, or, when a commit already took it, retract it in the log and the store.
  struct Undo {
    AssertionIssuer& self;
    store::QueuedChange& change;
    const store::SessionParticipant& participation;
    const std::string& login;
    bool* requestAuditWritten;
    bool hasRequestAudit;
    std::string reason = "exception while signing";
    bool armed = true;
    ~Undo() {
      if (!armed) return;
      try {
        if (change.withdraw()) return;
        if (requestAuditWritten && hasRequestAudit) *requestAuditWritten = true;
        self.store_.retractSessionParticipant(
            participation, {login, "assertion.issue", participation.spEntityId, "error",
                            R"({"name_id":)" + jsonString(participation.nameId) + R"(,"session_index":)" +
                                jsonString(participation.sessionIndex) + R"(,"reason":)" + jsonString(reason) + "}"});
      } catch (...) {
        // Logged by nobody here (a destructor): the caller's error path logs the failure.
      }
    }
  } undo{*this, *change, participation, user.login, requestAuditWritten, requestAudit != nullptr};
  auto xml = [&] {
    FairGate::Pass pass(signers_);
    auto lease = key->lend();
    return saml::buildSuccessResponse(in, signingFor(sp, *key, lease), random_);
  }();
  if (!xml) {
    undo.reason = xml.error().detail;
    return xml;
  }
  undo.armed = false;
  change->wait();  // a StoreError here: nothing was committed, nothing leaves
  if (requestAuditWritten && requestAudit) *requestAuditWritten = true;
  return xml;
}

Result<std::string> AssertionIssuer::error(const saml::RegisteredSp& sp, const std::string& acsUrl,
                                           const std::optional<std::string>& inResponseTo, const Error& err) {
  saml::ErrorResponseInput in;
  in.issuer = settings_.idpEntityId;
  in.destination = acsUrl;
  in.inResponseTo = inResponseTo;
  in.top = err.top;
  in.second = err.second;
  in.now = clock_.now();
  auto key = keys_.active();
  auto lease = key->lend();
  auto s = signingFor(sp, *key, lease);
  s.signResponse = true;  // an error Response has no Assertion: sign the Response itself
  return saml::buildErrorResponse(in, s, random_);
}

}  // namespace propusk::sso
