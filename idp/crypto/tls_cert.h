// A self-signed TLS server certificate for development instances.
#pragma once

#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/crypto/keys.h"

namespace propusk::crypto {

// EC P-256 key and a certificate for `dnsNames` and `ipAddresses` (subjectAltName),
// serverAuth, valid for validDays. Throws std::runtime_error when OpenSSL fails.
KeyPair generateTlsCertificate(const std::vector<std::string>& dnsNames, const std::vector<std::string>& ipAddresses,
                               int validDays, const Clock& clock);

}  // namespace propusk::crypto
