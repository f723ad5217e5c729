#include "idp/saml/bindings/soap.h"

#include <memory>
#include <vector>

#include "idp/xml/dom.h"
#include "idp/xml/handles.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::saml {

namespace {

using xml::ns::kSoap;

std::unexpected<SoapFault> fault(SoapFaultCode code, std::string detail) {
  return std::unexpected(SoapFault{code, std::move(detail)});
}

bool isWhitespace(const xmlChar* s) {
  for (; s && *s; ++s)
    if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return false;
  return true;
}

// The element children of a SOAP structure element; text other than whitespace and
// processing instructions (SOAP 1.1 §3) are refused, comments are skipped.
std::expected<std::vector<xmlNode*>, SoapFault> structureChildren(const xmlNode* parent, const char* what) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent->children; c; c = c->next) {
    switch (c->type) {
      case XML_ELEMENT_NODE: out.push_back(c); break;
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        if (!isWhitespace(c->content)) return fault(SoapFaultCode::Client, std::string("text inside soap:") + what);
        break;
      case XML_COMMENT_NODE: break;
      default: return fault(SoapFaultCode::Client, std::string("unexpected node inside soap:") + what);
    }
  }
  return out;
}

// SOAP 1.1 §4.2.3: mustUnderstand is "1" or "0"; "true"/"false" (SOAP 1.2's spelling, and
// xs:boolean) are read the same way rather than let through.
std::expected<bool, SoapFault> mustUnderstand(const xmlNode* entry) {
  xmlChar* raw = xmlGetNsProp(entry, BAD_CAST "mustUnderstand", BAD_CAST kSoap);
  if (!raw) return false;
  std::string v = xml::takeString(raw);
  auto trim = [](std::string& s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.pop_back();
    std::size_t b = s.find_first_not_of(" \t\r\n");
    s.erase(0, b == std::string::npos ? s.size() : b);
  };
  trim(v);
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  return fault(SoapFaultCode::Client, "mustUnderstand is neither 0 nor 1");
}

std::string qname(const xmlNode* n) {
  std::string out = n->ns && n->ns->href ? "{" + std::string(reinterpret_cast<const char*>(n->ns->href)) + "}" : "";
  return out + reinterpret_cast<const char*>(n->name);
}

// A copy of `element` as the root of a document of its own, with every namespace in scope
// at `element` declared on the copy.
std::expected<std::string, SoapFault> standalone(xmlNode* element) {
  xml::XmlDocPtr doc(xmlNewDoc(BAD_CAST "1.0"));
  if (!doc) return fault(SoapFaultCode::Server, "xmlNewDoc failed");
  // libxml2 declares on the copy's root any prefix the copied elements and attributes use
  // but that was declared above `element`; the rest of the in-scope set is added below.
  xmlNode* copy = xmlDocCopyNode(element, doc.get(), 1);
  if (!copy) return fault(SoapFaultCode::Server, "copying the Body element failed");
  xmlDocSetRootElement(doc.get(), copy);
  std::unique_ptr<xmlNs*, xml::XmlFreeFn> inScope(xmlGetNsList(element->doc, element));
  for (xmlNs** n = inScope.get(); n && *n; ++n) {
    bool declared = false;
    for (xmlNs* d = copy->nsDef; d && !declared; d = d->next) declared = xmlStrEqual(d->prefix, (*n)->prefix);
    if (!declared && !xmlNewNs(copy, (*n)->href, (*n)->prefix))
      return fault(SoapFaultCode::Server, "declaring an inherited namespace failed");
  }
  return xml::serialize(doc.get());
}

}  // namespace

std::expected<SoapBody, SoapFault> unwrapSoap(std::string_view envelope) {
  auto doc = xml::parseSecure(envelope);
  if (!doc) return fault(SoapFaultCode::Client, doc.error().detail);
  xmlNode* root = xmlDocGetRootElement(doc->get());
  if (!root->ns || !xmlStrEqual(root->name, BAD_CAST "Envelope"))
    return fault(SoapFaultCode::Client, "root element is not a SOAP Envelope: " + qname(root));
  // SOAP 1.1 §4.4.1: an envelope in another namespace (SOAP 1.2's, say) is a VersionMismatch.
  if (!xmlStrEqual(root->ns->href, BAD_CAST kSoap))
    return fault(SoapFaultCode::VersionMismatch, "envelope namespace is not SOAP 1.1: " + qname(root));

  auto parts = structureChildren(root, "Envelope");
  if (!parts) return std::unexpected(parts.error());
  std::size_t next = 0;
  if (next < parts->size() && xml::isElement((*parts)[next], kSoap, "Header")) {
    auto entries = structureChildren((*parts)[next], "Header");
    if (!entries) return std::unexpected(entries.error());
    // bindings §3.2.2.2 defines no header; SOAP 1.1 §4.2.3: a mandatory one we do not know
    // must fail the whole message.
    for (xmlNode* e : *entries) {
      auto must = mustUnderstand(e);
      if (!must) return std::unexpected(must.error());
      if (*must) return fault(SoapFaultCode::MustUnderstand, "header " + qname(e) + " has mustUnderstand set");
    }
    ++next;
  }
  if (next >= parts->size() || !xml::isElement((*parts)[next], kSoap, "Body"))
    return fault(SoapFaultCode::Client, "envelope has no soap:Body where one is expected");
  xmlNode* body = (*parts)[next++];
  if (next != parts->size()) return fault(SoapFaultCode::Client, "elements after soap:Body: " + qname((*parts)[next]));

  auto content = structureChildren(body, "Body");
  if (!content) return std::unexpected(content.error());
  // bindings §3.2.2.1: the SAML message is the only element of the Body.
  if (content->size() != 1)
    return fault(SoapFaultCode::Client, "soap:Body holds " + std::to_string(content->size()) + " elements, not one");
  xmlNode* message = content->front();

  SoapBody out;
  auto text = standalone(message);
  if (!text) return std::unexpected(text.error());
  out.xml = std::move(*text);
  if (message->ns && message->ns->href) out.namespaceUri = reinterpret_cast<const char*>(message->ns->href);
  out.localName = reinterpret_cast<const char*>(message->name);
  return out;
}

std::string wrapSoap(std::string_view messageXml) {
  std::string_view m = messageXml;
  if (m.starts_with("<?xml")) {
    auto end = m.find("?>");
    m = end == std::string_view::npos ? m : m.substr(end + 2);
  }
  while (!m.empty() && (m.front() == ' ' || m.front() == '\t' || m.front() == '\r' || m.front() == '\n'))
    m.remove_prefix(1);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"";
  out += kSoap;
  out += "\"><SOAP-ENV:Body>";
  out += m;
  out += "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
  return out;
}

std::string buildSoapFault(SoapFaultCode code) {
  std::string_view name, text;
  switch (code) {
    case SoapFaultCode::VersionMismatch:
      name = "VersionMismatch";
      text = "Only SOAP 1.1 envelopes are accepted";
      break;
    case SoapFaultCode::MustUnderstand:
      name = "MustUnderstand";
      text = "A mandatory SOAP header was not understood";
      break;
    case SoapFaultCode::Client:
      name = "Client";
      text = "The message could not be processed";
      break;
    case SoapFaultCode::Server:
      name = "Server";
      text = "The server could not process the message";
      break;
  }
  // SOAP 1.1 §4.4: faultcode is a QName in the envelope namespace; faultcode and
  // faultstring themselves are unqualified.
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"";
  out += kSoap;
  out += "\"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:";
  out += name;
  out += "</faultcode><faultstring>";
  out += text;
  out += "</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";
  return out;
}

}  // namespace propusk::saml
