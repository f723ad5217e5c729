// The state the AuthnRequest steps read and fill in; steps run in the order of
// kAuthnRequestSteps (steps.h) and the first failure stops the run.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "idp/core/clock.h"
#include "idp/saml/sp_directory.h"

namespace propusk::saml {

enum class Binding { Redirect, Post };

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
inline constexpr std::string_view kAcPasswordProtectedTransport =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
inline constexpr std::string_view kAcPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";

struct RequestContext {
  // Inputs
  TimePoint now{};
  std::chrono::seconds clockSkew{180};
  std::chrono::seconds messageLifetime{300};  // how old an IssueInstant may be, beyond skew
  std::string ssoUrl;                         // our SingleSignOnService Location
  Binding binding = Binding::Post;
  const QuerySignature* querySignature = nullptr;  // Redirect only
  bool requireSignedRequests = false;              // IdP-wide WantAuthnRequestsSigned
  SpDirectory* sps = nullptr;
  ReplayCache* replay = nullptr;

  // Outputs
  std::shared_ptr<const RegisteredSp> sp;  // issuer
  bool signatureVerified = false;          // signature
  std::optional<Endpoint> acs;             // acs
  std::string nameIdFormat;                // nameid-policy
  std::string authnContextClassRef;        // authn-context
};

}  // namespace propusk::saml
