#include "idp/core/random.h"

#include <openssl/rand.h>

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

std::vector<std::uint8_t> SystemRandom::bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  if (n && RAND_bytes(out.data(), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed: no entropy");
  return out;
}

std::vector<std::uint8_t> SequenceRandom::bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (auto& c : out) c = next_++;
  return out;
}

}  // namespace propusk
