// Argon2id for the server's logins, bounded: at most `slots` hashes run at once (one per
// core: Argon2id with p = 1 keeps one core busy), and at most `maxWaiting` requests wait for a
// slot; beyond that a login is answered "busy" at once, so that a login storm takes neither
// all memory (19 MiB a hash) nor every worker thread from SSO (docs/account-security.md).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "idp/auth/password_hash.h"
#include "idp/core/random.h"

namespace propusk::auth {

class PasswordHasher {
 public:
  PasswordHasher(Argon2Params params, std::size_t slots, std::size_t maxWaiting);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // As verifyPassword; nullopt when too many hashes are waiting already (nothing computed).
  std::optional<bool> verify(std::string_view password, const std::string& encoded);
  // As hashPassword with this hasher's parameters; nullopt when busy.
  std::optional<std::string> hash(std::string_view password, Random& random);
  const Argon2Params& params() const { return params_; }

 private:
  struct Slots;
  Argon2Params params_;
  std::unique_ptr<Slots> slots_;
};

}  // namespace propusk::auth
