// The Web Browser SSO Response checked the way a strict SP checks it (profiles §4.1.4.3,
// core §2.5, §3.2.2), as named steps in one order. samlflow uses it for `login`, `verify`
// and `replay`; nothing here trusts a key carried in the message.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/xml/parser.h"

namespace propusk::saml::sp {

// What the SP expects. An unset expectation skips its check (reported as skipped), so that
// `samlflow verify` can check a message without knowing the request it answered.
struct ResponseExpectations {
  std::optional<std::string> idpEntityId;  // Issuer of the Response and the Assertion
  std::span<X509* const> idpCertificates;  // from the IdP's metadata (or --cert)
  std::optional<std::string> spEntityId;   // must be in every AudienceRestriction
  std::optional<std::string> acsUrl;       // Destination and bearer Recipient
  std::optional<std::string> requestId;    // InResponseTo of the Response and the bearer data
  TimePoint now{};
  std::chrono::seconds clockSkew{60};
  bool checkTime = true;                   // false: the time-window step is skipped
  bool allowSha1 = false;
  const std::set<std::string, std::less<>>* seenIds = nullptr;  // Response/Assertion IDs already accepted
  // The gateway's replay cache (one-time use across instances): called by the replay step with
  // the Assertion ID (and the Response ID) and the time until which it must be remembered;
  // false: used before. Consulted only after every other step passed, so that a forged
  // message cannot burn an ID. Set either this or seenIds, or neither.
  std::function<bool(std::string_view id, TimePoint until)> rememberOnce;
  // Keys that may decrypt an EncryptedAssertion (and an EncryptedID). Empty: an
  // EncryptedAssertion is refused at parse, as today (samlflow holds no key).
  std::span<const EVP_PKEY* const> decryptionKeys;
  // Gateway: a ProxyRestriction Count="0" is refused (core §2.5.1.6: the assertion must not
  // be used to issue another).
  bool willProxy = false;
  // The gateway: only a samlp:Response (a bare Assertion has no Destination, Status or
  // InResponseTo of its own); refused at parse.
  bool requireResponse = false;
};

struct CheckReport {
  std::string_view step;
  bool skipped = false;
  std::string note;  // what was checked, or why it was skipped
};

struct SamlAttribute {
  std::string name;
  std::string nameFormat;
  std::string friendlyName;
  std::vector<std::string> values;
};

struct ResponseVerification {
  std::vector<CheckReport> checks;  // the steps that passed or were skipped, in order
  std::optional<std::string_view> failedStep;
  std::string failure;              // why failedStep failed

  // Read from the message as far as the steps got.
  bool isResponse = false;          // false: a bare saml:Assertion was given
  std::string responseId;
  std::string assertionId;
  std::string issuer;
  std::optional<std::string> inResponseTo;
  std::vector<std::string> statusCodes;  // top-level first, then nested
  std::optional<std::string> statusMessage;
  std::string nameId;
  std::string nameIdFormat;
  std::optional<std::string> sessionIndex;
  std::optional<std::string> authnContextClassRef;
  std::optional<TimePoint> notOnOrAfter;  // the earliest of Conditions and the bearer data
  std::vector<SamlAttribute> attributes;
  bool assertionEncrypted = false;     // it came as an EncryptedAssertion and was decrypted
  // A signature by an IdP key verified (the Response's or the Assertion's): whoever sent the
  // message holds that key. False for an unsigned error Response.
  bool signatureVerified = false;
  std::optional<std::string> nameQualifier;
  std::optional<std::string> spNameQualifier;
  std::optional<TimePoint> authnInstant;
  std::optional<TimePoint> sessionNotOnOrAfter;
  std::vector<std::string> authenticatingAuthorities;  // AuthnContext/AuthenticatingAuthority, in order
  std::optional<unsigned> proxyCount;  // Conditions/ProxyRestriction Count, if any

  bool ok() const { return !failedStep; }
  bool statusNotSuccess() const { return failedStep && *failedStep == "status"; }
};

// Runs, in this order, stopping at the first failure:
//   parse           secure parse, schema-valid samlp:Response (or saml:Assertion), Version 2.0,
//                   at most one Assertion or EncryptedAssertion (refused without decryptionKeys)
//   decrypt         an EncryptedAssertion decrypted in place with decryptionKeys (skipped
//                   when there is none); an EncryptedID in the Subject likewise
//   issuer          Response Issuer (if present, Format entity) and Assertion Issuer = the IdP
//   signature       every ds:Signature present verifies with an IdP key and covers its own
//                   element; the Assertion used is covered (its own or the Response's)
//   destination     Response Destination = our ACS (required when the Response is signed)
//   status          top-level StatusCode Success
//   assertion       a Success Response carries exactly one Assertion
//   subject         NameID, a bearer SubjectConfirmation with SubjectConfirmationData, no NotBefore
//   recipient       a bearer SubjectConfirmationData Recipient = our ACS
//   in-response-to  Response and bearer InResponseTo = our request ID
//   time-window     Conditions NotBefore/NotOnOrAfter and bearer NotOnOrAfter, with the skew
//   audience        every AudienceRestriction names our entityID (at least one present)
//   authn-statement an AuthnStatement, SessionNotOnOrAfter not past
//   proxy           with willProxy, no ProxyRestriction Count="0" (skipped otherwise)
//   replay          neither the Response nor the Assertion ID was accepted before
ResponseVerification verifyResponse(std::string_view xml, const ResponseExpectations& expect);

// How a Response is parsed: the secure parser's caps, but with room for a namespace
// declaration or two on every AttributeValue, as OpenSAML (Shibboleth IdP), pysaml2 and
// Propusk's own builder write them (xmlns:xs and xmlns:xsi each time): a few hundred group
// values must not fail at parse. The namespaces in scope at any element stay capped.
xml::ParseLimits responseParseLimits();

// The step names above, in order (for help texts and tests).
std::vector<std::string_view> responseStepNames();

}  // namespace propusk::saml::sp
