// The body limits, how a request's body is framed, the bounded read and the linger budget.
#include "idp/web/request_body.h"

#include <Poco/Net/HTTPRequest.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <sstream>
#include <stdexcept>

using namespace propusk::web;
using namespace std::chrono_literals;

namespace {

Poco::Net::HTTPRequest request(std::initializer_list<std::pair<const char*, const char*>> headers) {
  Poco::Net::HTTPRequest r(Poco::Net::HTTPRequest::HTTP_POST, "/saml/sso", Poco::Net::HTTPMessage::HTTP_1_1);
  for (auto& [name, value] : headers) r.add(name, value);
  return r;
}

BodyFraming length(std::uint64_t n) { return {BodyFraming::Length, n, {}}; }
const BodyFraming kChunked{BodyFraming::Chunked, 0, {}};

// A stream whose device fails after `good` bytes, as Poco's chunked stream does on a bad
// chunk or a timeout (istream turns the exception into badbit).
// A client dripping its body: one byte per read on the socket, `pause` before each.
class DripBuf : public std::streambuf {
 public:
  explicit DripBuf(std::chrono::milliseconds pause) : pause_(pause) {}
  std::size_t reads = 0;

 protected:
  int_type underflow() override {
    std::this_thread::sleep_for(pause_);
    ++reads;
    ch_ = 'B';
    setg(&ch_, &ch_, &ch_ + 1);
    return traits_type::to_int_type(ch_);
  }

 private:
  std::chrono::milliseconds pause_;
  char ch_ = 0;
};

class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::size_t good) : good_(good) {}

 protected:
  int_type underflow() override {
    if (good_ == 0) throw std::runtime_error("Invalid chunk length");
    --good_;
    ch_ = 'A';
    setg(&ch_, &ch_, &ch_ + 1);
    return traits_type::to_int_type(ch_);
  }

 private:
  std::size_t good_;
  char ch_ = 0;
};

}  // namespace

TEST_CASE("body limits: one per endpoint that takes content, only for POST", "[web][body]") {
  REQUIRE(bodyLimitFor("/saml/sso", "POST"));
  CHECK(bodyLimitFor("/saml/sso", "POST")->maxBytes == 512 * 1024);
  CHECK(bodyLimitFor("/saml/sso", "POST")->auditAction == "authn-request.refused");
  CHECK(bodyLimitFor("/saml/sso", "POST")->auditStep == "binding");
  CHECK(bodyLimitFor("/saml/slo", "POST")->maxBytes == 512 * 1024);
  CHECK(bodyLimitFor("/saml/soap", "POST")->maxBytes == 256 * 1024);
  CHECK(bodyLimitFor("/login", "POST")->maxBytes == 16 * 1024);
  // A huge form at a login page is audited (docs/account-security.md), as SAML bodies are.
  CHECK(bodyLimitFor("/login", "POST")->auditAction == "login.refused");
  for (const char* p : {"/login/mfa", "/login/recover", "/account"}) {
    REQUIRE(bodyLimitFor(p, "POST"));
    CHECK(bodyLimitFor(p, "POST")->maxBytes == 16 * 1024);
    CHECK_FALSE(bodyLimitFor(p, "POST")->auditAction.empty());
  }
  CHECK(bodyLimitFor("/logout", "POST")->maxBytes == 16 * 1024);
  CHECK_FALSE(bodyLimitFor("/saml/sso", "GET"));
  CHECK_FALSE(bodyLimitFor("/saml/sso", "HEAD"));
  CHECK_FALSE(bodyLimitFor("/saml/sso/unsolicited", "POST"));
  CHECK_FALSE(bodyLimitFor("/readyz", "POST"));
  CHECK_FALSE(bodyLimitFor("/nowhere", "POST"));
}

TEST_CASE("framing: Content-Length, chunked, none", "[web][body]") {
  CHECK(bodyFraming(request({})).kind == BodyFraming::None);
  CHECK(bodyFraming(request({{"Content-Length", "0"}})).kind == BodyFraming::None);
  auto f = bodyFraming(request({{"Content-Length", "4194304"}}));
  CHECK(f.kind == BodyFraming::Length);
  CHECK(f.length == 4194304);
  CHECK(bodyFraming(request({{"content-length", "12"}})).length == 12);
  CHECK(bodyFraming(request({{"Content-Length", "7"}, {"Content-Length", "7"}})).length == 7);
  CHECK(bodyFraming(request({{"Transfer-Encoding", "chunked"}})).kind == BodyFraming::Chunked);
  CHECK(bodyFraming(request({{"transfer-encoding", "Chunked"}})).kind == BodyFraming::Chunked);
  CHECK(bodyFraming(request({{"Content-Length", "9999999999999999999"}})).length == 9999999999999999999ull);
}

