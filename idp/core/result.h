// Result/Error: how the request path reports refusals without throwing.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace propusk {

// Top-level SAML status codes (core §3.2.2.2).
enum class StatusCode { Success, Requester, Responder, VersionMismatch };

namespace status {
inline constexpr std::string_view kNone{};
inline constexpr std::string_view kRequestDenied = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
inline constexpr std::string_view kNoPassive = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
inline constexpr std::string_view kNoAuthnContext = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
inline constexpr std::string_view kInvalidNameIDPolicy = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
inline constexpr std::string_view kRequestUnsupported = "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported";
inline constexpr std::string_view kUnsupportedBinding = "urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding";
inline constexpr std::string_view kAuthnFailed = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
inline constexpr std::string_view kUnknownPrincipal = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal";
inline constexpr std::string_view kPartialLogout = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
// A proxying IdP's (core §3.4.1.5.1).
inline constexpr std::string_view kProxyCountExceeded = "urn:oasis:names:tc:SAML:2.0:status:ProxyCountExceeded";
inline constexpr std::string_view kNoAvailableIDP = "urn:oasis:names:tc:SAML:2.0:status:NoAvailableIDP";
inline constexpr std::string_view kNoSupportedIDP = "urn:oasis:names:tc:SAML:2.0:status:NoSupportedIDP";
}  // namespace status

std::string_view statusCodeUri(StatusCode code);

struct Error {
  StatusCode top = StatusCode::Requester;
  std::string_view second;  // one of status::k..., or empty
  std::string detail;       // for logs, audit and operators; never sent to a peer
  // What an administrator can change so that this stops happening ("configure the SP to
  // sign with SHA-256, or `propuskctl sp set ENTITY --allow-sha1`"), when the check that
  // refused knows. Log, audit and `propuskctl sp show` only; never sent or shown to a person.
  std::string remedy = {};
};

template <class T>
using Result = std::expected<T, Error>;
using Status = Result<void>;

inline std::unexpected<Error> fail(StatusCode top, std::string_view second, std::string detail) {
  return std::unexpected(Error{top, second, std::move(detail)});
}
// Input from outside was wrong (malformed, refused by policy, failed a check).
inline std::unexpected<Error> invalid(std::string detail) {
  return fail(StatusCode::Requester, status::kNone, std::move(detail));
}
inline std::unexpected<Error> requestDenied(std::string detail) {
  return fail(StatusCode::Requester, status::kRequestDenied, std::move(detail));
}
// The refusal `e` with the administrator's remedy attached.
inline std::unexpected<Error> withRemedy(std::unexpected<Error> e, std::string remedy) {
  e.error().remedy = std::move(remedy);
  return e;
}
// We could not do our part (environment, configuration).
inline std::unexpected<Error> responderError(std::string detail) {
  return fail(StatusCode::Responder, status::kNone, std::move(detail));
}

}  // namespace propusk
