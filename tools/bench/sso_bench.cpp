// SSO issuance load client: N keep-alive HTTPS connections POST fresh AuthnRequests
// (HTTP-POST binding, unique IDs) with an existing session cookie, so every request is a
// full issuance (parse, validate, sign the Response and the Assertion). Prints requests/s,
// p50 and p99 latency and failures. Usage:
//   sso_bench URL SP_ENTITY_ID COOKIE CONCURRENCY SECONDS
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "idp/core/base64.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/saml/bindings/redirect.h"

using namespace std::chrono;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: sso_bench URL SP_ENTITY_ID COOKIE CONCURRENCY SECONDS\n";
    return 2;
  }
  Poco::URI base(argv[1]);
  std::string sp = argv[2], cookie = argv[3];
  int concurrency = std::stoi(argv[4]);
  auto duration = seconds(std::stoi(argv[5]));
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);

  propusk::SystemRandom random;
  const std::string runId = random.hex(8);
  std::mutex m;
  std::vector<double> latencies;
  std::atomic<long> failures{0}, seq{0};
  auto deadline = steady_clock::now() + duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      Poco::Net::HTTPSClientSession session(base.getHost(), base.getPort(), ctx);
      session.setKeepAlive(true);
      std::vector<double> mine;
      while (steady_clock::now() < deadline) {
        // Unique across runs too: the IdP's replay cache remembers IDs for minutes.
        std::string id = "_bench" + runId + "_" + std::to_string(t) + "_" + std::to_string(seq++);
        std::string xml = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
                          "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"" + id +
                          "\" Version=\"2.0\" IssueInstant=\"" + propusk::formatXsDateTime(propusk::SystemClock().now()) +
                          "\" Destination=\"" + base.toString() + "/saml/sso\"><saml:Issuer>" + sp +
                          "</saml:Issuer></samlp:AuthnRequest>";
        std::string body = "SAMLRequest=" + propusk::saml::urlEncode(propusk::base64Encode(xml)) + "&RelayState=bench";
        auto start = steady_clock::now();
        try {
          Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/saml/sso", Poco::Net::HTTPMessage::HTTP_1_1);
          req.setContentType("application/x-www-form-urlencoded");
          req.setContentLength(static_cast<std::streamsize>(body.size()));
          req.set("Cookie", cookie);
          session.sendRequest(req) << body;
          Poco::Net::HTTPResponse resp;
          std::istream& in = session.receiveResponse(resp);
          std::stringstream ss;
          ss << in.rdbuf();
          bool ok = resp.getStatus() == 200 && ss.str().find("name=\"SAMLResponse\"") != std::string::npos;
          if (!ok && failures++ < 3) {
            std::lock_guard lock(m);
            std::cerr << "failure: HTTP " << resp.getStatus() << " " << ss.str().substr(0, 300) << "\n";
          }
          else mine.push_back(duration_cast<microseconds>(steady_clock::now() - start).count() / 1000.0);
        } catch (const std::exception& e) {
          if (failures++ < 3) {
            std::lock_guard lock(m);
            std::cerr << "failure: " << e.what() << "\n";
          }
          session.reset();
        }
      }
      std::lock_guard lock(m);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, size_t(p * latencies.size()))]; };
  double rps = latencies.size() / double(duration.count());
  std::printf("concurrency=%d requests=%zu failures=%ld rps=%.1f p50_ms=%.2f p99_ms=%.2f\n", concurrency,
              latencies.size(), failures.load(), rps, pct(0.50), pct(0.99));
  return failures.load() == 0 ? 0 : 1;
}
