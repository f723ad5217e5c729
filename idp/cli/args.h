// Command-line parsing for propuskctl and samlflow: declared options, strict checking.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace propusk::cli {

// Wrong words on the command line: exit code 2, one line.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The command understood but could not do it: exit code 1, one line "field: reason".
class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string_view name;  // without "--"
  std::string_view valueName;  // empty: a flag
  std::string_view help;
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> options;
  bool has(std::string_view name) const { return options.contains(name); }
  std::optional<std::string> get(std::string_view name) const {
    auto it = options.find(name);
    if (it == options.end()) return std::nullopt;
    return it->second;
  }
};

// Accepts "--name value" and "--name=value"; "--" ends options. Throws UsageError naming
// the unknown option, a missing value, or a repeated option.
ParsedArgs parseArgs(std::span<const std::string> args, std::span<const OptionSpec> specs,
                     std::string_view commandName);

// Throws UsageError unless the command got between min and max positional arguments.
void checkArgumentCount(const ParsedArgs& parsed, std::size_t min, std::size_t max, std::string_view commandName,
                        std::string_view synopsis);

// "--name VALUE   help" lines of a command's --help, the help starting at `column` (or on
// the next line when the left side is too wide).
void printOptions(std::ostream& out, std::span<const OptionSpec> options, std::size_t column = 36);
// "name ARGS   summary", one line of a tool's command list.
void printCommandLine(std::ostream& out, std::string_view lhs, std::string_view summary);

}  // namespace propusk::cli
