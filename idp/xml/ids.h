#pragma once

#include "idp/core/result.h"
#include "idp/xml/handles.h"

namespace propusk::xml {

// Registers element's "ID" attribute as an XML ID of its document (needed before an
// element built in memory can be signed). Refuses a missing or duplicate ID.
Status markId(xmlNode* element, const char* idAttribute = "ID");

}  // namespace propusk::xml
