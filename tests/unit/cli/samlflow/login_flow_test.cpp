#include "idp/cli/samlflow/login_flow.h"

#include <catch2/catch.hpp>

#include "idp/cli/samlflow/html_forms.h"

using namespace propusk::cli::samlflow;

namespace {

constexpr char kAcs[] = "https://sp.example.org/saml/acs";

}  // namespace

TEST_CASE("form-action: the IdP's form posts to our ACS", "[cli][samlflow]") {
  auto ok = checkFormAction(kAcs, kAcs);
  REQUIRE(ok);
  CHECK(ok->step == "form-action");
  CHECK_FALSE(ok->skipped);
  CHECK(ok->note == "posts to https://sp.example.org/saml/acs");

  CHECK_FALSE(checkFormAction("https://evil.example/saml/acs", kAcs));
  CHECK_FALSE(checkFormAction("https://sp.example.org/saml/acs2", kAcs));
  CHECK_FALSE(checkFormAction("http://sp.example.org/saml/acs", kAcs));
  CHECK_FALSE(checkFormAction("https://sp.example.org:8443/saml/acs", kAcs));
  CHECK_FALSE(checkFormAction("https://sp.example.org/saml/acs?x=1", kAcs));
}

TEST_CASE("form-action: an ACS URL written otherwise is the same endpoint", "[cli][samlflow]") {
  // The form's action is resolved as a browser resolves it (scheme and host lowercased, the
  // default port dropped, dot segments removed); the IdP wrote our ACS as our metadata does.
  constexpr char kAcsAsWritten[] = "https://SP.Example.org:443/saml/./acs";
  auto page = readPage(R"HTML(<html><body onload="document.forms[0].submit()">
<FORM METHOD="POST" ACTION="https://SP.Example.org:443/saml/./acs"><INPUT TYPE="HIDDEN" NAME="SAMLResponse" VALUE="PHg+"></FORM>
</body></html>)HTML",
                       "https://idp.example/sso");
  REQUIRE(page);
  const HtmlForm* f = findFormWith(*page, "SAMLResponse");
  REQUIRE(f);
  CHECK(f->method == "POST");
  CHECK(f->action == kAcs);
  auto ok = checkFormAction(f->action, kAcsAsWritten);
  REQUIRE(ok);
  CHECK(ok->note == "posts to https://sp.example.org/saml/acs (our ACS https://SP.Example.org:443/saml/./acs)");
  CHECK(checkFormAction("http://sp.example.org:443/saml/acs", "HTTP://sp.example.org:443/saml/acs"));

  // Still another endpoint: port, scheme, path, query, or an ACS that is no http(s) URL.
  CHECK_FALSE(checkFormAction("https://sp.example.org/saml/acs", "https://sp.example.org:8443/saml/acs"));
  CHECK_FALSE(checkFormAction("https://sp.example.org/saml/acs", "http://sp.example.org/saml/acs"));
  CHECK_FALSE(checkFormAction("https://sp.example.org/saml/acs", "https://sp.example.org/saml/ACS"));
  CHECK_FALSE(checkFormAction("https://sp.example.org/saml/acs", "https://sp.example.org/saml/acs?x=1"));
  CHECK_FALSE(checkFormAction("https://sp.example.org/saml/acs", "urn:sp:acs"));
}

TEST_CASE("relay-state: returned unchanged, or none either way", "[cli][samlflow]") {
  auto same = checkRelayState("back/to?x=1", "back/to?x=1");
  REQUIRE(same);
  CHECK(same->step == "relay-state");
  CHECK_FALSE(same->skipped);
  CHECK(same->note == "returned unchanged");

  auto none = checkRelayState(std::nullopt, std::nullopt);
  REQUIRE(none);
  CHECK(none->skipped);
  CHECK(none->note == "none sent, none returned");

  auto changed = checkRelayState("rs-1", "rs-2");
  REQUIRE_FALSE(changed);
  CHECK(changed.error() == "the IdP returned RelayState \"rs-2\", we sent \"rs-1\"");
  CHECK_FALSE(checkRelayState("rs-1", std::nullopt));
  CHECK_FALSE(checkRelayState("rs-1", ""));
}

TEST_CASE("relay-state: an empty RelayState stands for none", "[cli][samlflow]") {
  // djangosaml2idp's POST form (and pysaml2's own before 4.6) posts RelayState="" when the
  // request carried none: tolerated, and said so.
  auto empty = checkRelayState(std::nullopt, "");
  REQUIRE(empty);
  CHECK(empty->skipped);
  CHECK(empty->note == "none sent; the IdP posted an empty RelayState, taken as none");
  // The mirror: an empty one sent (--relay-state ""), which pysaml2's IdP drops.
  auto dropped = checkRelayState("", std::nullopt);
  REQUIRE(dropped);
  CHECK(dropped->note == "an empty RelayState sent, none returned");
  CHECK(checkRelayState("", "").value().note == "returned unchanged (empty)");

  // Anything else we never sent still fails, "None" (pysaml2 before 4.6) and blanks included.
  auto never = checkRelayState(std::nullopt, "None");
  REQUIRE_FALSE(never);
  CHECK(never.error() == "the IdP returned a RelayState we never sent: \"None\"");
  CHECK_FALSE(checkRelayState(std::nullopt, " "));
  CHECK_FALSE(checkRelayState("", "x"));
  auto lost = checkRelayState("rs-1", std::nullopt);
  REQUIRE_FALSE(lost);
  CHECK(lost.error() == "the IdP returned no RelayState, we sent \"rs-1\"");
}
