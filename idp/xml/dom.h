// Small DOM helpers over libxml2 nodes. Nodes are non-owning views into a document
// that an XmlDocPtr owns; they never outlive it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/xml/handles.h"

namespace propusk::xml {

bool isElement(const xmlNode* n, const char* nsUri, const char* localName);
// First child element with that namespace and local name, or nullptr.
xmlNode* child(const xmlNode* parent, const char* nsUri, const char* localName);
std::vector<xmlNode*> children(const xmlNode* parent, const char* nsUri, const char* localName);
std::vector<xmlNode*> childElements(const xmlNode* parent);
// Unqualified attribute.
std::optional<std::string> attr(const xmlNode* n, const char* name);
// Attribute value with XML Schema whiteSpace="collapse" applied (xs:boolean, xs:dateTime,
// xs:anyURI... are collapsed by the schema validator, so code must read them the same way).
std::optional<std::string> collapsedAttr(const xmlNode* n, const char* name);
// XML Schema whitespace "collapse": runs of space, tab, CR and LF become one space, none at
// either end.
std::string collapseWhitespace(std::string_view s);
// xs:boolean: "true"/"1"/"false"/"0" after collapsing; nullopt when absent or not a boolean.
std::optional<bool> boolAttr(const xmlNode* n, const char* name);

// Text content of the element (concatenated, entities already resolved by the parser).
std::string text(const xmlNode* n);
std::string trimmedText(const xmlNode* n);

// Serialises a whole document as UTF-8, with an XML declaration unless told not to.
std::string serialize(const xmlDoc* doc, bool withDeclaration = true);
std::string serializeNode(const xmlNode* n);

}  // namespace propusk::xml
