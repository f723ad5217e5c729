// HTML pages (an IdP's login form, its auto-POST page) read with libxml2's HTML parser, the
// way a browser would tolerate them. Only samlflow, a client, reads HTML.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "idp/core/result.h"
#include "idp/xml/handles.h"

namespace propusk::xml {

// Lenient parse (recovering from bad markup, no network, no error output), size-capped.
// charset: from the Content-Type header if the server sent one; otherwise the page's own
// <meta charset> is used, and UTF-8 when it has none.
Result<XmlDocPtr> parseHtml(std::string_view bytes, const std::optional<std::string>& charset = std::nullopt,
                            std::size_t maxBytes = 4u << 20);

// Element name compare for HTML (the parser lowercases names; attributes are unqualified).
bool isHtmlElement(const xmlNode* n, const char* name);

}  // namespace propusk::xml
