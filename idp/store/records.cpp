#include "idp/store/records.h"

namespace propusk::store {

std::string_view keyStateName(KeyState s) {
  switch (s) {
    case KeyState::Next: return "next";
    case KeyState::Active: return "active";
    case KeyState::Previous: return "previous";
    case KeyState::Retired: return "retired";
  }
  return "retired";
}

std::optional<KeyState> parseKeyState(std::string_view s) {
  if (s == "next") return KeyState::Next;
  if (s == "active") return KeyState::Active;
  if (s == "previous") return KeyState::Previous;
  if (s == "retired") return KeyState::Retired;
  return std::nullopt;
}

std::string_view signModeName(SignMode m) {
  switch (m) {
    case SignMode::Both: return "both";
    case SignMode::AssertionOnly: return "assertion";
    case SignMode::ResponseOnly: return "response";
  }
  return "both";
}

std::optional<SignMode> parseSignMode(std::string_view s) {
  if (s == "both") return SignMode::Both;
  if (s == "assertion") return SignMode::AssertionOnly;
  if (s == "response") return SignMode::ResponseOnly;
  return std::nullopt;
}

std::string_view linkKeyName(LinkKey k) {
  switch (k) {
    case LinkKey::Snils: return "snils";
    case LinkKey::Inn: return "inn";
    case LinkKey::Email: return "email";
    case LinkKey::None: return "none";
  }
  return "none";
}

std::optional<LinkKey> parseLinkKey(std::string_view s) {
  if (s == "snils") return LinkKey::Snils;
  if (s == "inn") return LinkKey::Inn;
  if (s == "email") return LinkKey::Email;
  if (s == "none") return LinkKey::None;
  return std::nullopt;
}

std::string_view factorKindName(FactorKind k) {
  switch (k) {
    case FactorKind::Totp: return "totp";
    case FactorKind::Email: return "email";
    case FactorKind::Sms: return "sms";
  }
  return "totp";
}

std::optional<FactorKind> parseFactorKind(std::string_view s) {
  if (s == "totp") return FactorKind::Totp;
  if (s == "email") return FactorKind::Email;
  if (s == "sms") return FactorKind::Sms;
  return std::nullopt;
}

}  // namespace propusk::store
