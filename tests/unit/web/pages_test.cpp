// HTML escaping and the auto-POST page that carries a SAML message to an ACS.
#include "idp/web/pages.h"

#include <catch2/catch.hpp>

#include "idp/core/base64.h"
#include "idp/web/respond.h"

using namespace propusk;
using namespace propusk::web;

TEST_CASE("HTML escaping replaces the five special characters and copies the rest", "[web][html]") {
  CHECK(htmlEscape("") == "");
  CHECK(htmlEscape("PHNhbWxwOlJlc3BvbnNlPg==") == "PHNhbWxwOlJlc3BvbnNlPg==");
  CHECK(htmlEscape(R"(<a href="x?a=1&b='2'">)") == "&lt;a href=&quot;x?a=1&amp;b=&#39;2&#39;&quot;&gt;");
  CHECK(htmlEscape("&&") == "&amp;&amp;");
  CHECK(htmlEscape("end&") == "end&amp;");
  CHECK(htmlEscape("Иванов <i>") == "Иванов &lt;i&gt;");
  std::string out = "kept:";
  appendHtmlEscaped(out, "\"q\"");
  CHECK(out == "kept:&quot;q&quot;");
}

TEST_CASE("the auto-POST page escapes the ACS and RelayState and carries the message verbatim", "[web][html]") {
  const std::string xml = std::string(9000, 'x') + "<samlp:Response/>";
  const std::string message = base64Encode(xml);
  auto page = renderAutoPost("https://sp.example/acs?a=1&b=\"2\"", "SAMLResponse", xml,
                             std::string("<script>alert(1)</script>"), "n0nce");
  CHECK_THAT(page, Catch::Contains(R"(<form method="post" action="https://sp.example/acs?a=1&amp;b=&quot;2&quot;">)"));
  CHECK_THAT(page, Catch::Contains(R"(<input type="hidden" name="SAMLResponse" value=")" + message + "\">"));
  CHECK_THAT(page, Catch::Contains(R"(name="RelayState" value="&lt;script&gt;alert(1)&lt;/script&gt;">)"));
  CHECK_THAT(page, !Catch::Contains("<script>alert"));
  CHECK_THAT(page, Catch::Contains(R"(<script nonce="n0nce">document.forms[0].submit();</script>)"));
  CHECK_THAT(page, Catch::Contains("<noscript>"));
  auto noRelay = renderAutoPost("https://sp.example/acs", "SAMLResponse", xml, std::nullopt, "n");
  CHECK_THAT(noRelay, !Catch::Contains("RelayState"));
}
