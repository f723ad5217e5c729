#include "idp/xml/ids.h"

#include "idp/xml/dom.h"

namespace propusk::xml {

Status markId(xmlNode* element, const char* idAttribute) {
  xmlAttr* a = xmlHasProp(element, BAD_CAST idAttribute);
  if (!a || a->ns) return invalid(std::string("element has no ") + idAttribute + " attribute");
  std::string value = takeString(xmlNodeListGetString(element->doc, a->children, 1));
  if (xmlAttr* existing = xmlGetID(element->doc, BAD_CAST value.c_str())) {
    if (existing == a) return {};
    return invalid("duplicate ID attribute value");
  }
  if (!xmlAddID(nullptr, element->doc, BAD_CAST value.c_str(), a)) return invalid("bad ID attribute");
  return {};
}

}  // namespace propusk::xml
