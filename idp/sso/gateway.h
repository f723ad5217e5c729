// The federation gateway (docs/gateway.md): Propusk as a strict SAML SP toward an upstream
// IdP, and the bridge from the upstream's assertion to a Propusk account.
//
//   start()  an SP's pending request -> a signed AuthnRequest to the upstream (the SP's
//            RequestedAuthnContext, ForceAuthn and IsPassive passed on, Scoping's ProxyCount
//            lowered by one and the SP added to the RequesterIDs), remembered under a random
//            RelayState of our own and bound to this browser by a cookie token.
//   finish() the upstream's Response at /saml/acs -> checked by the same verifier as
//            `samlflow verify` (saml/sp/response_verifier.h) with this upstream's keys only,
//            our ACS, our SP entityID, the request ID of this browser's pending request, the
//            shared replay cache and our decryption keys; then attributes mapped and checked
//            (identity/attribute_map.h) and the account found by its link, linked by the
//            upstream's link key, or created at the upstream's level.
// Everything refused names a step (the verifier's, or relay-state, browser, attributes, link)
// for the audit; HTTP stays in web/.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/saml/build/logout.h"
#include "idp/saml/sp/response_verifier.h"
#include "idp/saml/sp_directory.h"
#include "idp/sso/logout_flow.h"
#include "idp/sso/pending_request.h"
#include "idp/sso/signing_keys.h"
#include "idp/sso/upstream_directory.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct GatewaySettings {
  std::string spEntityId;  // PUBLIC_URL/saml/sp/metadata: who we are toward upstreams
  std::string acsUrl;      // PUBLIC_URL/saml/acs
  std::string sloUrl;      // PUBLIC_URL/saml/sp/slo
  std::string idpEntityId; // our IdP entityID (what SPs know us as)
  std::chrono::seconds clockSkew{180};
  std::chrono::seconds requestLifetime = std::chrono::minutes(10);  // to come back from the upstream
};

// What the upstream said about the session, kept with the IdP session (store::Session::
// upstreamData) for Single Logout and for every assertion issued in that session.
struct UpstreamSession {
  std::string entityId;
  std::string nameId;
  std::string nameIdFormat;
  std::optional<std::string> nameQualifier;
  std::optional<std::string> spNameQualifier;
  std::optional<std::string> sessionIndex;
  std::string authnContextClassRef;               // as the upstream reported it
  std::vector<std::string> authenticatingAuthorities;  // the upstream's chain, then the upstream
  std::optional<unsigned> proxyCount;  // what the upstream's ProxyRestriction leaves for our assertions
  // The most this upstream vouches for (its --level): assertions in this session never state a
  // higher account status, whatever the account's own.
  policy::AccountStatus level = policy::AccountStatus::Simplified;
  std::optional<TimePoint> authnInstant;         // when the upstream authenticated the person
  std::optional<TimePoint> sessionNotOnOrAfter;  // the upstream's SessionNotOnOrAfter
};
std::string encodeUpstreamSession(const UpstreamSession& s);
std::optional<UpstreamSession> decodeUpstreamSession(std::string_view json);

struct UpstreamStart {
  saml::OutgoingMessage message;  // the AuthnRequest, signed, for the binding chosen
  std::string destination;        // the upstream's SingleSignOnService Location
  std::string browserToken;       // goes into the browser's cookie, nowhere else
  std::string requestId;
};

struct UpstreamRefusal {
  std::string upstream;   // its name, or "-" when not known yet
  std::string step;       // a verifier step, or relay-state, browser, upstream, attributes, link
  Error error;
  std::optional<PendingRequest> downstream;  // the SP's request, once known
  // The upstream answered with an error status: the SP is told (a SAML error), not just
  // the person.
  bool upstreamStatus = false;
  // The sender proved it holds the upstream's key (a step after the signature refused, on a
  // signed message) — `upstream show` marks the others as unproven.
  bool authenticated = false;
};

