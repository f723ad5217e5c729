#include "idp/xml/html.h"

#include <libxml/HTMLparser.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "idp/xml/parser.h"

namespace propusk::xml {

namespace {
bool declaresCharset(std::string_view bytes) {
  std::string head(bytes.substr(0, 2048));
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  return head.find("charset") != std::string::npos;
}
}  // namespace

Result<XmlDocPtr> parseHtml(std::string_view bytes, const std::optional<std::string>& charset, std::size_t maxBytes) {
  initialize();
  if (bytes.size() > maxBytes || bytes.size() > static_cast<std::size_t>(INT_MAX))
    return invalid("HTML page larger than " + std::to_string(maxBytes) + " bytes");
  const char* encoding = nullptr;
  if (charset && !charset->empty()) encoding = charset->c_str();
  else if (!declaresCharset(bytes)) encoding = "UTF-8";
  int options = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING;
  XmlDocPtr doc(htmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, encoding, options));
  if (!doc || !xmlDocGetRootElement(doc.get())) return invalid("the page could not be read as HTML");
  return doc;
}

bool isHtmlElement(const xmlNode* n, const char* name) {
  return n && n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, BAD_CAST name) == 0;
}

}  // namespace propusk::xml
