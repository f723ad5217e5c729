#include "idp/xml/dom.h"

#include <libxml/xmlsave.h>

#include <cstring>

namespace propusk::xml {

bool isElement(const xmlNode* n, const char* nsUri, const char* localName) {
  if (!n || n->type != XML_ELEMENT_NODE) return false;
  if (!xmlStrEqual(n->name, BAD_CAST localName)) return false;
  if (!nsUri) return n->ns == nullptr;
  return n->ns && xmlStrEqual(n->ns->href, BAD_CAST nsUri);
}

xmlNode* child(const xmlNode* parent, const char* nsUri, const char* localName) {
  if (!parent) return nullptr;
  for (xmlNode* c = parent->children; c; c = c->next)
    if (isElement(c, nsUri, localName)) return c;
  return nullptr;
}

std::vector<xmlNode*> children(const xmlNode* parent, const char* nsUri, const char* localName) {
  std::vector<xmlNode*> out;
  if (!parent) return out;
  for (xmlNode* c = parent->children; c; c = c->next)
    if (isElement(c, nsUri, localName)) out.push_back(c);
  return out;
}

std::vector<xmlNode*> childElements(const xmlNode* parent) {
  std::vector<xmlNode*> out;
  if (!parent) return out;
  for (xmlNode* c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}

std::optional<std::string> attr(const xmlNode* n, const char* name) {
  if (!n) return std::nullopt;
  for (xmlAttr* a = n->properties; a; a = a->next) {
    if (a->ns == nullptr && xmlStrEqual(a->name, BAD_CAST name))
      return takeString(xmlNodeListGetString(n->doc, a->children, 1));
  }
  return std::nullopt;
}

std::string collapseWhitespace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::optional<std::string> collapsedAttr(const xmlNode* n, const char* name) {
  auto v = attr(n, name);
  if (!v) return v;
  return collapseWhitespace(*v);
}

std::optional<bool> boolAttr(const xmlNode* n, const char* name) {
  auto v = collapsedAttr(n, name);
  if (!v) return std::nullopt;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return std::nullopt;
}

std::string text(const xmlNode* n) { return n ? takeString(xmlNodeGetContent(n)) : std::string(); }

std::string trimmedText(const xmlNode* n) {
  std::string s = text(n);
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t b = 0, e = s.size();
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string serialize(const xmlDoc* doc, bool withDeclaration) {
  XmlBufferPtr buf(xmlBufferCreate());
  int opts = XML_SAVE_AS_XML | (withDeclaration ? 0 : XML_SAVE_NO_DECL);
  {
    XmlSaveCtxtPtr save(xmlSaveToBuffer(buf.get(), "UTF-8", opts));
    xmlSaveDoc(save.get(), const_cast<xmlDoc*>(doc));
  }  // closing the save context flushes into buf
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<size_t>(xmlBufferLength(buf.get())));
}

std::string serializeNode(const xmlNode* n) {
  XmlBufferPtr buf(xmlBufferCreate());
  xmlNodeDump(buf.get(), n->doc, const_cast<xmlNode*>(n), 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                     static_cast<size_t>(xmlBufferLength(buf.get())));
}

}  // namespace propusk::xml
