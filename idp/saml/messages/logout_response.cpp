#include "idp/saml/messages/logout_response.h"

#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"

namespace propusk::saml {

namespace ns = xml::ns;

namespace {
std::optional<StatusCode> topLevel(std::string_view uri) {
  for (StatusCode c : {StatusCode::Success, StatusCode::Requester, StatusCode::Responder, StatusCode::VersionMismatch})
    if (statusCodeUri(c) == uri) return c;
  return std::nullopt;
}
}  // namespace

Result<LogoutResponse> parseLogoutResponse(std::string_view text, const xml::SchemaSet& schemas) {
  auto common = parseProtocolMessage(text, "LogoutResponse", schemas);
  if (!common) return std::unexpected(common.error());
  LogoutResponse r;
  static_cast<ProtocolMessage&>(r) = std::move(*common);
  r.inResponseTo = xml::attr(r.root, "InResponseTo");

  // The schema guarantees Status/StatusCode with a Value.
  xmlNode* status = xml::child(r.root, ns::kSamlp, "Status");
  xmlNode* code = xml::child(status, ns::kSamlp, "StatusCode");
  std::string value = xml::collapsedAttr(code, "Value").value_or("");
  auto top = topLevel(value);
  if (!top) return invalid("top-level StatusCode '" + value + "' is not one of core §3.2.2.2");
  r.status = *top;
  if (xmlNode* second = xml::child(code, ns::kSamlp, "StatusCode")) r.secondLevelStatus = xml::collapsedAttr(second, "Value");
  if (xmlNode* msg = xml::child(status, ns::kSamlp, "StatusMessage")) r.statusMessage = xml::text(msg);
  return r;
}

}  // namespace propusk::saml
