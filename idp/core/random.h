// Randomness comes from an injected Random so that tests can fix it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace propusk {

class Random {
 public:
  virtual ~Random() = default;
  virtual std::vector<std::uint8_t> bytes(std::size_t n) = 0;

  // 128+ bits as lowercase hex.
  std::string hex(std::size_t nbytes = 16);
  // An xs:ID: must not start with a digit (core §1.3.4 / XML NCName), so prefix "_".
  std::string samlId() { return "_" + hex(20); }
  // base64url without padding, for tokens in cookies and forms.
  std::string token(std::size_t nbytes = 32);
};

// OpenSSL's CSPRNG. Small requests (IDs, nonces: several per issued assertion) are served
// from a per-thread block of 256 bytes filled by one RAND_bytes call; each call costs a
// getpid() (OpenSSL's fork check) and the DRBG's bookkeeping. Served bytes are wiped from
// the block, and a fork empties every block in the child, so no two processes or calls
// ever share bytes.
class SystemRandom final : public Random {
 public:
  std::vector<std::uint8_t> bytes(std::size_t n) override;
};

// Deterministic counter bytes, for tests.
class SequenceRandom final : public Random {
 public:
  explicit SequenceRandom(std::uint8_t start = 0) : next_(start) {}
  std::vector<std::uint8_t> bytes(std::size_t n) override;

 private:
  std::uint8_t next_;
};

}  // namespace propusk
