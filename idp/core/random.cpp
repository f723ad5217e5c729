#include "idp/core/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "idp/core/base64.h"

namespace propusk {

std::string Random::hex(std::size_t nbytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto b = bytes(nbytes);
  std::string out;
  out.reserve(b.size() * 2);
  for (auto c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Random::token(std::size_t nbytes) {
  auto b = bytes(nbytes);
  return base64UrlEncode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

namespace {
std::atomic<std::uint64_t> forkGeneration{0};

void randBytes(std::uint8_t* out, std::size_t n) {
  if (n && RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed: no entropy");
}

struct Block {
  static constexpr std::size_t kSize = 256;
  std::array<std::uint8_t, kSize> bytes{};
  std::size_t used = kSize;  // empty until the first fill
  std::uint64_t generation = 0;
  ~Block() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};
}  // namespace

std::vector<std::uint8_t> SystemRandom::bytes(std::size_t n) {
  static std::once_flag atfork;
  std::call_once(atfork, [] { pthread_atfork(nullptr, nullptr, [] { forkGeneration.fetch_add(1); }); });
  std::vector<std::uint8_t> out(n);
  if (n == 0) return out;
  if (n > Block::kSize / 4) {  // large requests go straight to OpenSSL
    randBytes(out.data(), n);
    return out;
  }
  thread_local Block block;
  const std::uint64_t generation = forkGeneration.load(std::memory_order_relaxed);
  if (block.generation != generation) {  // forked since the fill: those bytes are the parent's too
    OPENSSL_cleanse(block.bytes.data(), block.bytes.size());
    block.used = Block::kSize;
    block.generation = generation;
  }
  if (Block::kSize - block.used < n) {
    randBytes(block.bytes.data(), Block::kSize);
    block.used = 0;
  }
  std::memcpy(out.data(), block.bytes.data() + block.used, n);
  OPENSSL_cleanse(block.bytes.data() + block.used, n);
  block.used += n;
  return out;
}

std::vector<std::uint8_t> SequenceRandom::bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (auto& c : out) c = next_++;
  return out;
}

}  // namespace propusk
