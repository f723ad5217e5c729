#pragma once

#include <string>
#include <vector>

#include "idp/cli/context.h"  // Io

namespace propusk::cli::samlflow {

// The whole of samlflow; tools/samlflow.cpp only builds Io and calls this.
int runSamlflow(const std::vector<std::string>& args, Io io);

}  // namespace propusk::cli::samlflow
