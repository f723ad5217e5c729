#include "idp/cli/args.h"

#include <algorithm>
#include <ostream>

namespace propusk::cli {

ParsedArgs parseArgs(std::span<const std::string> args, std::span<const OptionSpec> specs,
                     std::string_view commandName) {
  ParsedArgs out;
  bool optionsDone = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (optionsDone || !a.starts_with("--") || a == "-") {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      optionsDone = true;
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inlineValue;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end())
      throw UsageError(std::string(commandName) + ": unknown option --" + name + " (see --help)");
    if (out.options.contains(name)) throw UsageError(std::string(commandName) + ": --" + name + " given twice");
    if (spec->valueName.empty()) {
      if (inlineValue) throw UsageError(std::string(commandName) + ": --" + name + " takes no value");
      out.options[name] = "";
    } else if (inlineValue) {
      out.options[name] = *inlineValue;
    } else {
      if (i + 1 >= args.size())
        throw UsageError(std::string(commandName) + ": --" + name + " needs a value (" + std::string(spec->valueName) + ")");
      out.options[name] = args[++i];
    }
  }
  return out;
}

void checkArgumentCount(const ParsedArgs& parsed, std::size_t min, std::size_t max, std::string_view commandName,
                        std::string_view synopsis) {
  if (parsed.positional.size() < min || parsed.positional.size() > max)
    throw UsageError(std::string(commandName) + ": expected " +
                     (synopsis.empty() ? std::string("no arguments") : std::string(synopsis)) + ", got " +
                     std::to_string(parsed.positional.size()) + " argument(s)");
}

void printOptions(std::ostream& out, std::span<const OptionSpec> options, std::size_t column) {
  if (!options.empty()) out << "\noptions:\n";
  for (auto& o : options) {
    std::string lhs = "--" + std::string(o.name) + (o.valueName.empty() ? "" : " " + std::string(o.valueName));
    if (lhs.size() < column) out << "  " << lhs << std::string(column - lhs.size(), ' ') << o.help << "\n";
    else out << "  " << lhs << "\n" << std::string(column + 2, ' ') << o.help << "\n";
  }
}

void printCommandLine(std::ostream& out, std::string_view lhs, std::string_view summary) {
  out << "  " << lhs << std::string(lhs.size() < 26 ? 26 - lhs.size() : 1, ' ') << summary << "\n";
}

}  // namespace propusk::cli
