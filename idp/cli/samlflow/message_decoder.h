// Any SAML message as a tester meets it — an HTTP-Redirect URL or query, a POST form body,
// an auto-POST HTML page, bare base64 (deflated or not) or XML — turned back into XML.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "idp/core/result.h"

namespace propusk::cli::samlflow {

struct DecodedMessage {
  std::string field;     // SAMLRequest / SAMLResponse, or "" for bare base64/XML
  std::string encoding;  // "redirect" (deflate+base64), "post" (base64), "base64", "deflate+base64", "xml"
  std::string xml;
  std::optional<std::string> relayState;
  std::optional<std::string> sigAlg;  // Redirect binding only
  bool hasQuerySignature = false;
};

// field: which form/query field to take (default: SAMLRequest, else SAMLResponse).
Result<DecodedMessage> decodeMessage(std::string_view input, const std::optional<std::string>& field = std::nullopt);

// The XML re-indented for reading (parsed securely first; whitespace-only text between
// elements dropped). Not for verifying: indentation changes what was signed.
Result<std::string> prettyXml(std::string_view xml);

}  // namespace propusk::cli::samlflow
