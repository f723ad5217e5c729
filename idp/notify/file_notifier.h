// Development notifier: every message appended to a file as one JSON object a line
// ({"time","channel","to","subject","text","purpose"}), mode 0600. It holds codes in clear:
// for a development instance or a test, never production (docs/configuration.md).
#pragma once

#include <filesystem>
#include <mutex>

#include "idp/core/clock.h"
#include "idp/notify/notifier.h"

namespace propusk::notify {

class FileNotifier final : public Notifier {
 public:
  FileNotifier(std::filesystem::path file, const Clock& clock) : file_(std::move(file)), clock_(clock) {}
  void send(const Message& m) override;
  std::string describe() const override { return "file " + file_.string(); }

 private:
  std::filesystem::path file_;
  const Clock& clock_;
  std::mutex mutex_;
};

}  // namespace propusk::notify
