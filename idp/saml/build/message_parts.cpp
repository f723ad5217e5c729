#include "idp/saml/build/message_parts.h"

#include "idp/xml/builder.h"
#include "idp/xml/ids.h"

namespace propusk::saml {

void addStatus(xmlNode* parent, xmlNs* samlp, StatusCode top, std::string_view second) {
  xmlNode* status = xml::addChild(parent, samlp, "Status");
  xmlNode* code = xml::addChild(status, samlp, "StatusCode");
  xml::setAttr(code, "Value", statusCodeUri(top));
  if (!second.empty()) xml::setAttr(xml::addChild(code, samlp, "StatusCode"), "Value", second);
}

Status signAfterIssuer(xmlNode* element, xmlNode* issuer, const MessageSigning& signing) {
  if (auto st = xml::markId(element); !st) return st;
  crypto::SignOptions opts;
  opts.algorithm = signing.algorithm;
  opts.includeCertificate = signing.cert != nullptr;
  return crypto::signEnveloped(element, issuer, signing.key, signing.cert, opts);
}

}  // namespace propusk::saml
