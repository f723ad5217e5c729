// The one secure XML parser. Every byte from outside goes through parseSecure.
#pragma once

#include <cstddef>
#include <string_view>

#include "idp/core/result.h"
#include "idp/xml/handles.h"

namespace propusk::xml {

struct ParseLimits {
  std::size_t maxBytes = 256 * 1024;  // a SAML message or SP metadata is far smaller
  int maxDepth = 64;                  // SAML nests ~10 deep; libxml2's own cap is 256
  // libxml2 2.9 builds attribute lists and c14n namespace stacks in quadratic time: a
  // single element with 27k attributes, or thousands of xmlns declarations canonicalised
  // under a signature, cost minutes of CPU. Real SAML needs a handful of each.
  int maxAttributesPerElement = 64;
  int maxNamespacesPerElement = 32;
  // The namespaces in scope at an element (declared on it and its ancestors) are what c14n
  // carries to every element below it: capped. Declarations on siblings do not add up there
  // (IdPs put xmlns:xs and xmlns:xsi on every AttributeValue), so the document-wide count
  // bounds only linear work and a caller may raise it (saml::sp::responseParseLimits).
  int maxNamespacesInScope = 256;
  int maxNamespacesPerDocument = 256;
  // Attribute registered as an XML ID on every element that carries it, so that
  // "#id" references resolve; a duplicate value refuses the document (wrapping defence).
  const char* idAttribute = "ID";
};

// Parses untrusted XML: no DTD (internal or external) at all, hence no entities and no
// entity expansion; no network; no XInclude; size and depth capped. Every refusal is a
// Requester error whose detail names the reason.
Result<XmlDocPtr> parseSecure(std::string_view bytes, const ParseLimits& limits = {});

// Installs the process-wide libxml2 settings (external entity loader that refuses
// everything but the local schema files, no global error printing). Idempotent.
void initialize();

// Lets the schema loader read a local file; only used for trusted schemas/.
void allowLocalResource(std::string_view systemId, std::string_view path);

}  // namespace propusk::xml
