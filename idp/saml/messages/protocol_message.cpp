#include "idp/saml/messages/protocol_message.h"

#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::saml {

Result<ProtocolMessage> parseProtocolMessage(std::string_view text, const char* localName,
                                             const xml::SchemaSet& schemas) {
  auto doc = xml::parseSecure(text);
  if (!doc) return std::unexpected(doc.error());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  if (!xml::isElement(root, xml::ns::kSamlp, localName))
    return invalid(std::string("message is not a samlp:") + localName);
  // Version first: a SAML 1.x or 3.0 message gets VersionMismatch, not a schema complaint.
  auto version = xml::attr(root, "Version").value_or("");
  if (version != "2.0")
    return fail(StatusCode::VersionMismatch, status::kNone, "Version is '" + version + "', not 2.0");
  if (auto st = schemas.validate(doc->get()); !st) return std::unexpected(st.error());

  ProtocolMessage m;
  m.root = root;
  m.id = *xml::attr(root, "ID");  // required by the schema
  m.version = version;
  auto instant = parseXsDateTime(*xml::collapsedAttr(root, "IssueInstant"));
  if (!instant) return invalid("IssueInstant is not a valid time");
  m.issueInstant = *instant;
  m.destination = xml::attr(root, "Destination");
  if (xmlNode* issuer = xml::child(root, xml::ns::kSaml, "Issuer")) {
    m.issuer = xml::trimmedText(issuer);
    m.issuerFormat = xml::attr(issuer, "Format");
  }
  m.doc = std::move(*doc);
  return m;
}

}  // namespace propusk::saml
