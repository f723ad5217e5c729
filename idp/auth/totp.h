// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), and the base32 secrets (RFC 4648
// §6) authenticator apps exchange. Used by samlflow to answer an IdP's second-factor form,
// and by the IdP's own second factor.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "idp/core/clock.h"
#include "idp/crypto/hmac.h"

namespace propusk::auth {

struct TotpParams {
  crypto::HmacDigest digest = crypto::HmacDigest::Sha1;  // what authenticator apps default to
  std::chrono::seconds period{30};
  int digits = 6;  // 6 to 8
};

// RFC 4648 base32, case-insensitive; spaces, hyphens and '=' padding ignored; nullopt on any
// other character or trailing bits that are not zero-worth.
std::optional<std::string> base32Decode(std::string_view text);

// HOTP value for `counter`, zero-padded to `digits` (RFC 4226 §5.3 dynamic truncation).
std::string hotp(std::string_view key, std::uint64_t counter, int digits = 6,
                 crypto::HmacDigest digest = crypto::HmacDigest::Sha1);

// TOTP value at `at` (RFC 6238 §4: counter = floor(unix time / period)).
std::string totp(std::string_view key, TimePoint at, const TotpParams& params = {});

// RFC 4648 base32 without padding, upper case: how secrets are shown and put in otpauth:// URIs.
std::string base32Encode(std::string_view bytes);

// The time step of `at` (floor(unix time / period)).
std::int64_t totpStep(TimePoint at, const TotpParams& params = {});

// The time step whose code `code` is, within `window` steps either side of `at` (RFC 6238
// §5.2: a clock drift of one step is usual), compared in constant time; nullopt when none. The
// caller accepts a step once (Store::acceptTotpStep), so a code seen is not accepted again.
// `code` is what the person typed: spaces are ignored, anything but digits refuses it.
std::optional<std::int64_t> matchTotp(std::string_view key, std::string_view code, TimePoint at,
                                      const TotpParams& params = {}, int window = 1);

// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 (the Key
// Uri Format authenticator apps read; labels percent-encoded as UTF-8).
std::string otpauthUri(std::string_view issuer, std::string_view account, std::string_view key,
                       const TotpParams& params = {});

}  // namespace propusk::auth
