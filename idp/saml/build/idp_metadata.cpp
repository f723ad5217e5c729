#include "idp/saml/build/idp_metadata.h"

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/messages/sp_metadata.h"
#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
#include "idp/xml/ids.h"
#include "idp/xml/namespaces.h"

namespace propusk::saml {

namespace {
std::string xsDuration(std::chrono::seconds s) { return "PT" + std::to_string(s.count()) + "S"; }

constexpr const char* kNameIdFormats[] = {
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
};
}  // namespace

Result<std::string> buildIdpMetadata(const IdpMetadataInput& in, Random& random) {
  using namespace xml;
  xmlNode* root = nullptr;
  auto doc = newDocument(ns::kMd, "md", "EntityDescriptor", &root);
  xmlNs* md = root->ns;
  xmlNs* ds = declareNs(root, ns::kDs, "ds");
  setAttr(root, "ID", random.samlId());
  setAttr(root, "entityID", in.entityId);
  setAttr(root, "validUntil", formatXsDateTime(in.now + in.validity));
  setAttr(root, "cacheDuration", xsDuration(in.cacheDuration));

  xmlNode* idp = addChild(root, md, "IDPSSODescriptor");
  setAttr(idp, "protocolSupportEnumeration", kProtocolSaml2);
  setAttr(idp, "WantAuthnRequestsSigned", in.wantAuthnRequestsSigned ? "true" : "false");
  for (const X509* cert : in.publishedCertificates) {
    xmlNode* kd = addChild(idp, md, "KeyDescriptor");
    setAttr(kd, "use", "signing");
    xmlNode* ki = addChild(kd, ds, "KeyInfo");
    xmlNode* data = addChild(ki, ds, "X509Data");
    addChild(data, ds, "X509Certificate", crypto::certificateBase64Der(cert));
  }
  for (auto binding : {kBindingRedirect, kBindingPost}) {
    xmlNode* slo = addChild(idp, md, "SingleLogoutService");
    setAttr(slo, "Binding", binding);
    setAttr(slo, "Location", in.baseUrl + "/saml/slo");
  }
  if (in.advertiseSoapLogout) {
    xmlNode* soapSlo = addChild(idp, md, "SingleLogoutService");
    setAttr(soapSlo, "Binding", kBindingSoap);
    setAttr(soapSlo, "Location", in.baseUrl + "/saml/soap");
  }
  for (const char* f : kNameIdFormats) addChild(idp, md, "NameIDFormat", f);
  for (auto binding : {kBindingRedirect, kBindingPost}) {
    xmlNode* sso = addChild(idp, md, "SingleSignOnService");
    setAttr(sso, "Binding", binding);
    setAttr(sso, "Location", in.baseUrl + "/saml/sso");
  }

  if (in.signingKey) {
    if (auto st = markId(root); !st) return std::unexpected(st.error());
    crypto::SignOptions opts;
    opts.algorithm = crypto::defaultAlgorithmFor(in.signingKey);
    // metadata §3.1.1: the Signature is the first child of the signed element.
    if (auto st = crypto::signEnveloped(root, nullptr, in.signingKey, in.signingCertificate, opts); !st)
      return std::unexpected(st.error());
  }
  return serialize(doc.get());
}

}  // namespace propusk::saml
