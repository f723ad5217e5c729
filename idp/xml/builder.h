// Building documents in memory (metadata, later Responses) with namespaces declared once.
#pragma once

#include <string>
#include <string_view>

#include "idp/xml/handles.h"

namespace propusk::xml {

// New document whose root element is prefix:name in nsUri (namespace declared on it).
XmlDocPtr newDocument(const char* nsUri, const char* prefix, const char* name, xmlNode** root);
// Declares prefix -> nsUri on element (idempotent per element) and returns the xmlNs.
xmlNs* declareNs(xmlNode* element, const char* nsUri, const char* prefix);
// Appends a child element in namespace `ns` (declared on an ancestor) with optional text.
xmlNode* addChild(xmlNode* parent, xmlNs* ns, const char* name, std::string_view text = {});
void setAttr(xmlNode* element, const char* name, std::string_view value);

// A deep copy of `element` as the root of a document of its own, declaring every namespace
// in scope where it stood (also prefixes only named in content, such as xsi:type values).
// nullptr when libxml2 runs out of memory.
XmlDocPtr copyToOwnDocument(const xmlNode* element);

}  // namespace propusk::xml
