// The propusk server: options, first-start provisioning, the HTTPS listener.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <optional>
#include <string>

namespace propusk::app {

class ServerApp : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;

 private:
  std::optional<std::string> configFile_, dataDir_, listen_, publicUrl_;
  bool checkOnly_ = false;
  bool helpRequested_ = false;
};

}  // namespace propusk::app
