// Account administration shared by propuskctl (and later the self-service pages).
// Every refusal's detail starts with the field it concerns: "inn: check digits ...".
#pragma once

#include <optional>
#include <string>

#include "idp/auth/password_hash.h"
#include "idp/auth/password_policy.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/core/result.h"
#include "idp/store/store.h"

namespace propusk::admin {

struct NewUser {
  std::string login;
  std::string surname;
  std::string givenName;
  std::optional<std::string> middleName;
  std::optional<std::string> inn;
  std::optional<std::string> snils;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::string status = "simplified";
  std::string password;
};

struct UserAdminEnv {
  store::Store& store;
  const Clock& clock;
  Random& random;
  const auth::PasswordPolicy& passwordPolicy;
  const auth::Argon2Params& argon2;
  std::string actor;
};

// Validates and normalises every field but the password and checks the status
// prerequisites and that the login is free; nothing is written.
Result<store::User> prepareUser(const UserAdminEnv& env, const NewUser& in);
// prepareUser, then the password policy; hashes the password and stores the account.
// Validates and normalises every field, checks the status prerequisites (simplified needs a
// contact; standard and confirmed need a SNILS), hashes the password, refuses duplicates.
Result<store::User> addUser(const UserAdminEnv& env, const NewUser& in);
Result<store::User> setStatus(const UserAdminEnv& env, const std::string& login, const std::string& status);
Result<store::User> setLocked(const UserAdminEnv& env, const std::string& login, bool locked);
Result<store::User> setPassword(const UserAdminEnv& env, const std::string& login, const std::string& password);
Status removeUser(const UserAdminEnv& env, const std::string& login);

// Prerequisites of a status, e.g. "standard requires a SNILS"; empty when met.
std::optional<std::string> statusPrerequisiteMissing(const store::User& u, policy::AccountStatus s);

}  // namespace propusk::admin
