#include "idp/saml/bindings/redirect.h"

#include <cctype>
#include <map>

#include "idp/core/base64.h"
#include "idp/core/inflate.h"
#include "idp/crypto/query_signature.h"

namespace propusk::saml {

std::string urlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> urlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') out += ' ';
    else if (c == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return std::nullopt;
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string_view, std::string_view>> splitQuery(std::string_view query) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    out.emplace_back(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
  return out;
}

Result<RedirectMessage> decodeRedirect(std::string_view query) {
  static constexpr std::string_view kKnown[] = {"SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature"};
  std::map<std::string, std::string, std::less<>> raw;  // name -> value as received
  for (auto [name, value] : splitQuery(query)) {
    for (auto known : kKnown)
      if (name == known && !raw.emplace(std::string(name), std::string(value)).second)
        return invalid("query parameter " + std::string(name) + " appears twice");
  }
  RedirectMessage m;
  bool req = raw.contains("SAMLRequest"), resp = raw.contains("SAMLResponse");
  if (req == resp) return invalid(req ? "both SAMLRequest and SAMLResponse given" : "no SAMLRequest in the query");
  m.param = req ? "SAMLRequest" : "SAMLResponse";
  if (raw.contains("SigAlg") != raw.contains("Signature")) return invalid("SigAlg and Signature must come together");

  auto decoded = urlDecode(raw[m.param]);
  if (!decoded) return invalid(m.param + ": bad URL encoding");
  auto deflated = base64Decode(*decoded, 64 * 1024);
  if (!deflated) return invalid(m.param + ": " + deflated.error().detail);
  auto xml = inflateRaw(*deflated);
  if (!xml) return invalid(m.param + ": " + xml.error().detail);
  m.xml = std::move(*xml);

  // bindings §3.4.4.1: the octets signed are the parameters as they appear in the query.
  m.signedOctets = m.param + "=" + raw[m.param];
  if (auto it = raw.find("RelayState"); it != raw.end()) {
    auto rs = urlDecode(it->second);
    if (!rs) return invalid("RelayState: bad URL encoding");
    m.relayState = std::move(*rs);
    m.signedOctets += "&RelayState=" + it->second;
  }
  if (auto it = raw.find("SigAlg"); it != raw.end()) {
    auto alg = urlDecode(it->second);
    if (!alg) return invalid("SigAlg: bad URL encoding");
    m.sigAlg = std::move(*alg);
    m.signedOctets += "&SigAlg=" + it->second;
    auto sigText = urlDecode(raw["Signature"]);
    if (!sigText) return invalid("Signature: bad URL encoding");
    auto sig = base64Decode(*sigText, 2048);
    if (!sig) return invalid("Signature: " + sig.error().detail);
    m.signature = std::move(*sig);
  }
  return m;
}

Result<std::string> encodeRedirect(std::string_view param, std::string_view xml,
                                   const std::optional<std::string>& relayState, const EVP_PKEY* key,
                                   crypto::SignatureAlgorithm alg) {
  std::string q = std::string(param) + "=" + urlEncode(base64Encode(deflateRaw(xml)));
  if (relayState) q += "&RelayState=" + urlEncode(*relayState);
  if (!key) return q;
  q += "&SigAlg=" + urlEncode(crypto::signatureAlgorithmUri(alg));
  auto sig = crypto::signDetached(q, key, alg);
  if (!sig) return std::unexpected(sig.error());
  return q + "&Signature=" + urlEncode(base64Encode(*sig));
}

}  // namespace propusk::saml
