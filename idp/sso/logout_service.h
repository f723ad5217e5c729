// Single Logout (profiles §4.4, docs/slo.md): ends an IdP session and tells every other SP
// that took part in it — over the SOAP back channel where the SP's metadata offers it, else
// through the browser (front channel, one SP after another) — then answers the SP that asked.
// Everything here is audited. HTTP stays in web/: the SOAP client comes in as SoapTransport.
#pragma once

#include <chrono>
#include <optional>
#include <semaphore>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/saml/build/logout.h"
#include "idp/saml/messages/logout_request.h"
#include "idp/saml/messages/logout_response.h"
#include "idp/saml/sp_directory.h"
#include "idp/sso/logout_flow.h"
#include "idp/sso/signing_keys.h"
#include "idp/store/store.h"

namespace propusk::sso {

class SoapTransport {
 public:
  virtual ~SoapTransport() = default;
  // POSTs a SOAP envelope (bindings §3.2.3) and returns the body of a 200 answer; any other
  // outcome (refused, timeout, another status) is an Error whose detail says which.
  virtual Result<std::string> post(const std::string& url, const std::string& envelope,
                                   std::chrono::milliseconds timeout) = 0;
};

struct LogoutSettings {
  std::string idpEntityId;
  std::string sloUrl;   // our /saml/slo: the Destination of the SPs' front-channel answers
  std::string soapUrl;  // our /saml/soap
  std::chrono::seconds clockSkew{180};
  std::chrono::milliseconds soapTimeout{5000};             // per SP on the back channel
  std::chrono::seconds flowLifetime = std::chrono::minutes(10);  // a front-channel logout in progress
};

// Which sessions a validated LogoutRequest names (core §3.7.3.1: by NameID, and SessionIndex
// when given).
struct SessionMatch {
  enum class Kind {
    Found,     // sessions holds them
    None,      // no live session (already ended): nothing to do, answered with Success
    Mismatch,  // the browser's session is somebody else's: refused and audited
  } kind = Kind::None;
  std::vector<store::Session> sessions;
  std::string detail;
};

// A message and where it goes (an SP's endpoint from metadata).
struct Delivery {
  saml::OutgoingMessage message;
  std::string destination;
};

class LogoutService {
 public:
  LogoutService(store::Store& store, saml::SpDirectory& sps, saml::ReplayCache& replay, SigningKeys& keys,
                const Clock& clock, Random& random, SoapTransport& soap, LogoutSettings settings)
      : store_(store), sps_(sps), replay_(replay), keys_(keys), clock_(clock), random_(random), soap_(soap),
        settings_(std::move(settings)) {}

  // With the browser's own session (its cookie), the request must name that session's
  // participation of `spEntityId`; without one (SOAP, or a cookie the browser did not send)
  // every live session where that SP got this NameID (and SessionIndex, if named) matches.
  // An unsigned request (allowed only from an SP without a signing key) is trusted only for
  // the browser's own session: looking sessions up by NameID would let anybody who learns a
  // NameID end that person's session.
  SessionMatch matchSessions(const saml::LogoutRequest& req, const std::string& spEntityId,
                             const std::optional<store::Session>& browserSession, bool signedRequest = true);

  // Ends `session` (audited as session.logout) and reaches its other participants: SOAP ones
  // at once, front-channel ones left Pending in the returned flow when `frontChannel`, else
  // Unreachable. `actor` names who ended it (a login, an SP, or cli:…).
  // A session opened through an upstream IdP (gateway) gets the upstream as its last target,
  // reached through the browser (web/slo_flow.cpp), unless `tellUpstream` is false (the
  // upstream itself asked) or there is no browser (then Unreachable).
  LogoutFlow begin(const store::Session& session, std::optional<LogoutInitiator> initiator,
                   const std::string& actor, bool byOperator, bool frontChannel, bool tellUpstream = true);

  // The LogoutRequest that sends the browser to the next front-channel SP (marked Sent and
  // the flow saved), or nullopt when none is left. A target whose request cannot be built
  // is marked Failed and skipped.
  std::optional<Delivery> nextFrontChannelMessage(LogoutFlow& flow);

  // A LogoutResponse that passed kLogoutResponseSteps came back from `spEntityId` on the
  // front channel: it must answer the request we sent that SP in this flow.
  Status recordFrontChannelResponse(LogoutFlow& flow, const saml::LogoutResponse& resp, const std::string& spEntityId);

  // The person is back without the SP the browser was sent to having answered.
  void abandonAwaiting(LogoutFlow& flow, const std::string& why);

  // Audits logout.complete and forgets the flow.
  void finish(LogoutFlow& flow);

  // The LogoutResponse for an SP's LogoutRequest: to its SingleLogoutService (metadata only)
  // for `preferred` if it has one, else Redirect, else POST; SOAP answers go in the SOAP
  // response. An error when the SP has no endpoint to answer at.
  Result<Delivery> respond(const saml::RegisteredSp& sp, saml::Binding preferred,
                                        const std::string& inResponseTo, StatusCode top, std::string_view second,
                                        const std::optional<std::string>& relayState);

  std::optional<LogoutFlow> load(std::string_view flowId);
  void save(const LogoutFlow& flow);

  const LogoutSettings& settings() const { return settings_; }

 private:
  saml::NameID nameIdOf(const LogoutTarget& t) const;
  void backChannel(LogoutTarget& t, const saml::RegisteredSp& sp, const saml::Endpoint& ep, bool byOperator);
  void auditTarget(const LogoutFlow& flow, const LogoutTarget& t);
  saml::MessageSigning signing(const LoadedKey& key) const;

  store::Store& store_;
  saml::SpDirectory& sps_;
  saml::ReplayCache& replay_;
  SigningKeys& keys_;
  const Clock& clock_;
  Random& random_;
  SoapTransport& soap_;
  LogoutSettings settings_;
  static constexpr std::ptrdiff_t kMaxBackChannelCalls = 16;
  std::counting_semaphore<kMaxBackChannelCalls> backChannelSlots_{kMaxBackChannelCalls};
};

}  // namespace propusk::sso
