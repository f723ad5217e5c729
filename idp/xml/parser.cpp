#include "idp/xml/parser.h"

#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace propusk::xml {

namespace {

std::mutex gResourceMutex;
std::map<std::string, std::string, std::less<>>& resources() {
  static std::map<std::string, std::string, std::less<>> m;
  return m;
}

// Everything libxml2 would fetch goes through here: DTDs, entities, schema imports.
// Only files registered by the schema loader (trusted, local) are opened.
xmlParserInputPtr refuseExternal(const char* url, const char* /*id*/, xmlParserCtxtPtr ctxt) {
  if (url) {
    std::string path;
    {
      std::lock_guard lock(gResourceMutex);
      auto& m = resources();
      if (auto it = m.find(std::string_view(url)); it != m.end()) path = it->second;
      else if (std::string_view u(url); u.starts_with("/")) {
        // A relative schemaLocation resolved against a registered file's directory.
        for (auto& [_, p] : m)
          if (p == u) path = p;
      }
    }
    if (!path.empty()) return xmlNewInputFromFile(ctxt, path.c_str());
  }
  return nullptr;
}

void silence(void*, const char*, ...) {}
void silenceStructured(void*, xmlErrorPtr) {}

struct SaxState {
  const ParseLimits* limits = nullptr;
  int depth = 0;
  int namespaces = 0;                 // declared so far in the document
  std::vector<int> declaredAt{0};     // per open element, its own declarations
  int inScope = 0;                    // the sum of declaredAt
  std::string refusal;
  startElementNsSAX2Func start = nullptr;
  endElementNsSAX2Func end = nullptr;
};

SaxState* stateOf(void* ctx) {
  return static_cast<SaxState*>(static_cast<xmlParserCtxtPtr>(ctx)->_private);
}

void refuse(void* ctx, std::string why) {
  auto* st = stateOf(ctx);
  if (st->refusal.empty()) st->refusal = std::move(why);
  xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx));
}

void onInternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  refuse(ctx, "DTD not allowed");
}
void onExternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  refuse(ctx, "DTD not allowed");
}
void onEntityDecl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  refuse(ctx, "entity declarations not allowed");
}
xmlParserInputPtr onResolveEntity(void* ctx, const xmlChar*, const xmlChar*) {
  refuse(ctx, "external entities not allowed");
  return nullptr;
}
xmlEntityPtr onGetEntity(void* ctx, const xmlChar* name) {
  // Predefined entities (&lt; etc.) are handled by libxml2 before this is called;
  // anything else would need a DTD.
  refuse(ctx, std::string("entity reference not allowed: ") + reinterpret_cast<const char*>(name));
  return nullptr;
}
void onStart(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
             int nbNs, const xmlChar** nss, int nbAttrs, int nbDefaulted, const xmlChar** attrs) {
  auto* st = stateOf(ctx);
  if (++st->depth > st->limits->maxDepth) {
    refuse(ctx, "nesting deeper than " + std::to_string(st->limits->maxDepth));
    return;
  }
  if (nbAttrs > st->limits->maxAttributesPerElement) {
    refuse(ctx, "more than " + std::to_string(st->limits->maxAttributesPerElement) + " attributes on one element");
    return;
  }
  st->namespaces += nbNs;
  st->inScope += nbNs;
  st->declaredAt.push_back(nbNs);
  if (nbNs > st->limits->maxNamespacesPerElement || st->inScope > st->limits->maxNamespacesInScope ||
      st->namespaces > st->limits->maxNamespacesPerDocument) {
    refuse(ctx, "too many namespace declarations");
    return;
  }
  st->start(ctx, localname, prefix, uri, nbNs, nss, nbAttrs, nbDefaulted, attrs);
}
void onEnd(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  auto* st = stateOf(ctx);
  --st->depth;
  if (st->declaredAt.size() > 1) {
    st->inScope -= st->declaredAt.back();
    st->declaredAt.pop_back();
  }
  st->end(ctx, localname, prefix, uri);
}

