#include "idp/cli/args.h"

#include <algorithm>

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

}  // namespace propusk::cli
