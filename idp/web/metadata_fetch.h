// Fetching metadata over HTTP(S) for `propuskctl sp add URL`.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "idp/core/result.h"

namespace propusk::web {

// GET with a timeout, at most `maxBytes` of body, status 200 only, no redirects followed
// (a redirect is reported with its target so the operator can decide). HTTPS verifies the
// server certificate against the system CAs.
Result<std::string> fetchUrl(const std::string& url, std::size_t maxBytes = 1 << 20,
                             std::chrono::seconds timeout = std::chrono::seconds(15));

}  // namespace propusk::web
