#include "idp/crypto/tls_cert.h"

#include <openssl/x509.h>

#include <catch2/catch.hpp>

using namespace propusk;

namespace {
std::string subjectOf(const X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}
}  // namespace

TEST_CASE("two development TLS certificates for one host have different subjects", "[crypto][tls]") {
  // A client finds a self-signed certificate in its trust file by subject name: a gateway and
  // its upstream on one host, both "CN=localhost", could not both be trusted.
  FixedClock clock{"2026-01-10T10:00:00Z"};
  auto a = crypto::generateTlsCertificate({"localhost"}, {"127.0.0.1"}, 30, clock);
  auto b = crypto::generateTlsCertificate({"localhost"}, {"127.0.0.1"}, 30, clock);
  CHECK(subjectOf(a.cert.get()).find("CN=localhost") != std::string::npos);
  CHECK(subjectOf(a.cert.get()) != subjectOf(b.cert.get()));
  // Still self-signed: issuer = subject.
  CHECK(X509_NAME_cmp(X509_get_issuer_name(a.cert.get()), X509_get_subject_name(a.cert.get())) == 0);
}
