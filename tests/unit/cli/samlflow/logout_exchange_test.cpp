#include "idp/cli/samlflow/logout_exchange.h"

#include <catch2/catch.hpp>

#include "idp/core/random.h"
#include "idp/crypto/keys.h"
#include "idp/saml/build/logout.h"
#include "saml/validation/logout_fixture.h"

using namespace propusk;
using namespace propusk::cli::samlflow;

namespace {

const crypto::KeyPair& idpKey() {
  static const crypto::KeyPair kp = crypto::generateKeyPair(crypto::KeyAlgorithm::EcP256, "idp", 30, SystemClock());
  return kp;
}

// The IdP's SOAP answer (Propusk's own builder), signed unless told otherwise.
std::string answer(StatusCode top = StatusCode::Success, std::string_view second = {},
                   const std::string& inResponseTo = "_lo-1", const crypto::KeyPair* key = &idpKey()) {
  SequenceRandom rnd;
  saml::LogoutResponseInput in;
  in.issuer = test::kIdpEntity;
  in.inResponseTo = inResponseTo;
  in.top = top;
  in.second = second;
  in.now = FixedClock("2026-01-10T10:00:00Z").now();
  saml::MessageSigning signing;
  if (key) signing = {key->key.get(), key->cert.get(), crypto::defaultAlgorithmFor(key->key.get())};
  auto out = saml::buildLogoutResponse(in, saml::Binding::Soap, signing, rnd);
  REQUIRE(out);
  return out->xml;
}

struct Expect {
  X509* certs[1] = {idpKey().cert.get()};
  LogoutExpectations e{test::kIdpEntity, certs, "_lo-1"};
};

std::vector<std::string_view> steps(const saml::sp::ResponseVerification& v) {
  std::vector<std::string_view> out;
  for (auto& c : v.checks) out.push_back(c.step);
  return out;
}

}  // namespace

TEST_CASE("SOAP LogoutResponse: Success verifies, every check named", "[cli][samlflow][logout]") {
  Expect x;
  auto v = verifyLogoutResponse(answer(), x.e);
  INFO(v.failure);
  REQUIRE(v.ok());
  CHECK(steps(v) == std::vector<std::string_view>{"parse", "issuer", "signature", "in-response-to", "status"});
  CHECK(v.statusCodes == std::vector<std::string>{"urn:oasis:names:tc:SAML:2.0:status:Success"});
  CHECK(v.issuer == test::kIdpEntity);
  CHECK(v.inResponseTo == "_lo-1");
  CHECK_FALSE(partialLogout(v));

  auto partial = verifyLogoutResponse(answer(StatusCode::Success, status::kPartialLogout), x.e);
  CHECK(partial.ok());
  CHECK(partialLogout(partial));
}

TEST_CASE("SOAP LogoutResponse: refusals name their check", "[cli][samlflow][logout]") {
  Expect x;
  auto denied = verifyLogoutResponse(answer(StatusCode::Requester, status::kRequestDenied), x.e);
  REQUIRE(denied.failedStep);
  CHECK(*denied.failedStep == "status");
  CHECK(denied.statusNotSuccess());
  CHECK(denied.statusCodes == std::vector<std::string>{"urn:oasis:names:tc:SAML:2.0:status:Requester",
                                                       std::string(status::kRequestDenied)});

  auto other = verifyLogoutResponse(answer(StatusCode::Success, {}, "_someone-else"), x.e);
  REQUIRE(other.failedStep);
  CHECK(*other.failedStep == "in-response-to");

  auto foreign = verifyLogoutResponse(answer(StatusCode::Success, {}, "_lo-1", &test::attackerKey()), x.e);
  REQUIRE(foreign.failedStep);
  CHECK(*foreign.failedStep == "signature");

  test::LogoutResponseFields fields;
  fields.inResponseTo = "_lo-1";
  fields.destination = "";
  fields.issuer = test::kIdpEntity;
  auto u = verifyLogoutResponse(test::logoutResponseXml(fields), x.e);
  REQUIRE(u.failedStep);
  CHECK(*u.failedStep == "signature");

  std::string tampered = answer();
  tampered.replace(tampered.find("_lo-1"), 5, "_lo-2");
  x.e.requestId = "_lo-2";
  auto t = verifyLogoutResponse(tampered, x.e);
  REQUIRE(t.failedStep);
  CHECK(*t.failedStep == "signature");

  x.e.requestId = "_lo-1";
  x.e.idpEntityId = "https://another.idp/md";
  auto issuer = verifyLogoutResponse(answer(), x.e);
  REQUIRE(issuer.failedStep);
  CHECK(*issuer.failedStep == "issuer");

  auto garbage = verifyLogoutResponse("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>", x.e);
  REQUIRE(garbage.failedStep);
  CHECK(*garbage.failedStep == "parse");
  CHECK_FALSE(garbage.statusNotSuccess());
}
