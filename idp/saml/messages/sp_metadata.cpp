#include "idp/saml/messages/sp_metadata.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::saml {

namespace {

using xml::attr;
using xml::child;
using xml::children;
namespace ns = xml::ns;

Status readKeys(xmlNode* role, SpMetadata& md) {
  for (xmlNode* kd : children(role, ns::kMd, "KeyDescriptor")) {
    std::string use = attr(kd, "use").value_or("");
    xmlNode* keyInfo = child(kd, ns::kDs, "KeyInfo");
    for (xmlNode* data : children(keyInfo, ns::kDs, "X509Data")) {
      for (xmlNode* c : children(data, ns::kDs, "X509Certificate")) {
        for (int pass = 0; pass < 2; ++pass) {
          bool signing = pass == 0;
          if (!use.empty() && use != (signing ? "signing" : "encryption")) continue;
          auto cert = crypto::loadCertificateBase64Der(xml::trimmedText(c));
          if (!cert) return invalid("KeyDescriptor certificate is unreadable: " + cert.error().detail);
          (signing ? md.signingCertificates : md.encryptionCertificates).push_back(std::move(*cert));
        }
      }
    }
  }
  return {};
}

// A validUntil the schema accepts but we cannot read (a negative year, a fraction with an
// offset...) must not pass as "no expiry".
Status readValidUntil(xmlNode* e, std::optional<TimePoint>& into) {
  auto v = xml::collapsedAttr(e, "validUntil");
  if (!v) return {};
  auto t = parseXsDateTime(*v);
  if (!t) return invalid("validUntil '" + *v + "' is not a time this IdP can read");
  if (!into || *t < *into) into = t;
  return {};
}

std::string takeLang(xmlNode* n) {
  return xml::takeString(xmlNodeGetLang(n));
}

}  // namespace

bool supportsSaml2(const std::string& enumeration) {
  size_t pos = 0;
  while (pos < enumeration.size()) {
    size_t end = enumeration.find_first_of(" \t\r\n", pos);
    if (end == std::string::npos) end = enumeration.size();
    if (std::string_view(enumeration).substr(pos, end - pos) == kProtocolSaml2) return true;
    pos = end + 1;
  }
  return false;
}

Result<Endpoint> readEndpoint(xmlNode* e, bool indexed, const char* what) {
  Endpoint ep;
  ep.binding = attr(e, "Binding").value_or("");
  ep.location = attr(e, "Location").value_or("");
  ep.responseLocation = attr(e, "ResponseLocation").value_or("");
  if (!isAbsoluteHttpUrl(ep.location))
    return invalid(std::string(what) + " Location '" + ep.location + "' is not an absolute http(s) URL");
  if (!ep.responseLocation.empty() && !isAbsoluteHttpUrl(ep.responseLocation))
    return invalid(std::string(what) + " ResponseLocation '" + ep.responseLocation +
                   "' is not an absolute http(s) URL");
  if (indexed) {
    if (auto idx = xml::collapsedAttr(e, "index")) ep.index = static_cast<unsigned>(std::stoul(*idx));  // schema-checked
    ep.isDefault = xml::boolAttr(e, "isDefault");
  }
  return ep;
}

std::string displayNameFor(const SpMetadata& md) {
  for (const char* want : {"ru", "en"})
    for (auto& [lang, name] : md.displayNames)
      if (lang == want) return name;
  return md.displayNames.empty() ? md.entityId : md.displayNames.front().second;
}

bool isAbsoluteHttpUrl(std::string_view url) {
  std::string lower;
  for (char c : url.substr(0, 8)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t rest;
  if (lower.starts_with("https://")) rest = 8;
  else if (lower.starts_with("http://")) rest = 7;
  else return false;
  if (url.size() > 2048) return false;
  // ASCII only: non-ASCII hosts must come IDNA-encoded, which also rules out look-alike
  // letters and bidi controls in what an operator reads as the SP's address.
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7F || c == '#' || c == '<' || c == '>' || c == '"' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}')
      return false;
  std::string_view authority = url.substr(rest);
  authority = authority.substr(0, authority.find_first_of("/?"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return false;
    if (!after.empty()) port = after.substr(1);
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty() || host.find_first_of("[]") != std::string_view::npos) return false;
    for (char c : host)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) return false;
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
    if (std::stoul(std::string(port)) > 65535 || std::stoul(std::string(port)) == 0) return false;
  }
  return true;
}

