#include "idp/admin/user_admin.h"

#include "idp/identity/validators.h"

namespace propusk::admin {

namespace {

std::unexpected<Error> fieldError(const std::string& field, const Error& e) {
  return invalid(field + ": " + e.detail);
}

Result<std::optional<std::string>> optionalField(const std::string& field, const std::optional<std::string>& v,
                                                 Result<std::string> (*normalize)(std::string_view)) {
  if (!v) return std::optional<std::string>{};
  auto r = normalize(*v);
  if (!r) return fieldError(field, r.error());
  return std::optional<std::string>{*r};
}

std::string conflictField(store::UserConflict c) {
  switch (c) {
    case store::UserConflict::Login: return "login: already taken";
    case store::UserConflict::Inn: return "inn: another account already has this INN";
    case store::UserConflict::Snils: return "snils: another account already has this SNILS";
    case store::UserConflict::Link: return "link: the upstream subject is linked to another account already";
    case store::UserConflict::None: break;
  }
  return "";
}

Result<store::User> findOrFail(const UserAdminEnv& env, const std::string& login) {
  auto norm = identity::normalizeLogin(login);
  if (!norm) return fieldError("login", norm.error());
  auto u = env.store.findUser(*norm);
  if (!u) return invalid("login: no such user '" + *norm + "'");
  return *u;
}

}  // namespace

std::optional<std::string> statusPrerequisiteMissing(const store::User& u, policy::AccountStatus s) {
  if (!u.email && !u.phone) return "every account needs a confirmed contact: give --email or --phone";
  if (s >= policy::AccountStatus::Standard && !u.snils)
    return std::string(policy::accountStatusName(s)) + " requires a SNILS (--snils)";
  return std::nullopt;
}

Result<store::User> prepareUser(const UserAdminEnv& env, const NewUser& in) {
  store::User u;
  auto login = identity::normalizeLogin(in.login);
  if (!login) return fieldError("login", login.error());
  u.login = *login;
  auto surname = identity::normalizeNamePart(in.surname);
  if (!surname) return fieldError("surname", surname.error());
  u.surname = *surname;
  auto given = identity::normalizeNamePart(in.givenName);
  if (!given) return fieldError("given-name", given.error());
  u.givenName = *given;
  auto middle = optionalField("middle-name", in.middleName, identity::normalizeNamePart);
  if (!middle) return std::unexpected(middle.error());
  u.middleName = *middle;
  auto inn = optionalField("inn", in.inn, identity::normalizeInn);
  if (!inn) return std::unexpected(inn.error());
  u.inn = *inn;
  auto snils = optionalField("snils", in.snils, identity::normalizeSnils);
  if (!snils) return std::unexpected(snils.error());
  u.snils = *snils;
  auto email = optionalField("email", in.email, identity::normalizeEmail);
  if (!email) return std::unexpected(email.error());
  u.email = *email;
  auto phone = optionalField("phone", in.phone, identity::normalizePhone);
  if (!phone) return std::unexpected(phone.error());
  u.phone = *phone;
  // Contacts entered by an administrator are taken as confirmed by them.
  u.emailConfirmed = u.email.has_value();
  u.phoneConfirmed = u.phone.has_value();
  auto status = policy::parseAccountStatus(in.status);
  if (!status) return invalid("status: must be simplified, standard or confirmed");
  u.status = *status;
  if (auto missing = statusPrerequisiteMissing(u, u.status)) return invalid("status: " + *missing);
  if (env.store.findUser(u.login)) return invalid("login: already taken");
  return u;
}

Result<store::User> addUser(const UserAdminEnv& env, const NewUser& in) {
  auto prepared = prepareUser(env, in);
  if (!prepared) return prepared;
  store::User u = std::move(*prepared);
  if (auto pw = auth::checkPassword(in.password, u.login, env.passwordPolicy); !pw)
    return fieldError("password", pw.error());
  u.uid = env.random.hex(16);
  u.passwordHash = auth::hashPassword(in.password, env.argon2, env.random);
  u.createdAt = u.updatedAt = env.clock.now();
  std::string details = R"({"status":")" + std::string(policy::accountStatusName(u.status)) + "\"}";
  if (auto c = env.store.addUser(u, {env.actor, "user.add", u.login, "ok", details}); c != store::UserConflict::None)
    return invalid(conflictField(c));
  return u;
}

Result<store::User> setStatus(const UserAdminEnv& env, const std::string& login, const std::string& status) {
  auto u = findOrFail(env, login);
  if (!u) return u;
  auto s = policy::parseAccountStatus(status);
  if (!s) return invalid("status: must be simplified, standard or confirmed");
  if (auto missing = statusPrerequisiteMissing(*u, *s)) return invalid("status: " + *missing);
  std::string details = R"({"from":")" + std::string(policy::accountStatusName(u->status)) + R"(","to":")" +
                        std::string(policy::accountStatusName(*s)) + "\"}";
  u->status = *s;
  u->updatedAt = env.clock.now();
  env.store.updateUser(*u, {env.actor, "user.set-status", u->login, "ok", details});
  return u;
}

Result<store::User> setLocked(const UserAdminEnv& env, const std::string& login, bool locked) {
  auto u = findOrFail(env, login);
  if (!u) return u;
  u->locked = locked;
  if (!locked) {  // "unlock" lifts every kind of lock, the automatic backoff too
    u->failedLogins = 0;
    u->lockedUntil.reset();
  }
  u->updatedAt = env.clock.now();
  env.store.updateUser(*u, {env.actor, locked ? "user.lock" : "user.unlock", u->login, "ok", "{}"});
  return u;
}

Result<store::User> setPassword(const UserAdminEnv& env, const std::string& login, const std::string& password) {
  auto u = findOrFail(env, login);
  if (!u) return u;
  if (auto pw = auth::checkPassword(password, u->login, env.passwordPolicy); !pw)
    return fieldError("password", pw.error());
  u->passwordHash = auth::hashPassword(password, env.argon2, env.random);
  u->failedLogins = 0;
  u->lockedUntil.reset();
  u->updatedAt = env.clock.now();
  env.store.updateUser(*u, {env.actor, "user.passwd", u->login, "ok", "{}"});
  return u;
}

Status removeUser(const UserAdminEnv& env, const std::string& login) {
  auto u = findOrFail(env, login);
  if (!u) return std::unexpected(u.error());
  if (!env.store.removeUser(u->login, {env.actor, "user.remove", u->login, "ok", "{}"}))
    return invalid("login: no such user '" + u->login + "'");
  return {};
}

}  // namespace propusk::admin
