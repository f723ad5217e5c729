#include "idp/cli/samlflow/message_decoder.h"

#include <algorithm>
#include <cctype>

#include "idp/cli/samlflow/html_forms.h"
#include "idp/core/base64.h"
#include "idp/core/inflate.h"
#include "idp/saml/bindings/redirect.h"
#include "idp/saml/sp/response_verifier.h"
#include "idp/xml/dom.h"
#include "idp/xml/parser.h"

namespace propusk::cli::samlflow {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool looksLikeXml(std::string_view s) {
  s = trim(s);
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  return s.starts_with("<");
}

bool looksLikeHtml(std::string_view s) {
  std::string head(s.substr(0, 4096));
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  return head.find("<!doctype html") != std::string::npos || head.find("<html") != std::string::npos ||
         head.find("<form") != std::string::npos;
}

// base64 text -> XML, inflating when the bytes are not XML already (Redirect encoding).
Result<std::pair<std::string, bool>> fromBase64(std::string_view text) {
  auto bytes = base64Decode(trim(text));
  if (!bytes) return invalid("not base64: " + bytes.error().detail);
  if (looksLikeXml(*bytes)) return std::pair{std::move(*bytes), false};
  auto inflated = inflateRaw(*bytes);
  if (!inflated) return invalid("base64 decodes to neither XML nor raw DEFLATE: " + inflated.error().detail);
  if (!looksLikeXml(*inflated)) return invalid("the inflated message is not XML");
  return std::pair{std::move(*inflated), true};
}

}  // namespace

Result<DecodedMessage> decodeMessage(std::string_view input, const std::optional<std::string>& field) {
  DecodedMessage m;
  std::string_view text = trim(input);
  if (text.empty()) return invalid("empty input");

  if (looksLikeXml(text) && looksLikeHtml(text)) {  // an auto-POST page
    auto page = readPage(text, "http://localhost/");
    if (!page) return std::unexpected(page.error());
    for (std::string name : field ? std::vector<std::string>{*field} : std::vector<std::string>{"SAMLResponse", "SAMLRequest"}) {
      if (const HtmlForm* f = findFormWith(*page, name)) {
        auto xml = fromBase64(f->value(name).value_or(""));
        if (!xml) return invalid(name + ": " + xml.error().detail);
        m.field = name;
        m.encoding = xml->second ? "deflate+base64" : "post";
        m.xml = std::move(xml->first);
        m.relayState = f->value("RelayState");
        return m;
      }
    }
    return invalid("the HTML page has no form carrying a SAML message");
  }
  if (looksLikeXml(text)) {
    m.encoding = "xml";
    m.xml = std::string(text);
    return m;
  }

  // A URL, a query string or a form body: name=value pairs.
  std::string_view query = text;
  if (auto q = text.find('?'); q != std::string_view::npos && text.find("://") != std::string_view::npos)
    query = text.substr(q + 1);
  if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  std::vector<std::string> names = field ? std::vector<std::string>{*field} : std::vector<std::string>{"SAMLRequest", "SAMLResponse"};
  for (auto& name : names) {
    std::optional<std::string> raw, relay;
    for (auto [n, v] : saml::splitQuery(query)) {
      if (n == name && !raw) raw = std::string(v);
      if (n == "RelayState" && !relay) relay = saml::urlDecode(v);
    }
    if (!raw) continue;
    auto value = saml::urlDecode(*raw);
    if (!value) return invalid(name + ": bad URL encoding");
    auto xml = fromBase64(*value);
    if (!xml) return invalid(name + ": " + xml.error().detail);
    m.field = name;
    m.xml = std::move(xml->first);
    m.relayState = relay;
    if (xml->second) {
      m.encoding = "redirect";
      // The Redirect binding's own parser, for SigAlg/Signature as the IdP would see them.
      if (auto r = saml::decodeRedirect(query)) {
        m.sigAlg = r->sigAlg;
        m.hasQuerySignature = r->signature.has_value();
      }
    } else {
      m.encoding = "post";
    }
    return m;
  }
  if (text.find('=') != std::string_view::npos && text.find('&') != std::string_view::npos)
    return invalid("no " + (field ? *field : std::string("SAMLRequest or SAMLResponse")) + " field in the query/form");

  auto xml = fromBase64(text);
  if (!xml) return std::unexpected(xml.error());
  m.encoding = xml->second ? "deflate+base64" : "base64";
  m.xml = std::move(xml->first);
  return m;
}

namespace {
void dropBlankText(xmlNode* n) {
  bool hasElement = false;
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) hasElement = true;
  for (xmlNode* c = n->children; c;) {
    xmlNode* next = c->next;
    if (hasElement && c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
      xmlUnlinkNode(c);
      xml::XmlNodePtr owned(c);
    } else if (c->type == XML_ELEMENT_NODE) {
      dropBlankText(c);
    }
    c = next;
  }
}
}  // namespace

Result<std::string> prettyXml(std::string_view text) {
  xml::ParseLimits limits = saml::sp::responseParseLimits();  // the largest message decoded is a Response
  limits.maxBytes = 1 << 20;
  auto doc = xml::parseSecure(text, limits);
  if (!doc) return std::unexpected(doc.error());
  dropBlankText(xmlDocGetRootElement(doc->get()));
  xml::XmlBufferPtr buf(xmlBufferCreate());
  {
    xml::XmlSaveCtxtPtr save(xmlSaveToBuffer(buf.get(), "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL));
    if (!save || xmlSaveDoc(save.get(), doc->get()) < 0) return invalid("cannot serialise the message");
  }
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())), xmlBufferLength(buf.get()));
}

}  // namespace propusk::cli::samlflow
