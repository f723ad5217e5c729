// Builds LogoutRequests/LogoutResponses and a registered SP for the logout step tests.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "idp/saml/messages/logout_request.h"
#include "idp/saml/messages/logout_response.h"
#include "idp/saml/validation/logout_steps.h"
#include "saml/validation/fixture.h"

namespace propusk::test {

inline constexpr char kSlo[] = "https://idp.example.ru/saml/slo";
inline constexpr char kSoapSlo[] = "https://idp.example.ru/saml/soap";
inline constexpr char kIdpEntity[] = "https://idp.example.ru/saml/metadata";
inline constexpr char kSpSlo[] = "https://sp.example.org/slo";
inline constexpr char kPersistentNameId[] =
    R"(<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" NameQualifier="https://idp.example.ru/saml/metadata" SPNameQualifier="https://sp.example.org/sp">pairwise-42</saml:NameID>)";

struct LogoutRequestFields {
  std::string id = "_lo1";
  std::string issueInstant = "2026-01-10T10:00:00Z";
  std::string destination = kSlo;  // empty: omitted
  std::string issuer = kSpId;      // empty: omitted
  std::string extraAttrs;          // e.g. NotOnOrAfter="..."
  std::string extensions;          // inside samlp:Extensions after the Issuer; empty: none
  std::string identifier = kPersistentNameId;
  std::string sessionIndexes = "<samlp:SessionIndex>_sess-1</samlp:SessionIndex>";
};

inline std::string logoutRequestXml(const LogoutRequestFields& f) {
  std::string x = R"(<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID=")" +
                  f.id + R"(" Version="2.0" IssueInstant=")" + f.issueInstant + "\"";
  if (!f.destination.empty()) x += " Destination=\"" + f.destination + "\"";
  x += " " + f.extraAttrs + ">";
  if (!f.issuer.empty()) x += "<saml:Issuer>" + f.issuer + "</saml:Issuer>";
  if (!f.extensions.empty()) x += "<samlp:Extensions>" + f.extensions + "</samlp:Extensions>";
  return x + f.identifier + f.sessionIndexes + "</samlp:LogoutRequest>";
}

struct LogoutResponseFields {
  std::string id = "_lr1";
  std::string inResponseTo = "_idp-lo-1";  // empty: omitted
  std::string issueInstant = "2026-01-10T10:00:00Z";
  std::string destination = kSlo;  // empty: omitted
  std::string issuer = kSpId;      // empty: omitted
  std::string status = "urn:oasis:names:tc:SAML:2.0:status:Success";
  std::string second;              // nested StatusCode; empty: none
  std::string message;             // StatusMessage; empty: none
};

inline std::string logoutResponseXml(const LogoutResponseFields& f) {
  std::string x = R"(<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID=")" +
                  f.id + R"(" Version="2.0" IssueInstant=")" + f.issueInstant + "\"";
  if (!f.inResponseTo.empty()) x += " InResponseTo=\"" + f.inResponseTo + "\"";
  if (!f.destination.empty()) x += " Destination=\"" + f.destination + "\"";
  x += ">";
  if (!f.issuer.empty()) x += "<saml:Issuer>" + f.issuer + "</saml:Issuer>";
  x += "<samlp:Status><samlp:StatusCode Value=\"" + f.status + "\">";
  if (!f.second.empty()) x += "<samlp:StatusCode Value=\"" + f.second + "\"/>";
  x += "</samlp:StatusCode>";
  if (!f.message.empty()) x += "<samlp:StatusMessage>" + f.message + "</samlp:StatusMessage>";
  return x + "</samlp:Status></samlp:LogoutResponse>";
}

// One key per process: RSA key generation is the slow part of these tests.
inline const crypto::KeyPair& logoutSpKey() {
  static const crypto::KeyPair kp = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "sp", 30, FixedClock("2026-01-10T10:00:00Z"));
  return kp;
}
inline const crypto::KeyPair& attackerKey() {
  static const crypto::KeyPair kp = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "attacker", 30, FixedClock("2026-01-10T10:00:00Z"));
  return kp;
}

