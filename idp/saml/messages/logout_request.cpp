#include "idp/saml/messages/logout_request.h"

#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"

namespace propusk::saml {

namespace ns = xml::ns;

Result<LogoutRequest> parseLogoutRequest(std::string_view text, const xml::SchemaSet& schemas) {
  auto common = parseProtocolMessage(text, "LogoutRequest", schemas);
  if (!common) return std::unexpected(common.error());
  LogoutRequest r;
  static_cast<ProtocolMessage&>(r) = std::move(*common);
  xmlNode* root = r.root;

  if (auto v = xml::collapsedAttr(root, "NotOnOrAfter")) {
    // A time the schema accepts but we cannot read must not pass as "no expiry".
    auto t = parseXsDateTime(*v);
    if (!t) return invalid("NotOnOrAfter '" + *v + "' is not a time this IdP can read");
    r.notOnOrAfter = *t;
  }
  r.reason = xml::attr(root, "Reason");

  // The schema guarantees exactly one of BaseID, NameID, EncryptedID.
  if (xmlNode* n = xml::child(root, ns::kSaml, "NameID")) {
    NameID id;
    id.value = xml::trimmedText(n);
    id.format = xml::attr(n, "Format");
    id.nameQualifier = xml::attr(n, "NameQualifier");
    id.spNameQualifier = xml::attr(n, "SPNameQualifier");
    r.nameId = std::move(id);
  } else if (xml::child(root, ns::kSaml, "EncryptedID")) {
    r.identifier = LogoutIdentifier::EncryptedID;
  } else {
    r.identifier = LogoutIdentifier::BaseID;
  }
  for (xmlNode* s : xml::children(root, ns::kSamlp, "SessionIndex")) r.sessionIndexes.push_back(xml::trimmedText(s));
  return r;
}

}  // namespace propusk::saml