struct UpstreamLogin {
  store::User user;
  std::shared_ptr<const RegisteredUpstream> upstream;
  PendingRequest downstream;
  UpstreamSession session;
  std::string link;  // "linked" (by the link), "linked-by-<key>" (now), "created", "none"
  std::string assertionId;
};

class Gateway {
 public:
  Gateway(store::Store& store, UpstreamDirectory& upstreams, SigningKeys& keys, saml::ReplayCache& replay,
          const Clock& clock, Random& random, GatewaySettings settings)
      : store_(store), upstreams_(upstreams), keys_(keys), replay_(replay), clock_(clock), random_(random),
        settings_(std::move(settings)) {}

  // The upstreams a person may use for this SP's request: those the SP allows, narrowed by
  // the request's IDPList; none when the SP's ProxyCount is 0 (core §3.4.1.5.1).
  std::vector<std::shared_ptr<const RegisteredUpstream>> allowedFor(const saml::RegisteredSp& sp,
                                                                    const PendingRequest& request);
  // Whether the local password form may be offered for this request: the SP allows it and
  // an IDPList, if any, names this IdP.
  bool localLoginFor(const saml::RegisteredSp& sp, const PendingRequest& request) const;

  Result<UpstreamStart> start(const RegisteredUpstream& upstream, const PendingRequest& downstream);

  // `xml` and `relayState` as /saml/acs decoded them; `browserToken` from the cookie.
  std::expected<UpstreamLogin, UpstreamRefusal> finish(std::string_view xml, const std::optional<std::string>& relayState,
                                                      const std::optional<std::string>& browserToken,
                                                      const std::string& remote);

  // Our LogoutRequest to the upstream of `target` (LogoutTarget::upstream): to its
  // SingleLogoutService for HTTP-Redirect (else HTTP-POST), signed, with target.relayState.
  // Sets target.requestId.
  Result<saml::OutgoingMessage> logoutRequest(LogoutTarget& target, std::string& destination);
  // Our LogoutResponse to an upstream's LogoutRequest, to its SingleLogoutService.
  Result<saml::OutgoingMessage> logoutResponse(const RegisteredUpstream& upstream, saml::Binding preferred,
                                               const std::string& inResponseTo, StatusCode top,
                                               std::string_view second, const std::optional<std::string>& relayState,
                                               std::string& destination);
  // The name of the registered upstream a message claims to come from (its Issuer, not
  // verified), or "-": whom to file a refusal under before anything proved the sender.
  std::string claimedUpstream(std::string_view xml);

  // The upstreams as peers of the logout steps (by entityID).
  saml::SpDirectory& peers() { return peers_; }
  UpstreamDirectory& upstreams() { return upstreams_; }

  const GatewaySettings& settings() const { return settings_; }

 private:
  std::expected<store::User, UpstreamRefusal> account(const RegisteredUpstream& up, const identity::MappedPerson& person,
                                                      const saml::sp::ResponseVerification& v, std::string& link,
                                                      const PendingRequest& downstream);

  store::Store& store_;
  UpstreamDirectory& upstreams_;
  SigningKeys& keys_;
  saml::ReplayCache& replay_;
  const Clock& clock_;
  Random& random_;
  GatewaySettings settings_;
  UpstreamPeers peers_{upstreams_};
};

// The account status an assertion in `session` may state: the account's, but no more than the
// upstream the session came from vouches for (UpstreamSession::level).
policy::AccountStatus effectiveStatus(const store::User& user, const store::Session& session);

// Whether an upstream's AuthnContextClassRef meets the SP's RequestedAuthnContext as kept in
// `request` (policy::satisfies: core §3.3.2.2.1 over the order of policy/authn_context.h; a
// class outside that order only when listed). No RequestedAuthnContext: any.
bool upstreamSatisfies(const PendingRequest& request, std::string_view classRef);

// The pending-request key of an upstream login (store::Store::putPendingRequest).
std::string upstreamPendingKey(std::string_view relayState);

}  // namespace propusk::sso
