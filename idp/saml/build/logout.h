// The IdP's Single Logout messages (core §3.7, profiles §4.4): a LogoutRequest to each other
// session participant, and the LogoutResponse to the SP that asked. Both are always signed
// (profiles §4.4.4.1 and §4.4.4.2): enveloped in the XML on HTTP-POST and SOAP, over the query
// string on HTTP-Redirect (bindings §3.4.4.1, the XML itself then unsigned). samlflow builds
// an SP's LogoutRequest with the same code (LogoutRequestInput says how).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/saml/build/message_parts.h"
#include "idp/saml/messages/logout_request.h"
#include "idp/saml/messages/sp_metadata.h"
#include "idp/saml/validation/request_context.h"  // Binding

namespace propusk::saml {

inline constexpr std::chrono::seconds kLogoutRequestLifetime = std::chrono::minutes(5);

// Written for either direction: the IdP's request to a session participant, and (samlflow
// playing an SP) an SP's request to the IdP — issuer and destination are the caller's.
struct LogoutRequestInput {
  std::string issuer;       // the sender's entityID (the IdP's, or the SP's for samlflow)
  std::string destination;  // the receiver's SingleLogoutService Location for the binding used
  NameID nameId;            // exactly as in the assertion the SP received (value and qualifiers)
  std::vector<std::string> sessionIndexes;      // the SessionIndex(es) the SP received
  std::string_view reason = kLogoutReasonUser;  // kLogoutReasonAdmin when an operator ends it; empty: none
  TimePoint now{};
  std::chrono::seconds lifetime = kLogoutRequestLifetime;  // NotOnOrAfter = now + lifetime
  std::optional<std::string> relayState;                   // front channel only
  std::optional<std::string> id;                           // the request ID; default: from random
  // Testers only (samlflow --no-sign): with no signing key the request goes unsigned instead
  // of being refused, so that a peer's refusal of unsigned requests can be tried. The IdP
  // never sets it.
  bool allowUnsigned = false;
};

struct LogoutResponseInput {
  std::string issuer;                       // our entityID
  std::string destination;                  // responseLocationOf() the SP's SLO endpoint
  std::optional<std::string> inResponseTo;  // the LogoutRequest's ID
  // Success; or Success with second = status::kPartialLogout when some session participant
  // could not be logged out (see logout.cpp for why Success at the top); or a refused
  // request's Error::top and Error::second.
  StatusCode top = StatusCode::Success;
  std::string_view second;
  TimePoint now{};
  // Front channel only: bindings §3.4.3 / §3.5.3 — the exact RelayState that came with the
  // LogoutRequest MUST go back with the response.
  std::optional<std::string> relayState;
};

// What the web layer sends, per binding.
struct OutgoingMessage {
  std::string id;     // the message's ID (a LogoutRequest's: what the LogoutResponse's InResponseTo names)
  Binding binding = Binding::Post;
  // Redirect: the unsigned XML that went into the query (for logs).
  // Post: the signed XML; base64 it into the form field `formField` (bindings §3.5.4), with
  // `relayState` as RelayState, and auto-POST the form to the destination.
  // Soap: the signed XML; wrapSoap() it and POST it to the destination (bindings §3.2).
  std::string xml;
  std::string redirectUrl;          // Redirect: destination + '?' or '&' + signed query; else empty
  std::string_view formField;       // "SAMLRequest" or "SAMLResponse"
  std::optional<std::string> relayState;  // Post: the RelayState form field
};

// A LogoutRequest (core §3.7.1) with ID (in.id, else from random), Version, IssueInstant,
// Destination, NotOnOrAfter, Reason, Issuer, NameID and SessionIndex, signed with `signing` as
// the binding requires. Responder errors: no signing key (unless in.allowUnsigned), a
// RelayState on SOAP, a signing failure.
Result<OutgoingMessage> buildLogoutRequest(const LogoutRequestInput& in, Binding binding,
                                           const MessageSigning& signing, Random& random);

// A LogoutResponse (core §3.7.2) with ID, InResponseTo, Version, IssueInstant, Destination,
// Issuer and Status, signed as the binding requires; same errors as above.
Result<OutgoingMessage> buildLogoutResponse(const LogoutResponseInput& in, Binding binding,
                                            const MessageSigning& signing, Random& random);

// The SP's first SingleLogoutService for `binding` in metadata order, or nullptr.
const Endpoint* findSingleLogoutService(const SpMetadata& md, Binding binding);
// metadata §2.2.2: responses go to ResponseLocation when the endpoint has one, else Location.
std::string_view responseLocationOf(const Endpoint& e);

}  // namespace propusk::saml
