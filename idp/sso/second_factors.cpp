#include "idp/sso/second_factors.h"

#include "idp/auth/one_time_code.h"
#include "idp/core/json_text.h"

namespace propusk::sso {

namespace {

const store::UserFactor* find(const std::vector<store::UserFactor>& fs, store::FactorKind k) {
  for (auto& f : fs)
    if (f.kind == k) return &f;
  return nullptr;
}

std::optional<std::string> contactFor(const store::User& u, notify::Channel c) {
  if (c == notify::Channel::Email) return u.email && u.emailConfirmed ? u.email : std::nullopt;
  return u.phone && u.phoneConfirmed ? u.phone : std::nullopt;
}

notify::Channel channelOf(store::FactorKind k) {
  return k == store::FactorKind::Sms ? notify::Channel::Sms : notify::Channel::Email;
}

std::string codeText(std::string_view purpose, const std::string& code, std::chrono::seconds lifetime) {
  const std::string minutes = std::to_string(lifetime.count() / 60);
  std::string ru = purpose == "recovery" ? "Код для восстановления доступа: "
                   : purpose == "enrol"  ? "Код подтверждения: "
                                         : "Код для входа: ";
  std::string en = purpose == "recovery" ? "Account recovery code: "
                   : purpose == "enrol"  ? "Confirmation code: "
                                         : "Sign-in code: ";
  return ru + code + "\nКод действует " + minutes + " мин. Никому его не сообщайте.\n\n" + en + code +
         "\nValid for " + minutes + " min. Do not share it with anyone.\n";
}

std::string codeSubject(std::string_view purpose) {
  if (purpose == "recovery") return "Восстановление доступа / Account recovery";
  if (purpose == "enrol") return "Код подтверждения / Confirmation code";
  return "Код для входа / Sign-in code";
}

std::string_view checkName(store::CodeCheck c) {
  switch (c) {
    case store::CodeCheck::Ok: return "ok";
    case store::CodeCheck::Wrong: return "wrong";
    case store::CodeCheck::Expired: return "expired";
    case store::CodeCheck::TooManyAttempts: return "too-many-attempts";
    case store::CodeCheck::Unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace

std::string maskedContact(const store::User& user, notify::Channel channel) {
  auto to = contactFor(user, channel);
  return to ? notify::maskDestination(*to) : std::string();
}

AvailableFactors SecondFactors::available(const store::User& user) {
  AvailableFactors a;
  for (auto& f : store_.listFactors(user.id)) {
    if (!f.confirmedAt) continue;
    a.anyEnrolled = true;
    if (f.kind == store::FactorKind::Totp) a.totp = true;
    if (f.kind == store::FactorKind::Email)
      a.email = contactFor(user, notify::Channel::Email) && channelAvailable(notify::Channel::Email);
    if (f.kind == store::FactorKind::Sms) a.sms = contactFor(user, notify::Channel::Sms) && channelAvailable(notify::Channel::Sms);
  }
  a.recovery = a.anyEnrolled && store_.countRecoveryCodes(user.id) > 0;
  return a;
}

std::vector<std::string> SecondFactors::recoveryHashes(const store::User& user,
                                                       const std::vector<std::string>& codes) const {
  std::vector<std::string> out;
  for (auto& c : codes) out.push_back(auth::recoveryCodeMac(key_, user.uid, *auth::normalizeRecoveryCode(c)));
  return out;
}

Result<TotpSecret> SecondFactors::beginTotp(const store::User& user, const std::string& actor) {
  auto existing = store_.listFactors(user.id);
  if (auto* t = find(existing, store::FactorKind::Totp); t && t->confirmedAt)
    return invalid("totp: already enrolled (remove it first)");
  auto raw = random_.bytes(20);  // RFC 4226 §4: 160 bits
  std::string secret(raw.begin(), raw.end());
  store::UserFactor f;
  f.userId = user.id;
  f.kind = store::FactorKind::Totp;
  f.secret = key_.seal(secret, aad(user), random_);
  if (!store_.putFactor(f, nullptr, {actor, "factor.totp.begin", user.login, "ok", "{}"}))
    return invalid("user: no longer exists");
  return TotpSecret{auth::otpauthUri(settings_.issuer, user.login, secret, settings_.totp), auth::base32Encode(secret)};
}

Result<std::vector<std::string>> SecondFactors::confirmTotp(const store::User& user, std::string_view code,
                                                           const std::string& actor) {
  auto existing = store_.listFactors(user.id);
  auto* t = find(existing, store::FactorKind::Totp);
  if (!t || t->confirmedAt) return invalid("totp: no enrolment is waiting for its first code");
  auto secret = key_.open(t->secret, aad(user));
  if (!secret) return responderError("totp: the sealed secret does not open with this factor key");
  auto step = auth::matchTotp(*secret, code, clock_.now(), settings_.totp, settings_.totpWindow);
  if (!step) {
    store_.appendAudit({actor, "factor.totp.confirm", user.login, "refused", R"({"reason":"wrong-code"})"});
    return invalid("code: wrong");
  }
  store::UserFactor f = *t;
  f.confirmedAt = clock_.now();
  f.lastStep = *step;  // this code is spent too
  auto codes = auth::newRecoveryCodes(random_);
  auto hashes = recoveryHashes(user, codes);
  if (!store_.putFactor(f, &hashes, {actor, "factor.totp.enrol", user.login, "ok", R"({"recovery_codes":10})"}))
    return invalid("user: no longer exists");
  return codes;
}

Result<TotpSecret> SecondFactors::enrolTotp(const store::User& user, bool replace, const std::string& actor) {
  auto existing = store_.listFactors(user.id);
  auto* t = find(existing, store::FactorKind::Totp);
  if (t && t->confirmedAt && !replace) return invalid("totp: already enrolled (use `user totp reset`)");
  if (!t && replace) return invalid("totp: not enrolled (use `user totp enroll`)");
  auto raw = random_.bytes(20);
  std::string secret(raw.begin(), raw.end());
  store::UserFactor f;
  f.userId = user.id;
  f.kind = store::FactorKind::Totp;
  f.secret = key_.seal(secret, aad(user), random_);
  f.confirmedAt = clock_.now();
  if (!store_.putFactor(f, nullptr, {actor, replace ? "factor.totp.reset" : "factor.totp.enrol", user.login, "ok",
                                     R"({"by":"administrator"})"}))
    return invalid("user: no longer exists");
  return TotpSecret{auth::otpauthUri(settings_.issuer, user.login, secret, settings_.totp), auth::base32Encode(secret)};
}

bool SecondFactors::verifyTotp(const store::User& user, std::string_view code, const std::string& actor) {
  auto existing = store_.listFactors(user.id);
  auto* t = find(existing, store::FactorKind::Totp);
  if (!t || !t->confirmedAt) return false;
  auto secret = key_.open(t->secret, aad(user));
  if (!secret) {
    store_.appendAudit({actor, "factor.totp.verify", user.login, "error", R"({"reason":"secret does not open"})"});
    return false;
  }
  auto step = auth::matchTotp(*secret, code, clock_.now(), settings_.totp, settings_.totpWindow);
  if (!step) return false;
  // Accepted once: the same code (or an older one) a second time is refused, on any instance.
  return store_.acceptTotpStep(user.id, *step, {actor, "factor.totp.verify", user.login, "ok", "{}"});
}

bool SecondFactors::useRecoveryCode(const store::User& user, std::string_view code, const std::string& actor) {
  auto normalized = auth::normalizeRecoveryCode(code);
  if (!normalized) return false;
  return store_.useRecoveryCode(user.id, auth::recoveryCodeMac(key_, user.uid, *normalized), clock_.now(),
                                {actor, "factor.recovery.use", user.login, "ok",
                                 R"({"left":)" + std::to_string(store_.countRecoveryCodes(user.id) - 1) + "}"});
}

Result<std::vector<std::string>> SecondFactors::newRecoveryCodes(const store::User& user, const std::string& actor) {
  if (!available(user).anyEnrolled) return invalid("recovery codes: the account has no second factor to stand in for");
  auto codes = auth::newRecoveryCodes(random_);
  store_.replaceRecoveryCodes(user.id, recoveryHashes(user, codes),
                              {actor, "factor.recovery.renew", user.login, "ok", R"({"recovery_codes":10})"});
  return codes;
}

bool SecondFactors::remove(const store::User& user, store::FactorKind kind, const std::string& actor) {
  return store_.removeFactor(user.id, kind,
                             {actor, "factor.remove", user.login, "ok",
                              R"({"kind":)" + jsonString(store::factorKindName(kind)) + "}"});
}

Result<SentCode> SecondFactors::sendCode(const store::User* user, notify::Channel channel, std::string_view purpose,
                                         std::string_view binding, const std::string& actor) {
  const auto now = clock_.now();
  std::optional<std::string> to = user ? contactFor(*user, channel) : std::nullopt;
  if (user && !to) return invalid(std::string(notify::channelName(channel)) + ": the account has no confirmed contact");
  if (user && !channelAvailable(channel))
    return invalid(std::string(notify::channelName(channel)) + ": no channel is configured");
  const std::string target = user ? user->login : std::string("(unknown)");
  // The same reads for an unknown login (its counts are of nothing), so that the answer takes
  // as long as for an account.
  const auto since = now - settings_.codeWindow;
  const bool overAccount =
      store_.countOneTimeCodesForUser(user ? user->id : 0, since) >= static_cast<std::size_t>(settings_.codesPerAccount);
  const bool overDestination =
      store_.countOneTimeCodesTo(to.value_or(""), since) >= static_cast<std::size_t>(settings_.codesPerDestination);
  if (user) {
    if (overAccount || overDestination) {
      store_.appendAudit({actor, "code.send", target, "refused",
                          R"({"reason":"rate-limited","purpose":)" + jsonString(purpose) + R"(,"to":)" +
                              jsonString(notify::maskDestination(*to)) + "}"});
      return invalid("code: too many codes sent; wait a few minutes");
    }
  }
  store::OneTimeCode c;
  c.id = random_.token(18);
  c.userId = user ? std::optional(user->id) : std::nullopt;
  c.purpose = std::string(purpose);
  c.channel = std::string(notify::channelName(channel));
  c.destination = to.value_or("");
  c.binding = std::string(binding);
  const std::string code = auth::newNumericCode(random_);
  c.codeHash = user ? auth::oneTimeCodeMac(key_, c.id, code) : auth::oneTimeCodeMac(key_, c.id, random_.token(8));
  c.createdAt = now;
  c.expiresAt = now + settings_.codeLifetime;
  const std::string masked = to ? notify::maskDestination(*to) : std::string();
  store_.addOneTimeCode(c, {actor, "code.send", target, "ok",
                            R"({"purpose":)" + jsonString(purpose) + R"(,"channel":)" + jsonString(c.channel) +
                                R"(,"to":)" + jsonString(masked) + "}"});
  if (user) outbox_->post({channel, *to, codeSubject(purpose), codeText(purpose, code, settings_.codeLifetime),
                           std::string(purpose) + "-code"});
  return SentCode{c.id, masked};
}

store::CodeCheck SecondFactors::checkCode(std::string_view id, std::string_view typed, const store::User* user,
                                          std::string_view purpose, std::string_view binding, const std::string& actor) {
  if (id.empty() || id.size() > 64) return store::CodeCheck::Unknown;
  auto row = store_.findOneTimeCode(id);
  // A code of another account, purpose or binding is as good as none: it is not even counted
  // as an attempt, so nobody can use up another person's attempts.
  if (!row || row->purpose != purpose || row->binding != binding || (user && row->userId != user->id) ||
      (!user && row->userId))
    return store::CodeCheck::Unknown;
  auto normalized = auth::normalizeNumericCode(typed);
  // A malformed guess is still an attempt (and never matches).
  const std::string mac = auth::oneTimeCodeMac(key_, id, normalized.value_or("x"));
  const std::string target = user ? user->login : std::string("(unknown)");
  return store_.useOneTimeCode(id, mac, clock_.now(), settings_.codeAttempts, [&](store::CodeCheck r) {
    return store::AuditRecord{actor, "code.check", target, r == store::CodeCheck::Ok ? "ok" : "refused",
                              R"({"purpose":)" + jsonString(purpose) + R"(,"result":)" + jsonString(checkName(r)) + "}"};
  });
}

Result<SentCode> SecondFactors::beginContactFactor(const store::User& user, store::FactorKind kind,
                                                   std::string_view binding, const std::string& actor) {
  if (kind == store::FactorKind::Totp) return invalid("kind: totp is enrolled with beginTotp");
  return sendCode(&user, channelOf(kind), "enrol", std::string(store::factorKindName(kind)) + ":" + std::string(binding),
                  actor);
}

Result<std::vector<std::string>> SecondFactors::confirmContactFactor(const store::User& user, store::FactorKind kind,
                                                                     std::string_view codeId, std::string_view typed,
                                                                     std::string_view binding, const std::string& actor) {
  auto r = checkCode(codeId, typed, &user, "enrol",
                     std::string(store::factorKindName(kind)) + ":" + std::string(binding), actor);
  if (r != store::CodeCheck::Ok) return invalid("code: " + std::string(checkName(r)));
  const bool first = !available(user).anyEnrolled;
  store::UserFactor f;
  f.userId = user.id;
  f.kind = kind;
  f.confirmedAt = clock_.now();
  std::vector<std::string> codes;
  std::vector<std::string> hashes;
  if (first) {
    codes = auth::newRecoveryCodes(random_);
    hashes = recoveryHashes(user, codes);
  }
  if (!store_.putFactor(f, first ? &hashes : nullptr,
                        {actor, "factor." + std::string(store::factorKindName(kind)) + ".enrol", user.login, "ok",
                         first ? R"({"recovery_codes":10})" : "{}"}))
    return invalid("user: no longer exists");
  return codes;
}

bool SecondFactors::notice(const store::User& user, std::string purpose, std::string subject, std::string text) {
  for (auto channel : {notify::Channel::Email, notify::Channel::Sms}) {
    auto to = contactFor(user, channel);
    if (!to || !channelAvailable(channel)) continue;
    return outbox_->post({channel, *to, std::move(subject), std::move(text), std::move(purpose)});
  }
  return false;
}

}  // namespace propusk::sso
