#include "idp/xml/parser.h"

#include <catch2/catch.hpp>

#include "idp/xml/dom.h"

using namespace propusk;

namespace {
bool refusedWith(const Result<xml::XmlDocPtr>& r, const std::string& needle) {
  return !r && r.error().detail.find(needle) != std::string::npos;
}
}  // namespace

TEST_CASE("well-formed document parses and IDs resolve", "[xml]") {
  auto r = xml::parseSecure(R"(<a xmlns="urn:x" ID="_1"><b ID="_2">t&amp;t</b></a>)");
  REQUIRE(r);
  xmlDoc* doc = r->get();
  REQUIRE(xmlGetID(doc, BAD_CAST "_2") != nullptr);
  CHECK(xml::text(xml::child(xmlDocGetRootElement(doc), "urn:x", "b")) == "t&t");
}

TEST_CASE("XXE: external entity is refused", "[xml][hardening]") {
  auto r = xml::parseSecure(
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>");
  REQUIRE_FALSE(r);
  CHECK(r.error().top == StatusCode::Requester);
  CHECK(refusedWith(r, "DTD not allowed"));
}

TEST_CASE("billion laughs is refused before any expansion", "[xml][hardening]") {
  std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  for (int i = 1; i < 10; ++i)
    doc += "<!ENTITY lol" + std::to_string(i) + " \"" + std::string(10, '&') + "\">";
  doc += "]><lolz>&lol9;</lolz>";
  auto r = xml::parseSecure(doc);
  REQUIRE_FALSE(r);
  CHECK(refusedWith(r, "DTD not allowed"));
}

TEST_CASE("any DTD is refused, also an external one", "[xml][hardening]") {
  CHECK(refusedWith(xml::parseSecure("<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\"><r/>"),
                    "DTD not allowed"));
  CHECK(refusedWith(xml::parseSecure("<!DOCTYPE r><r/>"), "DTD not allowed"));
}

TEST_CASE("undeclared entity reference is refused", "[xml][hardening]") {
  auto r = xml::parseSecure("<r>&nbsp;</r>");
  REQUIRE_FALSE(r);
}

TEST_CASE("oversize document is refused", "[xml][hardening]") {
  std::string big = "<r>" + std::string(300 * 1024, 'a') + "</r>";
  CHECK(refusedWith(xml::parseSecure(big), "cap"));
  xml::ParseLimits roomy;
  roomy.maxBytes = 1 << 20;
  CHECK(xml::parseSecure(big, roomy));
}

TEST_CASE("deep nesting is refused", "[xml][hardening]") {
  std::string deep;
  for (int i = 0; i < 65; ++i) deep += "<a>";
  for (int i = 0; i < 65; ++i) deep += "</a>";
  CHECK(refusedWith(xml::parseSecure(deep), "nesting"));
  std::string ok;
  for (int i = 0; i < 64; ++i) ok += "<a>";
  for (int i = 0; i < 64; ++i) ok += "</a>";
  CHECK(xml::parseSecure(ok));
}

TEST_CASE("namespace declarations: capped per element, in scope and per document", "[xml][hardening]") {
  auto decls = [](int n, const std::string& p) {
    std::string d;
    for (int i = 0; i < n; ++i) d += " xmlns:" + p + std::to_string(i) + "=\"urn:" + p + std::to_string(i) + "\"";
    return d;
  };
  CHECK(xml::parseSecure("<r" + decls(32, "a") + "/>"));
  CHECK(refusedWith(xml::parseSecure("<r" + decls(33, "a") + "/>"), "namespace"));

  // 300 values each declaring two namespaces, as IdPs write AttributeValues: 600 in the
  // document, never more than 2 in scope. Refused by the default document-wide cap (256),
  // parsed when that cap is raised.
  std::string values = "<r>";
  for (int i = 0; i < 300; ++i) values += "<v" + decls(2, "x") + ">g</v>";
  values += "</r>";
  CHECK(refusedWith(xml::parseSecure(values), "namespace"));
  xml::ParseLimits roomy;
  roomy.maxNamespacesPerDocument = 4096;
  CHECK(xml::parseSecure(values, roomy));

  // In scope (declared on an element and its ancestors) stays capped at 256 either way.
  std::string nested, closing;
  for (int d = 0; d < 8; ++d) {
    nested += "<e" + decls(32, "d" + std::to_string(d) + "_") + ">";
    closing += "</e>";
  }
  CHECK(xml::parseSecure(nested + closing, roomy));  // exactly 256
  CHECK(refusedWith(xml::parseSecure(nested + "<f xmlns:one=\"urn:one\"/>" + closing, roomy), "namespace"));
  CHECK(xml::parseSecure(nested + closing + "<!-- -->", roomy));
  // ...and declarations leave scope with their element.
  CHECK(xml::parseSecure("<r>" + nested + closing + nested + closing + "</r>", roomy));
}

TEST_CASE("duplicate ID values are refused", "[xml][hardening]") {
  CHECK(refusedWith(xml::parseSecure(R"(<r><a ID="x"/><b ID="x"/></r>)"), "duplicate ID"));
}

TEST_CASE("malformed and empty input are refused with a reason", "[xml]") {
  CHECK(refusedWith(xml::parseSecure("<r><a></r>"), "not well-formed"));
  CHECK(refusedWith(xml::parseSecure(""), "empty"));
  CHECK(refusedWith(xml::parseSecure("just text"), "not well-formed"));
}

TEST_CASE("XInclude is not processed", "[xml][hardening]") {
  auto r = xml::parseSecure(
      R"(<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></r>)");
  REQUIRE(r);
  CHECK(xml::text(xmlDocGetRootElement(r->get())).find("root:") == std::string::npos);
}
