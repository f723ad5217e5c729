// Builds AuthnRequests and a registered SP for the validation step tests.
#pragma once

#include <map>
#include <string>

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/messages/authn_request.h"
#include "idp/saml/validation/steps.h"
#include "idp/store/memory_replay_cache.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::test {

inline constexpr char kSpId[] = "https://sp.example.org/sp";
inline constexpr char kSso[] = "https://idp.example.ru/saml/sso";
inline constexpr char kAcs[] = "https://sp.example.org/acs";

class MapDirectory final : public saml::SpDirectory {
 public:
  std::map<std::string, std::shared_ptr<const saml::RegisteredSp>, std::less<>> sps;
  std::shared_ptr<const saml::RegisteredSp> find(std::string_view id) override {
    auto it = sps.find(id);
    return it == sps.end() ? nullptr : it->second;
  }
};

struct RequestFields {
  std::string id = "_req1";
  std::string issueInstant = "2026-01-10T10:00:00Z";
  std::string destination = kSso;  // empty: omitted
  std::string issuer = kSpId;      // empty: omitted
  std::string extraAttrs;          // e.g. AssertionConsumerServiceURL="..."
  std::string body;                // children after Issuer
};

inline std::string authnRequestXml(const RequestFields& f) {
  std::string x = R"(<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID=")" +
                  f.id + R"(" Version="2.0" IssueInstant=")" + f.issueInstant + "\"";
  if (!f.destination.empty()) x += " Destination=\"" + f.destination + "\"";
  x += " " + f.extraAttrs + ">";
  if (!f.issuer.empty()) x += "<saml:Issuer>" + f.issuer + "</saml:Issuer>";
  return x + f.body + "</samlp:AuthnRequest>";
}

struct StepFixture {
  FixedClock clock{"2026-01-10T10:01:00Z"};
  crypto::KeyPair spKey = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "sp", 30, clock);
  MapDirectory directory;
  store::MemoryReplayCache replay;
  saml::RequestContext ctx;

  explicit StepFixture(bool authnRequestsSigned = false, const std::string& extraAcs = "",
                       const std::string& nameIdFormats = "") {
    std::string md = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID=")" +
                     std::string(kSpId) + R"("><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned=")" +
                     (authnRequestsSigned ? "true" : "false") +
                     R"("><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>)" +
                     crypto::certificateBase64Der(spKey.cert.get()) +
                     R"(</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>)" + nameIdFormats +
                     R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location=")" +
                     kAcs + R"(" index="1"/>)" + extraAcs + "</md:SPSSODescriptor></md:EntityDescriptor>";
    saml::MetadataCheck check;
    auto parsed = saml::parseSpMetadata(md, check);
    if (!parsed) throw std::runtime_error(parsed.error().detail);
    auto sp = std::make_shared<saml::RegisteredSp>();
    sp->metadata = std::move(*parsed);
    directory.sps[kSpId] = sp;
    ctx.now = clock.now();
    ctx.ssoUrl = kSso;
    ctx.sps = &directory;
    ctx.replay = &replay;
  }

  saml::AuthnRequest parse(const std::string& xml) {
    auto r = saml::parseAuthnRequest(xml, *xml::SchemaSet::shared());
    if (!r) throw std::runtime_error("fixture request does not parse: " + r.error().detail);
    return std::move(*r);
  }

  // POST binding: enveloped signature after Issuer, serialised and re-parsed as a peer would.
  std::string signXml(const std::string& xmlText, const crypto::KeyPair& key) {
    auto doc = xml::parseSecure(xmlText);
    xmlNode* root = xmlDocGetRootElement(doc->get());
    auto st = crypto::signEnveloped(root, xml::child(root, xml::ns::kSaml, "Issuer"), key.key.get(), key.cert.get());
    if (!st) throw std::runtime_error(st.error().detail);
    return xml::serialize(doc->get());
  }

  // Runs the steps up to and including `last`.
  Status runThrough(const saml::AuthnRequest& req, std::string_view last) {
    for (auto& s : saml::kAuthnRequestSteps) {
      if (auto st = s.fn(req, ctx); !st) return st;
      if (s.name == last) break;
    }
    return {};
  }
};

}  // namespace propusk::test
