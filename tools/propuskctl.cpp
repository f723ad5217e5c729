// propuskctl: administration of a Propusk store. All logic lives in idp/cli/.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "idp/cli/propuskctl.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return propusk::cli::runPropuskctl(args, {std::cin, std::cout, std::cerr, isatty(STDIN_FILENO) == 1});
}
