// What a login proved and what that lets the IdP say in AuthnContextClassRef (core §2.7.2.2,
// authn-context §3.4): the factors a session has proved, the classes they support, and the
// choice among them that a RequestedAuthnContext's comparison allows (core §3.3.2.2.1). Every
// class stated must be one the factors support: nothing is claimed that did not happen.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace propusk::policy {

inline constexpr std::string_view kAcPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password";
inline constexpr std::string_view kAcPasswordProtectedTransport =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
inline constexpr std::string_view kAcTimeSyncToken = "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken";
inline constexpr std::string_view kAcRefedsMfa = "https://refeds.org/profile/mfa";
inline constexpr std::string_view kAcUnspecified = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";

// Rank in the order comparisons use, weakest first: Password 0, PasswordProtectedTransport 1,
// TimeSyncToken 2, REFEDS MFA 3; -1 for any other class (it can only match itself).
int authnContextRank(std::string_view classRef);

enum class Factor { Password, Upstream, Totp, Email, Sms, Recovery };
std::string_view factorName(Factor f);                 // "password", "upstream", "totp", ...
std::optional<Factor> parseFactor(std::string_view s);

// The factors a session has proved. Upstream: an upstream IdP authenticated the person (with
// the class it reported, kept by the session).
class Factors {
 public:
  Factors() = default;
  Factors(std::initializer_list<Factor> fs) {
    for (Factor f : fs) add(f);
  }
  void add(Factor f) { bits_ |= 1u << static_cast<unsigned>(f); }
  bool has(Factor f) const { return bits_ & (1u << static_cast<unsigned>(f)); }
  bool empty() const { return bits_ == 0; }
  // A code or token beside the first factor (password or upstream): TOTP, e-mail, SMS, recovery code.
  bool hasSecondFactor() const;
  Factors with(Factor f) const {
    Factors c = *this;
    c.add(f);
    return c;
  }
  std::string encode() const;  // "password,totp" (the order of the enum)
  // Unknown names are dropped (a value written by a later version proves nothing here).
  static Factors decode(std::string_view text);
  bool operator==(const Factors&) const = default;

 private:
  unsigned bits_ = 0;
};

enum class Comparison { Exact, Minimum, Better, Maximum };

struct RequestedContext {
  Comparison comparison = Comparison::Exact;
  std::vector<std::string> classRefs;  // empty: nothing requested
};

// Whether stating `classRef` satisfies `requested` (core §3.3.2.2.1): exact — it is listed;
// minimum — at least as strong as one listed; better — stronger than one listed; maximum — no
// stronger than one listed. A listed class meets exact, minimum and maximum.
bool satisfies(std::string_view classRef, const RequestedContext& requested);

// The classes `factors` support, strongest first. A password supports Password and
// PasswordProtectedTransport (every page is served over TLS); an upstream its own class
// (`upstreamClass`); TOTP adds TimeSyncToken; a second factor beside a first adds REFEDS MFA.
std::vector<std::string> supportedClasses(const Factors& factors, std::string_view upstreamClass = {});

// What to state: the strongest supported class that satisfies `requested` (the strongest of
// all when nothing is requested); nullopt when none does.
std::optional<std::string> chooseClass(const Factors& factors, const RequestedContext& requested,
                                       std::string_view upstreamClass = {});

}  // namespace propusk::policy
