#include "idp/core/random.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <thread>

using namespace propusk;

TEST_CASE("system randomness: no value repeats, across block refills and sizes", "[core][random]") {
  SystemRandom r;
  std::set<std::vector<std::uint8_t>> seen;
  for (int i = 0; i < 500; ++i) {  // 500 x 20 bytes: dozens of 256-byte refills
    auto b = r.bytes(20);
    REQUIRE(b.size() == 20);
    CHECK(seen.insert(b).second);
  }
  CHECK(r.bytes(0).empty());
  CHECK(r.bytes(1000).size() == 1000);
  auto id = r.samlId();
  CHECK(id.size() == 41);
  CHECK(id[0] == '_');
  CHECK(r.token(16) != r.token(16));
}

TEST_CASE("system randomness: threads never get the same bytes", "[core][random]") {
  SystemRandom r;
  std::vector<std::uint8_t> a, b;
  std::thread t1([&] { a = r.bytes(32); });
  std::thread t2([&] { b = r.bytes(32); });
  t1.join();
  t2.join();
  CHECK(a != b);
}

TEST_CASE("system randomness: a forked child does not repeat its parent's bytes", "[core][random]") {
  SystemRandom r;
  r.bytes(20);  // the parent's block is filled now
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto b = SystemRandom().bytes(20);
    ssize_t n = write(fds[1], b.data(), b.size());
    _exit(n == 20 ? 0 : 1);
  }
  close(fds[1]);
  std::vector<std::uint8_t> fromChild(20);
  REQUIRE(read(fds[0], fromChild.data(), fromChild.size()) == 20);
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(r.bytes(20) != fromChild);  // the same block position in both: must not be the same bytes
}
