#include <Poco/JSON/Array.h>

#include "idp/admin/bootstrap.h"
#include "idp/admin/user_admin.h"
#include "idp/cli/command_helpers.h"
#include "idp/cli/commands.h"
#include "idp/core/printable.h"
#include "idp/identity/validators.h"
#include "idp/sso/second_factors.h"

namespace propusk::cli {

namespace {

admin::UserAdminEnv env(Context& ctx) {
  return {ctx.store(), ctx.clock, ctx.random, ctx.config.passwordPolicy, ctx.config.argon2, ctx.actor};
}

Poco::JSON::Object::Ptr userJson(const store::User& u) {
  auto o = newJsonObject();
  o->set("login", u.login);
  o->set("surname", u.surname);
  o->set("given_name", u.givenName);
  if (u.middleName) o->set("middle_name", *u.middleName);
  if (u.inn) o->set("inn", *u.inn);
  if (u.snils) o->set("snils", *u.snils);
  if (u.email) o->set("email", *u.email);
  if (u.phone) o->set("phone", *u.phone);
  o->set("status", std::string(policy::accountStatusName(u.status)));
  o->set("locked", u.locked);
  o->set("failed_logins", u.failedLogins);
  o->set("created", formatXsDateTime(u.createdAt));
  o->set("updated", formatXsDateTime(u.updatedAt));
  return o;  // never the password hash
}

std::string fullName(const store::User& u) {
  return u.surname + " " + u.givenName + (u.middleName ? " " + *u.middleName : "");
}

int report(Context& ctx, const Result<store::User>& r, const std::string& what) {
  if (!r) throw CliError(r.error().detail);
  if (ctx.json) ctx.printJson(userJson(*r));
  else ctx.io.out << what << " " << r->login << "\n";
  return 0;
}

}  // namespace

int cmdUserAdd(Context& ctx, const ParsedArgs& args) {
  admin::NewUser in;
  in.login = args.positional[0];
  auto required = [&](const char* name) {
    auto v = args.get(name);
    if (!v) throw CliError(std::string(name) + ": required (--" + name + " TEXT)");
    return *v;
  };
  in.surname = required("surname");
  in.givenName = required("given-name");
  in.middleName = args.get("middle-name");
  in.inn = args.get("inn");
  in.snils = args.get("snils");
  in.email = args.get("email");
  in.phone = args.get("phone");
  in.status = args.get("status").value_or("simplified");
  // Check everything but the password first, so a typo does not cost a password entry.
  if (auto ok = admin::prepareUser(env(ctx), in); !ok) throw CliError(ok.error().detail);
  in.password = ctx.readNewPassword("Password");
  return report(ctx, admin::addUser(env(ctx), in), "added user");
}

int cmdUserShow(Context& ctx, const ParsedArgs& args) {
  auto login = identity::normalizeLogin(args.positional[0]);
  if (!login) throw CliError("login: " + login.error().detail);
  auto u = ctx.store().findUser(*login);
  if (!u) throw CliError("login: no such user '" + *login + "'");
  // The upstream identities that log in as this account (gateway).
  const auto links = ctx.store().listAccountLinks(u->id);
  // Its confirmed second factors (never a secret) and how many recovery codes are left.
  std::vector<std::string> factors;
  for (auto& f : ctx.store().listFactors(u->id))
    if (f.confirmedAt) factors.emplace_back(store::factorKindName(f.kind));
  const auto recoveryLeft = ctx.store().countRecoveryCodes(u->id);
  if (ctx.json) {
    auto o = userJson(*u);
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (auto& l : links) {
      auto j = newJsonObject();
      j->set("upstream", l.upstream);
      j->set("subject", l.subject);
      j->set("linked_at", formatXsDateTime(l.linkedAt));
      arr->add(j);
    }
    o->set("links", arr);
    o->set("factors", toJsonArray(factors));
    o->set("recovery_codes_left", recoveryLeft);
    ctx.printJson(o);
    return 0;
  }
  auto& out = ctx.io.out;
  out << "login:      " << u->login << "\n"
      << "name:       " << fullName(*u) << "\n"
      << "status:     " << policy::accountStatusName(u->status) << "\n"
      << "INN:        " << u->inn.value_or("-") << "\n"
      << "SNILS:      " << (u->snils ? identity::formatSnils(*u->snils) : "-") << "\n"
      << "e-mail:     " << u->email.value_or("-") << "\n"
      << "phone:      " << u->phone.value_or("-") << "\n"
      << "locked:     " << (u->locked ? "yes" : "no") << "\n"
      << "failed:     " << u->failedLogins << "\n"
      << "created:    " << formatXsDateTime(u->createdAt) << "\n";
  std::string fs;
  for (auto& f : factors) fs += (fs.empty() ? "" : ", ") + f;
  out << "factors:    " << (fs.empty() ? "none" : fs) << (fs.empty() ? "" : " (" + std::to_string(recoveryLeft) + " recovery codes left)")
      << "\n"
      << "links:      " << (links.empty() ? "none" : "") << "\n";
  for (auto& l : links)
    out << "  " << l.upstream << "  " << printable(l.subject, 256) << "  linked " << formatXsDateTime(l.linkedAt)
        << "\n";
  return 0;
}

int cmdUserList(Context& ctx, const ParsedArgs&) {
  auto users = ctx.store().listUsers();
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (auto& u : users) arr->add(userJson(u));
    ctx.printJson(arr);
  } else {
    for (auto& u : users)
      ctx.io.out << u.login << "  " << policy::accountStatusName(u.status) << (u.locked ? "  locked" : "") << "  "
                 << fullName(u) << "\n";
  }
  return 0;
}

