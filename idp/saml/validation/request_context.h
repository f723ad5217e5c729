// The state the validation steps read and fill in: the AuthnRequest steps (steps.h) and the
// LogoutRequest/LogoutResponse steps (logout_steps.h). Steps run in the order of their
// table and the first failure stops the run.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "idp/core/clock.h"
#include "idp/policy/authn_context.h"
#include "idp/saml/sp_directory.h"

namespace propusk::saml {

// How the message arrived: front-channel HTTP-Redirect (bindings §3.4) or HTTP-POST (§3.5),
// or back-channel SOAP (§3.2).
enum class Binding { Redirect, Post, Soap };

// For the Redirect binding: the detached signature and the exact octets it covers.
struct QuerySignature {
  std::optional<std::string> sigAlg;
  std::optional<std::string> signature;
  std::string signedOctets;
};

inline constexpr std::string_view kNameIdPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
inline constexpr std::string_view kNameIdTransient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
inline constexpr std::string_view kNameIdEmail = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
inline constexpr std::string_view kNameIdUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
inline constexpr std::string_view kNameIdEntity = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
inline constexpr std::string_view kAcPasswordProtectedTransport = policy::kAcPasswordProtectedTransport;
inline constexpr std::string_view kAcPassword = policy::kAcPassword;

struct RequestContext {
  // Inputs
  TimePoint now{};
  std::chrono::seconds clockSkew{180};
  std::chrono::seconds messageLifetime{300};  // how old an IssueInstant may be, beyond skew
  std::string ssoUrl;                         // our SingleSignOnService Location
  // Our SingleLogoutService Location for the binding the logout message came in on (the
  // front-channel /saml/slo, or /saml/soap for SOAP): a Destination must name it.
  std::string sloUrl;
  Binding binding = Binding::Post;
  const QuerySignature* querySignature = nullptr;  // Redirect only
  bool requireSignedRequests = false;              // IdP-wide WantAuthnRequestsSigned (logout too)
  SpDirectory* sps = nullptr;
  ReplayCache* replay = nullptr;

  // Outputs
  std::shared_ptr<const RegisteredSp> sp;  // issuer
  bool signatureVerified = false;          // signature
  bool xmlSignatureIgnored = false;        // signature: Redirect, an XML signature beside the verified query one
  // signature: the sender proved it holds a key from the SP's metadata, even when its
  // signature was then refused (SHA-1): what it is refused for may be shown as the SP's doing.
  bool senderAuthenticated = false;
  std::optional<Endpoint> acs;             // acs
  std::string nameIdFormat;                // nameid-policy
};

}  // namespace propusk::saml