TEST_CASE("framing: what could be read two ways is refused", "[web][body]") {
  for (auto headers : {request({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}),
                       request({{"Transfer-Encoding", "gzip, chunked"}}),
                       request({{"Transfer-Encoding", "gzip"}}),
                       request({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}),
                       request({{"Content-Length", "5"}, {"Content-Length", "6"}}),
                       request({{"Content-Length", "-1"}}),
                       request({{"Content-Length", "+5"}}),
                       request({{"Content-Length", "5, 5"}}),
                       request({{"Content-Length", "0x10"}}),
                       request({{"Content-Length", "abc"}}),
                       request({{"Content-Length", "99999999999999999999"}})}) {
    auto f = bodyFraming(headers);
    CHECK(f.kind == BodyFraming::Invalid);
    CHECK_FALSE(f.problem.empty());
  }
}

TEST_CASE("plan: refused before reading when declared over the limit, at the limit read", "[web][body]") {
  const BodyLimit* sso = bodyLimitFor("/saml/sso", "POST");
  CHECK(planBody({}, sso) == BodyPlan::None);
  CHECK(planBody({}, nullptr) == BodyPlan::None);
  CHECK(planBody(length(512 * 1024), sso) == BodyPlan::Read);
  CHECK(planBody(length(512 * 1024 + 1), sso) == BodyPlan::TooLarge);
  CHECK(planBody(length(4 << 20), sso) == BodyPlan::TooLarge);
  CHECK(planBody(kChunked, sso) == BodyPlan::Read);  // counted while read
  CHECK(planBody(length(10), nullptr) == BodyPlan::Unexpected);
  CHECK(planBody(kChunked, nullptr) == BodyPlan::Unexpected);
  CHECK(planBody({BodyFraming::Invalid, 0, "x"}, sso) == BodyPlan::Malformed);
  CHECK(planBody({BodyFraming::Invalid, 0, "x"}, nullptr) == BodyPlan::Malformed);
}

TEST_CASE("read: a declared length is read exactly", "[web][body]") {
  std::istringstream in("SAMLRequest=abc&RelayState=xyz");
  auto body = readBody(in, length(15), 100);
  REQUIRE(body);
  CHECK(*body == "SAMLRequest=abc");

  std::istringstream at("12345678");
  CHECK(readBody(at, length(8), 8).value() == "12345678");

  std::istringstream shorter("1234");  // the client closed early
  auto cut = readBody(shorter, length(8), 8);
  REQUIRE_FALSE(cut);
  CHECK(cut.error() == BodyFault::Incomplete);

  std::istringstream over("123456789");
  CHECK(readBody(over, length(9), 8).error() == BodyFault::TooLarge);
}

TEST_CASE("read: a chunked body is counted and cut one byte past the limit", "[web][body]") {
  std::istringstream at(std::string(20000, 'a'));
  auto ok = readBody(at, kChunked, 20000);
  REQUIRE(ok);
  CHECK(ok->size() == 20000);

  std::istringstream past(std::string(20001, 'a') + "never read");
  auto cut = readBody(past, kChunked, 20000);
  REQUIRE_FALSE(cut);
  CHECK(cut.error() == BodyFault::TooLarge);
  std::string rest;
  std::getline(past, rest);
  CHECK(rest == "never read");  // nothing beyond the one byte over was consumed

  std::istringstream empty("");
  CHECK(readBody(empty, kChunked, 10).value().empty());

  FailingBuf failing(100);
  std::istream broken(&failing);
  auto bad = readBody(broken, kChunked, 1000);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == BodyFault::Incomplete);
}

TEST_CASE("linger: bounded by bytes and by time, idle waits capped", "[web][body]") {
  LingerBudget b;
  CHECK(b.nextWait(0, 0ms) == 1000ms);
  CHECK(b.nextWait(4 << 20, 500ms) == 1000ms);
  CHECK(b.nextWait(0, 1500ms) == 500ms);  // never past the total
  CHECK_FALSE(b.nextWait(0, 2000ms));
  CHECK_FALSE(b.nextWait(0, 5000ms));
  CHECK_FALSE(b.nextWait(8 << 20, 0ms));
  CHECK_FALSE(b.nextWait(9 << 20, 0ms));
  LingerBudget tight{1024, 100ms, 30ms};
  CHECK(tight.nextWait(1023, 0ms) == 30ms);
  CHECK(tight.nextWait(0, 90ms) == 10ms);
  CHECK_FALSE(tight.nextWait(1024, 0ms));
}

TEST_CASE("read: a body that does not arrive within the deadline is TooSlow, checked after every read",
          "[web][body]") {
  using namespace std::chrono_literals;
  DripBuf drip(5ms);
  std::istream slow(&drip);
  const auto start = std::chrono::steady_clock::now();
  auto r = readBody(slow, length(100000), 512 * 1024, 60ms);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r);
  CHECK(r.error() == BodyFault::TooSlow);
  CHECK(took < 1s);           // stopped at the deadline, not after 100 000 reads
  CHECK(drip.reads < 100);    // each read checked

  DripBuf chunked(5ms);
  std::istream slowChunks(&chunked);
  CHECK(readBody(slowChunks, kChunked, 512 * 1024, 60ms).error() == BodyFault::TooSlow);

  // The same drip finishing in time is read whole.
  DripBuf quick(1ms);
  std::istream fine(&quick);
  auto ok = readBody(fine, length(10), 100, 5s);
  REQUIRE(ok);
  CHECK(*ok == std::string(10, 'B'));
}
