#include "idp/auth/password_hash.h"

#include <argon2.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace propusk::auth {

std::string hashPassword(std::string_view password, const Argon2Params& p, Random& random) {
  auto salt = random.bytes(p.saltBytes);
  std::vector<char> out(argon2_encodedlen(p.iterations, p.memoryKiB, p.parallelism, p.saltBytes,
                                          p.hashBytes, Argon2_id));
  int rc = argon2id_hash_encoded(p.iterations, p.memoryKiB, p.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), p.hashBytes, out.data(),
                                 out.size());
  if (rc != ARGON2_OK) throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  return std::string(out.data());
}

bool verifyPassword(std::string_view password, const std::string& encoded) {
  if (!encoded.starts_with("$argon2id$")) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::optional<Argon2Params> parseParams(const std::string& encoded) {
  Argon2Params p;
  unsigned v = 0;
  if (std::sscanf(encoded.c_str(), "$argon2id$v=%u$m=%u,t=%u,p=%u$", &v, &p.memoryKiB, &p.iterations,
                  &p.parallelism) != 4)
    return std::nullopt;
  return p;
}

bool needsRehash(const std::string& encoded, const Argon2Params& want) {
  auto p = parseParams(encoded);
  return !p || p->memoryKiB < want.memoryKiB || p->iterations < want.iterations ||
         p->parallelism < want.parallelism;
}

}  // namespace propusk::auth
