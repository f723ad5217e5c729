// Validation and normalisation of a person's identifiers and contacts. Each function
// returns the normalised value, or an Error whose detail says why (for "FIELD: why").
#pragma once

#include <string>
#include <string_view>

#include "idp/core/result.h"

namespace propusk::identity {

// Personal INN (ИНН физического лица): 12 digits, both check digits valid.
// A 10-digit INN belongs to an organisation and is refused for a person, with that reason.
Result<std::string> normalizeInn(std::string_view text);
bool innChecksumValid(std::string_view digits);  // 10- or 12-digit INN

// SNILS (СНИЛС): 11 digits, accepts "112-233-445 95" formatting; returns digits only.
Result<std::string> normalizeSnils(std::string_view text);
std::string formatSnils(std::string_view digits);  // "112-233-445 95"

// Russian mobile/landline number normalised to +7XXXXXXXXXX; accepts +7, 8 or bare
// 10-digit forms with spaces, dashes and brackets.
Result<std::string> normalizePhone(std::string_view text);

// Addr-spec per RFC 5322 in its common subset (dot-atom local part, a domain of
// LDH labels with a dot); lowercases the domain. At most 254 characters.
Result<std::string> normalizeEmail(std::string_view text);

// A login: 3..64 of [a-z0-9._-] after lowercasing, starting with a letter or digit.
Result<std::string> normalizeLogin(std::string_view text);

// A name part (surname, given name, patronymic): 1..100 characters of letters (Cyrillic
// or Latin), spaces, hyphens and apostrophes, valid UTF-8, trimmed.
Result<std::string> normalizeNamePart(std::string_view text);

}  // namespace propusk::identity
