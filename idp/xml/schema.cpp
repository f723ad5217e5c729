#include "idp/xml/schema.h"

#include <libxml/xmlerror.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "idp/xml/dom.h"
#include "idp/xml/parser.h"

namespace propusk::xml {

namespace {

constexpr char kCatalogNs[] = "urn:oasis:names:tc:entity:xmlns:xml:catalog";

struct Errors {
  std::string first;
};

void collect(void* userData, xmlErrorPtr e) {
  auto* errs = static_cast<Errors*>(userData);
  if (!errs->first.empty() || !e || e->level < XML_ERR_ERROR) return;
  std::string msg = e->message ? e->message : "schema violation";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  errs->first = msg + " (line " + std::to_string(e->line) + ")";
}

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::filesystem::path SchemaSet::defaultDirectory() {
  if (const char* env = std::getenv("PROPUSK_SCHEMAS"); env && *env) return env;
  return PROPUSK_SCHEMA_DIR;
}

std::shared_ptr<const SchemaSet> SchemaSet::load(const std::filesystem::path& dir) {
  initialize();
  auto catalogPath = dir / "catalog.xml";
  ParseLimits limits;
  limits.idAttribute = nullptr;
  auto catalog = parseSecure(readAll(catalogPath), limits);
  if (!catalog) throw std::runtime_error(catalogPath.string() + ": " + catalog.error().detail);
  std::filesystem::path bundle;
  for (xmlNode* e : children(xmlDocGetRootElement(catalog->get()), kCatalogNs, "system")) {
    auto id = attr(e, "systemId");
    auto uri = attr(e, "uri");
    if (!id || !uri) continue;
    std::filesystem::path file(*uri);
    if (file.is_relative()) file = std::filesystem::absolute(dir / file).lexically_normal();
    if (!std::filesystem::exists(file))
      throw std::runtime_error("schema file " + file.string() + " named in " + catalogPath.string() +
                               " is missing (install opensaml-schemas and xmltooling-schemas)");
    allowLocalResource(*id, file.string());
    allowLocalResource(file.string(), file.string());
    if (*id == "urn:propusk:schema:bundle") bundle = file;
  }
  if (bundle.empty()) throw std::runtime_error(catalogPath.string() + " does not name the bundle schema");

  Errors errs;
  XmlSchemaParserCtxtPtr pctxt(xmlSchemaNewParserCtxt(bundle.c_str()));
  if (!pctxt) throw std::runtime_error("cannot create schema parser");
  xmlSchemaSetParserStructuredErrors(pctxt.get(), collect, &errs);
  XmlSchemaPtr schema(xmlSchemaParse(pctxt.get()));
  if (!schema) throw std::runtime_error("cannot compile " + bundle.string() + ": " + errs.first);
  return std::make_shared<SchemaSet>(std::move(schema));
}

std::shared_ptr<const SchemaSet> SchemaSet::shared() {
  static std::once_flag once;
  static std::shared_ptr<const SchemaSet> set;
  std::call_once(once, [] { set = load(defaultDirectory()); });
  return set;
}

Status SchemaSet::validate(const xmlDoc* doc) const {
  // A validation context per call: the compiled schema is read-only and shared
  // between threads, the context is not.
  XmlSchemaValidCtxtPtr vctxt(xmlSchemaNewValidCtxt(schema_.get()));
  if (!vctxt) return responderError("cannot create a schema validation context");
  Errors errs;
  xmlSchemaSetValidStructuredErrors(vctxt.get(), collect, &errs);
  int rc = xmlSchemaValidateDoc(vctxt.get(), const_cast<xmlDoc*>(doc));
  if (rc == 0) return {};
  if (rc < 0) return responderError("schema validation failed internally");
  return invalid("schema: " + (errs.first.empty() ? std::string("document is not valid") : errs.first));
}

}  // namespace propusk::xml
