// What a proxied login costs Propusk's CPU (issue 15, point 7), next to a local login:
//   sign      build and sign our Response to the SP (what every login costs; RSA-2048,
//             Assertion and Response signed)
//   verify    check an upstream's signed Response with the samlflow verifier, as /saml/acs does
//             (parse, schema, both signatures, every step)
//   decrypt+verify  the same with the Assertion encrypted to us (RSA-OAEP + AES-128-GCM)
// A proxied login is verify (or decrypt+verify) + sign; a local login is sign (+ Argon2,
// measured by the SSO benchmark, not here). One thread; medians of rounds of N operations.
//   gateway_bench [ROUNDS] [N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/xml_encryption.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/build/response.h"
#include "idp/saml/sp/response_verifier.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

using namespace propusk;

namespace {

double medianMicros(int rounds, int n, const std::function<void()>& op) {
  std::vector<double> perOp;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) op();
    auto t1 = std::chrono::steady_clock::now();
    perOp.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / n);
  }
  std::sort(perOp.begin(), perOp.end());
  return perOp[perOp.size() / 2];
}

saml::AssertionInput assertionFor(const std::string& issuer, const std::string& audience, const std::string& acs,
                                  TimePoint now) {
  saml::AssertionInput in;
  in.issuer = issuer;
  in.audience = audience;
  in.recipient = acs;
  in.inResponseTo = "_request";
  in.nameId = "AAdzZWNyZXQxbmFtZWlk";
  in.nameIdFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  in.now = now;
  in.authnInstant = now;
  in.sessionIndex = "_session";
  in.authnContextClassRef = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
  in.attributes = {{"urn:oid:2.5.4.4", "sn", {"Иванов"}},
                   {"urn:oid:2.5.4.42", "givenName", {"Иван"}},
                   {"urn:oid:1.2.643.100.3", "snils", {"11223344595"}},
                   {"urn:oid:1.2.643.3.131.1.1", "inn", {"500100732259"}}};
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const int n = argc > 2 ? std::atoi(argv[2]) : 200;
  crypto::initializeXmlsec();
  SystemClock clock;
  SystemRandom random;
  const auto now = clock.now();
  auto upstream = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "upstream", 30, clock);
  auto ours = crypto::generateKeyPair(crypto::KeyAlgorithm::Rsa2048, "propusk", 30, clock);

  const std::string acs = "https://propusk.example/saml/acs";
  const std::string spEntity = "https://propusk.example/saml/sp/metadata";
  const std::string upstreamEntity = "https://bank.example/idp";
  saml::SigningOptions upSigning;
  upSigning.key = upstream.key.get();
  upSigning.cert = upstream.cert.get();
  auto upstreamResponse = saml::buildSuccessResponse(assertionFor(upstreamEntity, spEntity, acs, now), upSigning, random);
  if (!upstreamResponse) {
    std::fprintf(stderr, "cannot build the upstream Response: %s\n", upstreamResponse.error().detail.c_str());
    return 1;
  }

  // A Response whose signed Assertion is encrypted to our certificate (what Shibboleth IdP sends
  // by default: the Assertion signed, then encrypted; the Response itself unsigned).
  std::string encrypted;
  {
    saml::SigningOptions assertionOnly = upSigning;
    assertionOnly.signResponse = false;
    auto plain = saml::buildSuccessResponse(assertionFor(upstreamEntity, spEntity, acs, now), assertionOnly, random);
    if (!plain) return 1;
    auto doc = xml::parseSecure(*plain, saml::sp::responseParseLimits());
    if (!doc) return 1;
    xmlNode* assertion = xml::child(xmlDocGetRootElement(doc->get()), xml::ns::kSaml, "Assertion");
    auto enc = crypto::encryptElement(assertion, ours.cert.get(), crypto::DataEncryption::Aes128Gcm, xml::ns::kSaml,
                                      "EncryptedAssertion");
    if (!enc) {
      std::fprintf(stderr, "cannot encrypt: %s\n", enc.error().detail.c_str());
      return 1;
    }
    encrypted = xml::serialize(doc->get());
  }

  X509* trusted[] = {upstream.cert.get()};
  const EVP_PKEY* decryptWith[] = {ours.key.get()};
  auto verify = [&](const std::string& xmlText, bool decrypt) {
    saml::sp::ResponseExpectations ex;
    ex.idpEntityId = upstreamEntity;
    ex.idpCertificates = trusted;
    ex.spEntityId = spEntity;
    ex.acsUrl = acs;
    ex.requestId = "_request";
    ex.now = now;
    ex.willProxy = true;
    if (decrypt) ex.decryptionKeys = decryptWith;
    auto v = saml::sp::verifyResponse(xmlText, ex);
    if (!v.ok()) {
      std::fprintf(stderr, "verification failed at %s: %s\n", std::string(*v.failedStep).c_str(), v.failure.c_str());
      std::exit(1);
    }
  };
  saml::SigningOptions ourSigning;
  ourSigning.key = ours.key.get();
  ourSigning.cert = ours.cert.get();
  auto ourInput = assertionFor("https://propusk.example/saml/metadata", "https://sp.example/sp",
                               "https://sp.example/acs", now);
  ourInput.authenticatingAuthorities = {upstreamEntity};
  auto sign = [&] {
    if (!saml::buildSuccessResponse(ourInput, ourSigning, random)) std::exit(1);
  };

  const double signUs = medianMicros(rounds, n, sign);
  const double verifyUs = medianMicros(rounds, n, [&] { verify(*upstreamResponse, false); });
  const double decryptUs = medianMicros(rounds, n, [&] { verify(encrypted, true); });
  std::printf("one thread, RSA-2048, medians of %d rounds x %d operations (microseconds per operation)\n", rounds, n);
  std::printf("sign our Response (local login's SAML cost)   %8.1f\n", signUs);
  std::printf("verify an upstream Response                    %8.1f\n", verifyUs);
  std::printf("decrypt + verify an encrypted upstream Response %7.1f\n", decryptUs);
  std::printf("proxied login = verify + sign                  %8.1f  (%.2fx a local login's)\n", verifyUs + signUs,
              (verifyUs + signUs) / signUs);
  std::printf("proxied login, encrypted = decrypt+verify + sign %6.1f  (%.2fx)\n", decryptUs + signUs,
              (decryptUs + signUs) / signUs);
  return 0;
}
