// The one place that names libxml2's free functions (STYLE: C handles, one place each).
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>

#include <memory>
#include <string>

namespace propusk::xml {

template <auto Fn>
struct FreeWith {
  template <class T>
  void operator()(T* p) const noexcept { Fn(p); }
};

// xmlFree is a variable (a function pointer), not a function: wrap it.
struct XmlFreeFn {
  void operator()(void* p) const noexcept { xmlFree(p); }
};

using XmlDocPtr = std::unique_ptr<xmlDoc, FreeWith<&xmlFreeDoc>>;
using XmlNodePtr = std::unique_ptr<xmlNode, FreeWith<&xmlFreeNode>>;  // only for unlinked nodes
using XmlCharPtr = std::unique_ptr<xmlChar, XmlFreeFn>;
using XmlParserCtxtPtr = std::unique_ptr<xmlParserCtxt, FreeWith<&xmlFreeParserCtxt>>;
using XmlSchemaPtr = std::unique_ptr<xmlSchema, FreeWith<&xmlSchemaFree>>;
using XmlSchemaParserCtxtPtr = std::unique_ptr<xmlSchemaParserCtxt, FreeWith<&xmlSchemaFreeParserCtxt>>;
using XmlSchemaValidCtxtPtr = std::unique_ptr<xmlSchemaValidCtxt, FreeWith<&xmlSchemaFreeValidCtxt>>;
using XmlXPathContextPtr = std::unique_ptr<xmlXPathContext, FreeWith<&xmlXPathFreeContext>>;
using XmlXPathObjectPtr = std::unique_ptr<xmlXPathObject, FreeWith<&xmlXPathFreeObject>>;
using XmlSaveCtxtPtr = std::unique_ptr<xmlSaveCtxt, FreeWith<&xmlSaveClose>>;  // flushes too
using XmlBufferPtr = std::unique_ptr<xmlBuffer, FreeWith<&xmlBufferFree>>;

// Copies an xmlChar* that libxml2 allocated for us into a std::string and frees it.
inline std::string takeString(xmlChar* s) {
  XmlCharPtr owned(s);
  return owned ? std::string(reinterpret_cast<const char*>(owned.get())) : std::string();
}

}  // namespace propusk::xml
