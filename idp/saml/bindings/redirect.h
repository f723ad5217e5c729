// HTTP-Redirect binding (bindings §3.4): DEFLATE + base64 + URL encoding, and the
// detached signature over the query string exactly as received.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/crypto/xml_signature.h"

namespace propusk::saml {

struct RedirectMessage {
  std::string param;                      // "SAMLRequest" or "SAMLResponse"
  std::string xml;                        // inflated message
  std::optional<std::string> relayState;  // URL-decoded
  std::optional<std::string> sigAlg;      // URL-decoded algorithm URI
  std::optional<std::string> signature;   // base64-decoded signature bytes
  std::string signedOctets;               // "PARAM=v[&RelayState=v]&SigAlg=v", original encoding
};

// Parses a raw query string. Refuses: a missing or repeated parameter among SAMLRequest/
// SAMLResponse, RelayState, SigAlg, Signature; both SAMLRequest and SAMLResponse; Signature
// without SigAlg or the reverse; bad percent-encoding, base64 or DEFLATE; an inflated
// message over the cap (core/inflate.h).
Result<RedirectMessage> decodeRedirect(std::string_view rawQuery);

// Builds a query string for `param` carrying `xml`, signed when key is given (used by
// samlflow and tests; the IdP's own Redirect messages later).
Result<std::string> encodeRedirect(std::string_view param, std::string_view xml,
                                   const std::optional<std::string>& relayState, const EVP_PKEY* key,
                                   crypto::SignatureAlgorithm alg);

// The name=value pairs of a query string or form body, in order and as received (not
// URL-decoded); empty pairs are skipped, a pair without '=' has an empty value.
std::vector<std::pair<std::string_view, std::string_view>> splitQuery(std::string_view query);

std::string urlEncode(std::string_view s);  // RFC 3986 unreserved kept, everything else %XX
std::optional<std::string> urlDecode(std::string_view s);  // '+' is a space; bad %XX -> nullopt

}  // namespace propusk::saml