Result<MetadataSignature> checkMetadataDocument(xmlDoc* doc, std::span<X509* const> trustAnchors,
                                                const xml::SchemaSet* schemas) {
  xmlNode* root = xmlDocGetRootElement(doc);
  MetadataSignature sig;
  sig.present = crypto::signatureChild(root) != nullptr;
  if (!trustAnchors.empty()) {
    if (!sig.present) return invalid("metadata is not signed, but a trust anchor was given");
    auto v = crypto::verifyEnveloped(root, trustAnchors);
    if (!v) return invalid("metadata signature: " + v.error().detail);
    sig.verified = true;
  }
  std::shared_ptr<const xml::SchemaSet> shared;
  if (!schemas) {
    shared = xml::SchemaSet::shared();
    schemas = shared.get();
  }
  if (auto st = schemas->validate(doc); !st) return std::unexpected(st.error());
  return sig;
}

Result<SpMetadata> parseSpMetadata(std::string_view xmlText, const MetadataCheck& check) {
  xml::ParseLimits limits;
  limits.maxBytes = 1 << 20;  // SP metadata with several certs and mdui logos can be large
  auto doc = xml::parseSecure(xmlText, limits);
  if (!doc) return std::unexpected(doc.error());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  if (xml::isElement(root, ns::kMd, "EntitiesDescriptor"))
    return invalid("this is an EntitiesDescriptor (an aggregate); give one SP's EntityDescriptor");
  if (!xml::isElement(root, ns::kMd, "EntityDescriptor"))
    return invalid("root element is not md:EntityDescriptor");

  SpMetadata md;
  auto sig = checkMetadataDocument(doc->get(), check.trustAnchors, check.schemas);
  if (!sig) return std::unexpected(sig.error());
  md.signed_ = sig->present;
  md.signatureVerified = sig->verified;

  md.entityId = attr(root, "entityID").value_or("");
  if (md.entityId.empty() || md.entityId.size() > 1024)
    return invalid("entityID must be 1..1024 characters (metadata §2.3.2)");
  for (unsigned char c : md.entityId)
    if (c <= 0x20 || c == 0x7F) return invalid("entityID must not contain spaces or control characters");

  if (auto st = readValidUntil(root, md.validUntil); !st) return std::unexpected(st.error());

  xmlNode* sso = nullptr;
  for (xmlNode* d : children(root, ns::kMd, "SPSSODescriptor"))
    if (supportsSaml2(attr(d, "protocolSupportEnumeration").value_or(""))) {
      sso = d;
      break;
    }
  if (!sso) return invalid("no SPSSODescriptor supporting SAML 2.0 (this is not SP metadata)");
  if (auto st = readValidUntil(sso, md.validUntil); !st) return std::unexpected(st.error());
  if (md.validUntil && *md.validUntil <= check.now)
    return invalid("metadata expired at " + formatXsDateTime(*md.validUntil) + " (validUntil)");

  md.authnRequestsSigned = xml::boolAttr(sso, "AuthnRequestsSigned").value_or(false);
  md.wantAssertionsSigned = xml::boolAttr(sso, "WantAssertionsSigned").value_or(false);

  std::set<unsigned> indexes;
  for (xmlNode* e : children(sso, ns::kMd, "AssertionConsumerService")) {
    auto ep = readEndpoint(e, true, "AssertionConsumerService");
    if (!ep) return std::unexpected(ep.error());
    if (ep->index && !indexes.insert(*ep->index).second)
      return invalid("two AssertionConsumerService elements share index " + std::to_string(*ep->index));
    md.assertionConsumerServices.push_back(std::move(*ep));
  }
  if (md.assertionConsumerServices.empty()) return invalid("no AssertionConsumerService");
  for (xmlNode* e : children(sso, ns::kMd, "SingleLogoutService")) {
    auto ep = readEndpoint(e, false, "SingleLogoutService");
    if (!ep) return std::unexpected(ep.error());
    md.singleLogoutServices.push_back(std::move(*ep));
  }
  for (xmlNode* e : children(sso, ns::kMd, "NameIDFormat")) md.nameIdFormats.push_back(xml::trimmedText(e));
  if (xmlNode* ui = child(child(sso, ns::kMd, "Extensions"), ns::kMdui, "UIInfo"))
    for (xmlNode* dn : children(ui, ns::kMdui, "DisplayName")) {
      auto lang = takeLang(dn);
      std::string name = xml::trimmedText(dn);
      if (!name.empty() && name.size() <= 256) md.displayNames.emplace_back(lang, name);
    }
  if (auto st = readKeys(sso, md); !st) return std::unexpected(st.error());
  return md;
}

}  // namespace propusk::saml
