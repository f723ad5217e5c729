// Argon2id password hashing (RFC 9106) with the parameters stored in the encoded string,
// so they can be raised later and old hashes upgraded at the next successful login.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "idp/core/random.h"

namespace propusk::auth {

struct Argon2Params {
  std::uint32_t memoryKiB = 19456;  // OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
  std::uint32_t saltBytes = 16;
  std::uint32_t hashBytes = 32;
};

// "$argon2id$v=19$m=...,t=...,p=...$salt$hash". Throws std::runtime_error if libargon2 fails
// (out of memory), never for any password.
std::string hashPassword(std::string_view password, const Argon2Params& params, Random& random);
// Constant-time comparison inside libargon2. False for a malformed or non-argon2id string.
bool verifyPassword(std::string_view password, const std::string& encoded);
// True when the stored hash used weaker parameters than `params` (or is not argon2id).
bool needsRehash(const std::string& encoded, const Argon2Params& params);
std::optional<Argon2Params> parseParams(const std::string& encoded);

}  // namespace propusk::auth