int cmdUserSetStatus(Context& ctx, const ParsedArgs& args) {
  return report(ctx, admin::setStatus(env(ctx), args.positional[0], args.positional[1]), "status set for");
}

int cmdUserLock(Context& ctx, const ParsedArgs& args) {
  return report(ctx, admin::setLocked(env(ctx), args.positional[0], true), "locked");
}

int cmdUserUnlock(Context& ctx, const ParsedArgs& args) {
  return report(ctx, admin::setLocked(env(ctx), args.positional[0], false), "unlocked");
}

int cmdUserPasswd(Context& ctx, const ParsedArgs& args) {
  auto login = identity::normalizeLogin(args.positional[0]);
  if (!login) throw CliError("login: " + login.error().detail);
  if (!ctx.store().findUser(*login)) throw CliError("login: no such user '" + *login + "'");
  std::string pw = ctx.readNewPassword("New password");
  return report(ctx, admin::setPassword(env(ctx), *login, pw), "password changed for");
}

int cmdUserRemove(Context& ctx, const ParsedArgs& args) {
  auto r = admin::removeUser(env(ctx), args.positional[0]);
  if (!r) throw CliError(r.error().detail);
  if (ctx.json) {
    auto o = newJsonObject();
    o->set("removed", *identity::normalizeLogin(args.positional[0]));
    ctx.printJson(o);
  } else {
    ctx.io.out << "removed user " << *identity::normalizeLogin(args.positional[0]) << "\n";
  }
  return 0;
}

// The administrator's side of TOTP (DESIGN.md): enroll and reset print the otpauth:// URI once
// (the person scans it or types the secret into an app; it is confirmed at once), remove takes
// the factor away (and the recovery codes with the last factor).
int cmdUserTotp(Context& ctx, const ParsedArgs& args) {
  const std::string& verb = args.positional[0];
  if (verb != "enroll" && verb != "reset" && verb != "remove")
    throw UsageError("user totp: the first argument is enroll, reset or remove, not '" + printable(verb, 32) + "'");
  auto login = identity::normalizeLogin(args.positional[1]);
  if (!login) throw CliError("login: " + login.error().detail);
  auto& store = ctx.store();
  auto user = store.findUser(*login);
  if (!user) throw CliError("login: no such user '" + *login + "'");
  std::optional<auth::FactorKey> key;
  try {
    key = admin::openFactorKey(store, ctx.config.factorKeyPath(), ctx.random, ctx.actor);
  } catch (const std::runtime_error& e) {
    throw CliError(e.what());
  }
  sso::SecondFactorSettings settings;
  settings.issuer = ctx.config.totpIssuer;
  sso::SecondFactors factors(store, *key, ctx.clock, ctx.random, nullptr, settings);
  if (verb == "remove") {
    if (!factors.remove(*user, store::FactorKind::Totp, ctx.actor)) throw CliError("totp: not enrolled for " + *login);
    if (ctx.json) {
      auto o = newJsonObject();
      o->set("removed", *login);
      ctx.printJson(o);
    } else {
      ctx.io.out << "removed the TOTP authenticator of " << *login << "\n";
    }
    return 0;
  }
  auto secret = factors.enrolTotp(*user, verb == "reset", ctx.actor);
  if (!secret) throw CliError(secret.error().detail);
  if (ctx.json) {
    auto o = newJsonObject();
    o->set("uri", secret->uri);
    o->set("secret", secret->secret);
    ctx.printJson(o);
  } else {
    ctx.io.out << secret->uri << "\n"
               << "secret: " << secret->secret << "\n"
               << "(shown once: give it to " << *login << " to add to an authenticator app)\n";
  }
  return 0;
}

}  // namespace propusk::cli
