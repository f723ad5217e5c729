// samlflow: the tester's SP (craft, sign, send, verify, record, replay SAML flows).
// All logic lives in idp/cli/samlflow/.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "idp/cli/samlflow/samlflow.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return propusk::cli::samlflow::runSamlflow(args, {std::cin, std::cout, std::cerr, isatty(STDIN_FILENO) == 1});
}
