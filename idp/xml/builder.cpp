#include "idp/xml/builder.h"

#include <stdexcept>

namespace propusk::xml {

XmlDocPtr newDocument(const char* nsUri, const char* prefix, const char* name, xmlNode** root) {
  XmlDocPtr doc(xmlNewDoc(BAD_CAST "1.0"));
  if (!doc) throw std::bad_alloc();
  xmlNode* r = xmlNewDocNode(doc.get(), nullptr, BAD_CAST name, nullptr);
  if (!r) throw std::bad_alloc();
  xmlDocSetRootElement(doc.get(), r);
  xmlSetNs(r, declareNs(r, nsUri, prefix));
  *root = r;
  return doc;
}

xmlNs* declareNs(xmlNode* element, const char* nsUri, const char* prefix) {
  for (xmlNs* n = element->nsDef; n; n = n->next)
    if (xmlStrEqual(n->href, BAD_CAST nsUri) && xmlStrEqual(n->prefix, BAD_CAST prefix)) return n;
  xmlNs* ns = xmlNewNs(element, BAD_CAST nsUri, BAD_CAST prefix);
  if (!ns) throw std::runtime_error("cannot declare namespace prefix " + std::string(prefix ? prefix : ""));
  return ns;
}

xmlNode* addChild(xmlNode* parent, xmlNs* ns, const char* name, std::string_view text) {
  xmlNode* c = xmlNewDocNode(parent->doc, ns, BAD_CAST name, nullptr);
  if (!c) throw std::bad_alloc();
  xmlAddChild(parent, c);
  if (!text.empty()) {
    // xmlNewDocTextLen escapes nothing itself; the serializer escapes text nodes.
    xmlNode* t = xmlNewDocTextLen(parent->doc, BAD_CAST text.data(), static_cast<int>(text.size()));
    xmlAddChild(c, t);
  }
  return c;
}

void setAttr(xmlNode* element, const char* name, std::string_view value) {
  xmlSetProp(element, BAD_CAST name, BAD_CAST std::string(value).c_str());
}

XmlDocPtr copyToOwnDocument(const xmlNode* element) {
  XmlDocPtr alone(xmlNewDoc(BAD_CAST "1.0"));
  if (!alone) return nullptr;
  xmlNode* copy = xmlDocCopyNode(const_cast<xmlNode*>(element), alone.get(), 1);
  if (!copy) return nullptr;
  xmlDocSetRootElement(alone.get(), copy);
  for (const xmlNode* n = element; n && n->type == XML_ELEMENT_NODE; n = n->parent)
    for (const xmlNs* ns = n->nsDef; ns; ns = ns->next)
      if (!xmlSearchNs(alone.get(), copy, ns->prefix) && !xmlNewNs(copy, ns->href, ns->prefix)) return nullptr;
  return alone;
}

}  // namespace propusk::xml
