#pragma once

#include <string>
#include <vector>

#include "idp/cli/context.h"

namespace propusk::cli {

// The whole of propuskctl; tools/propuskctl.cpp only builds Io and calls this.
int runPropuskctl(const std::vector<std::string>& args, Io io);

}  // namespace propusk::cli
