#include "idp/cli/samlflow/flow_record.h"

#include <catch2/catch.hpp>

#include "idp/core/base64.h"
#include "idp/saml/bindings/redirect.h"

using namespace propusk;
using namespace propusk::cli::samlflow;

TEST_CASE("recordings round-trip; the password is masked", "[cli][samlflow][record]") {
  FlowRecord r;
  r.created = "2026-01-10T10:00:00Z";
  r.idpEntityId = "https://idp/md";
  r.idpCertificates = {"MIIB"};
  r.spEntityId = "https://sp/md";
  r.acsUrl = "https://sp/acs";
  r.requestId = "_r";
  r.requestXml = "<x/>";
  r.binding = "post";
  r.relayState = "rs";
  r.responseXml = "<samlp:Response/>";
  r.result = "success";
  r.exitCode = 0;
  r.acceptedIds = {"_resp", "_assertion"};

  Exchange sso;
  sso.purpose = "authn-request";
  sso.request = {"POST", "https://idp/sso", {{"Content-Type", "application/x-www-form-urlencoded"}},
                 "SAMLRequest=" + saml::urlEncode(base64Encode("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>"))};
  sso.response = web::HttpResponseData{303, "See Other", {{"Location", "/login"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}, ""};
  r.exchanges.push_back(sso);

  Exchange login;
  login.purpose = "login";
  login.request = {"POST", "https://idp/login", {}, maskFormField("csrf=c&username=u&password=S3cret%21&x=1", "password")};
  login.masked = {"form field 'password'"};
  login.response = web::HttpResponseData{200, "OK", {}, std::string("\xff\xfe binary", 9)};
  r.exchanges.push_back(login);

  Exchange failed;
  failed.purpose = "redirect";
  failed.request = {"GET", "https://idp/next", {}, ""};
  failed.error = "connection refused";
  r.exchanges.push_back(failed);

  std::string json = writeFlowRecord(r);
  CHECK(json.find("S3cret") == std::string::npos);
  CHECK(json.find("password=***") != std::string::npos);
  CHECK(json.find("\"saml_sent\"") != std::string::npos);

  auto back = readFlowRecord(json);
  INFO((back ? "" : back.error().detail));
  REQUIRE(back);
  CHECK(back->idpEntityId == r.idpEntityId);
  CHECK(back->acceptedIds == r.acceptedIds);
  CHECK(back->relayState == "rs");
  CHECK(back->responseXml == r.responseXml);
  REQUIRE(back->exchanges.size() == 3);
  CHECK(back->exchanges[0].request.body == sso.request.body);
  CHECK(back->exchanges[0].response->headers == sso.response->headers);
  CHECK(carriesSamlMessage(back->exchanges[0].request));
  CHECK_FALSE(carriesSamlMessage(back->exchanges[1].request));
  CHECK(back->exchanges[1].response->body == login.response->body);  // kept as base64
  CHECK(back->exchanges[1].masked == login.masked);
  CHECK_FALSE(back->exchanges[2].response);
  CHECK(back->exchanges[2].error == "connection refused");

  CHECK_FALSE(readFlowRecord("{}"));
  CHECK_FALSE(readFlowRecord("not json"));
}

TEST_CASE("masking touches only the named field", "[cli][samlflow][record]") {
  CHECK(maskFormField("password=a&passwordHint=b&x=password", "password") == "password=***&passwordHint=b&x=password");
  CHECK(maskFormField("j_pass%5B%5D=1", "j_pass[]") == "j_pass%5B%5D=***");
}