// SP metadata with an SLO endpoint per front-channel binding and SOAP; with or without a
// signing key.
inline std::string logoutSpMetadata(const std::string& entityId, const X509* signingCert) {
  std::string md = R"(<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID=")" +
                   entityId + R"("><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)";
  if (signingCert)
    md += R"(<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>)" +
          crypto::certificateBase64Der(signingCert) + R"(</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>)";
  md += std::string(R"(<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://sp.example.org/soap"/>)") +
        R"(<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location=")" + kSpSlo +
        R"(" ResponseLocation="https://sp.example.org/slo-response"/>)" +
        R"(<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location=")" + kSpSlo + R"("/>)" +
        R"(<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location=")" + kAcs +
        R"(" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>)";
  return md;
}

inline std::shared_ptr<saml::RegisteredSp> registeredSp(const std::string& metadata) {
  saml::MetadataCheck check;
  auto parsed = saml::parseSpMetadata(metadata, check);
  if (!parsed) throw std::runtime_error("fixture metadata: " + parsed.error().detail);
  auto sp = std::make_shared<saml::RegisteredSp>();
  sp->metadata = std::move(*parsed);
  return sp;
}

struct LogoutFixture {
  FixedClock clock{"2026-01-10T10:01:00Z"};
  MapDirectory directory;
  store::MemoryReplayCache replay;
  saml::QuerySignature querySignature;
  saml::RequestContext ctx;

  // spSigns: the SP's metadata has a signing key (logoutSpKey()).
  explicit LogoutFixture(bool spSigns = true, saml::Binding binding = saml::Binding::Post) {
    directory.sps[kSpId] = registeredSp(logoutSpMetadata(kSpId, spSigns ? logoutSpKey().cert.get() : nullptr));
    ctx.now = clock.now();
    ctx.sloUrl = binding == saml::Binding::Soap ? kSoapSlo : kSlo;
    ctx.ssoUrl = kSso;
    ctx.binding = binding;
    ctx.sps = &directory;
    ctx.replay = &replay;
  }

  // Redirect binding: the query's detached signature, as decodeRedirect returned it.
  void useQuery(const saml::RedirectMessage& m) {
    querySignature = {m.sigAlg, m.signature, m.signedOctets};
    ctx.binding = saml::Binding::Redirect;
    ctx.querySignature = &querySignature;
  }

  static saml::LogoutRequest parseRequest(const std::string& xml) {
    auto r = saml::parseLogoutRequest(xml, *xml::SchemaSet::shared());
    if (!r) throw std::runtime_error("fixture LogoutRequest does not parse: " + r.error().detail);
    return std::move(*r);
  }
  static saml::LogoutResponse parseResponse(const std::string& xml) {
    auto r = saml::parseLogoutResponse(xml, *xml::SchemaSet::shared());
    if (!r) throw std::runtime_error("fixture LogoutResponse does not parse: " + r.error().detail);
    return std::move(*r);
  }

  // POST/SOAP: enveloped signature after Issuer, serialised as a peer would send it.
  static std::string signXml(const std::string& xmlText, const crypto::KeyPair& key) {
    auto doc = xml::parseSecure(xmlText);
    if (!doc) throw std::runtime_error(doc.error().detail);
    xmlNode* root = xmlDocGetRootElement(doc->get());
    auto st = crypto::signEnveloped(root, xml::child(root, xml::ns::kSaml, "Issuer"), key.key.get(), key.cert.get());
    if (!st) throw std::runtime_error(st.error().detail);
    return xml::serialize(doc->get());
  }

  // Runs the table's steps up to and including `last`.
  template <class Message, std::size_t N>
  Status runThrough(const saml::StepFor<Message> (&steps)[N], const Message& m, std::string_view last) {
    for (auto& s : steps) {
      if (auto st = s.fn(m, ctx); !st) return st;
      if (s.name == last) return {};
    }
    throw std::logic_error("no step named " + std::string(last));
  }
  Status runThrough(const saml::LogoutRequest& m, std::string_view last) {
    return runThrough(saml::kLogoutRequestSteps, m, last);
  }
  Status runThrough(const saml::LogoutResponse& m, std::string_view last) {
    return runThrough(saml::kLogoutResponseSteps, m, last);
  }
};

}  // namespace propusk::test
