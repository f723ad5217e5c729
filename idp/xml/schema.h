// XSD validation against the OASIS SAML 2.0 schemas, through the catalog in schemas/.
#pragma once

#include <filesystem>
#include <memory>

#include "idp/core/result.h"
#include "idp/xml/handles.h"

namespace propusk::xml {

class SchemaSet {
 public:
  // Reads schemas/catalog.xml, allows exactly the files it names, compiles
  // propusk-bundle.xsd. Throws std::runtime_error (startup: a broken installation).
  static std::shared_ptr<const SchemaSet> load(const std::filesystem::path& schemasDir);
  // The process-wide set from $PROPUSK_SCHEMAS or the build's schemas/ directory,
  // compiled once on first use (compiling takes tens of milliseconds; never per request).
  static std::shared_ptr<const SchemaSet> shared();
  static std::filesystem::path defaultDirectory();

  // Validates the whole document; the detail names the first violation and its line.
  Status validate(const xmlDoc* doc) const;

  explicit SchemaSet(XmlSchemaPtr schema) : schema_(std::move(schema)) {}

 private:
  XmlSchemaPtr schema_;
};

}  // namespace propusk::xml
