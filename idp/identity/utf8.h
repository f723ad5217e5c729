// Minimal UTF-8 decoding and letter classes for Latin and Cyrillic text.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace propusk::identity {

// Strict decoding: refuses overlong forms, surrogates, values over U+10FFFF.
std::optional<std::vector<char32_t>> decodeUtf8(std::string_view s);

enum class CharClass { Lower, Upper, Digit, Other };
// Latin and Cyrillic (incl. Ё/ё) letters are classed by case; other letters are Other.
CharClass classify(char32_t c);
bool isLetter(char32_t c);  // Latin, Latin-1 letters, Cyrillic

}  // namespace propusk::identity
