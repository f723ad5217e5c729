// One Single Logout in progress (docs/slo.md): who asked, and how far the word has got to
// each other SP of the ended session. Kept in the store between the browser's trips to the
// SPs (pending_requests, like a waiting AuthnRequest), so any instance can continue it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/saml/validation/request_context.h"

namespace propusk::sso {

// How an SP is reached: the back channel (SOAP, done by the IdP itself), the front channel
// (the browser carries the LogoutRequest), or not at all (no usable SLO endpoint).
enum class LogoutChannel { Soap, Redirect, Post, None };

enum class LogoutOutcome {
  Pending,     // front channel, not sent yet
  Sent,        // front channel, the browser was sent to the SP
  Done,        // the SP answered Success
  Failed,      // it answered another status, an invalid response, or not in time
  Unreachable  // no SLO endpoint this logout can use
};

struct LogoutTarget {
  std::string spEntityId;
  std::string nameId;
  std::string nameIdFormat;
  std::string sessionIndex;
  LogoutChannel channel = LogoutChannel::None;
  LogoutOutcome outcome = LogoutOutcome::Pending;
  std::string requestId;  // our LogoutRequest's ID, once built
  // The RelayState of our front-channel LogoutRequest to this SP: random, for this SP's turn
  // only, so that an SP that had its turn cannot end the next SP's (it never learns it).
  std::string relayState;
  std::string detail;     // why Failed/Unreachable (logs, audit and the person's page)
  TimePoint sentAt{};
  // The upstream IdP the session came from (gateway), not an SP: spEntityId holds its name,
  // and the browser goes there last, once every SP had its turn (web/slo_flow.cpp).
  bool upstream = false;
  std::string upstreamData;  // store::Session::upstreamData (qualifiers for its LogoutRequest)
};

// The SP whose LogoutRequest started the logout; absent when the person pressed "sign out"
// at the IdP or an operator ended the session.
struct LogoutInitiator {
  std::string spEntityId;
  std::string requestId;
  saml::Binding binding = saml::Binding::Redirect;  // the request's; the answer prefers it
  std::optional<std::string> relayState;
  // An upstream IdP's LogoutRequest (gateway): spEntityId holds the upstream's name, and the
  // answer goes to its SingleLogoutService as our SP entity.
  bool upstream = false;
};

struct LogoutFlow {
  std::string id;  // random; names the flow in the store and in the browser's cookie
  std::string login;
  std::optional<LogoutInitiator> initiator;
  std::vector<LogoutTarget> targets;
  TimePoint createdAt{};
  // SHA-256 (hex) of the secret in the browser's propusk_logout cookie, set when the browser
  // is first sent to an SP: only that browser may continue the flow.
  std::string browserKeyHash;

  // Some participant was not logged out (PartialLogout, core §3.7.3.2).
  bool partial() const;
  // The first SP the browser still has to visit, or nullptr (the upstream comes after).
  LogoutTarget* nextFrontChannel();
  // The upstream IdP, when it still has to be visited; nullptr otherwise.
  LogoutTarget* pendingUpstream();
  // The target the browser was sent to and that has not answered yet, or nullptr.
  LogoutTarget* awaiting();
};

std::string_view outcomeName(LogoutOutcome o);
std::string_view channelName(LogoutChannel c);

std::string encodeFlow(const LogoutFlow& flow);
std::optional<LogoutFlow> decodeFlow(std::string_view json);  // nullopt if damaged

}  // namespace propusk::sso