Status registerIds(xmlDocPtr doc, xmlNodePtr node, const char* idName) {
  for (xmlNodePtr n = node; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
      // xml:id is also an ID to libxml2 (and a duplicate is only a warning there); SAML
      // never uses it, so it cannot be allowed to compete with "ID" for "#ref" resolution.
      if (a->ns && xmlStrEqual(a->name, BAD_CAST "id") && xmlStrEqual(a->ns->href, XML_XML_NAMESPACE))
        return invalid("xml:id attributes are not accepted");
      if (a->ns || !xmlStrEqual(a->name, BAD_CAST idName)) continue;
      std::string value = takeString(xmlNodeListGetString(doc, a->children, 1));
      if (xmlGetID(doc, BAD_CAST value.c_str())) return invalid("duplicate ID attribute value");
      if (!xmlAddID(nullptr, doc, BAD_CAST value.c_str(), a)) return invalid("bad ID attribute");
    }
    if (auto st = registerIds(doc, n->children, idName); !st) return st;
  }
  return {};
}

}  // namespace

void initialize() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuseExternal);
    xmlSetGenericErrorFunc(nullptr, silence);
    xmlSetStructuredErrorFunc(nullptr, silenceStructured);
    // Never substitute entities or load DTDs by default, whatever a caller passes.
    xmlSubstituteEntitiesDefault(0);
    xmlLoadExtDtdDefaultValue = 0;
  });
}

void allowLocalResource(std::string_view systemId, std::string_view path) {
  std::lock_guard lock(gResourceMutex);
  resources()[std::string(systemId)] = std::string(path);
}

Result<XmlDocPtr> parseSecure(std::string_view bytes, const ParseLimits& limits) {
  initialize();
  if (bytes.size() > limits.maxBytes)
    return invalid("document of " + std::to_string(bytes.size()) + " bytes is over the " +
                   std::to_string(limits.maxBytes) + "-byte cap");
  if (bytes.empty()) return invalid("empty document");

  XmlParserCtxtPtr ctxt(xmlCreateMemoryParserCtxt(bytes.data(), static_cast<int>(bytes.size())));
  if (!ctxt) return responderError("xmlCreateMemoryParserCtxt failed");
  xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

  SaxState st;
  st.limits = &limits;
  xmlSAXHandlerPtr sax = ctxt->sax;  // owned by this context, safe to modify
  st.start = sax->startElementNs;
  st.end = sax->endElementNs;
  sax->startElementNs = onStart;
  sax->endElementNs = onEnd;
  sax->internalSubset = onInternalSubset;
  sax->externalSubset = onExternalSubset;
  sax->entityDecl = onEntityDecl;
  sax->resolveEntity = onResolveEntity;
  sax->getEntity = onGetEntity;
  sax->getParameterEntity = onGetEntity;
  sax->error = silence;
  sax->warning = silence;
  sax->serror = silenceStructured;
  ctxt->_private = &st;
  ctxt->replaceEntities = 0;
  ctxt->loadsubset = 0;
  ctxt->validate = 0;

  int rc = xmlParseDocument(ctxt.get());
  XmlDocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  if (!st.refusal.empty()) return invalid("XML refused: " + st.refusal);
  if (rc != 0 || !ctxt->wellFormed || !doc) {
    std::string why = "not well-formed XML";
    if (xmlErrorPtr e = xmlCtxtGetLastError(ctxt.get()); e && e->message) {
      std::string msg = e->message;
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      why += ": " + msg + " (line " + std::to_string(e->line) + ")";
    }
    return invalid(why);
  }
  if (doc->intSubset || doc->extSubset) return invalid("XML refused: DTD not allowed");
  if (!xmlDocGetRootElement(doc.get())) return invalid("no root element");
  if (limits.idAttribute)
    if (auto ok = registerIds(doc.get(), xmlDocGetRootElement(doc.get()), limits.idAttribute); !ok)
      return std::unexpected(ok.error());
  return doc;
}

}  // namespace propusk::xml
