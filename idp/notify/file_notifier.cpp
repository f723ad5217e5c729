#include "idp/notify/file_notifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "idp/core/json_text.h"

namespace propusk::notify {

void FileNotifier::send(const Message& m) {
  std::string line = R"({"time":)" + jsonString(formatXsDateTime(clock_.now())) + R"(,"channel":)" +
                     jsonString(channelName(m.channel)) + R"(,"to":)" + jsonString(m.to) + R"(,"subject":)" +
                     jsonString(m.subject) + R"(,"text":)" + jsonString(m.text) + R"(,"purpose":)" +
                     jsonString(m.purpose) + "}\n";
  std::lock_guard lock(mutex_);
  // O_APPEND: one write per line, so readers (and a second process) never see half a line.
  int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw NotifyError("file " + file_.string() + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    throw NotifyError("file " + file_.string() + ": " + (n < 0 ? std::strerror(err) : "short write"));
}

}  // namespace propusk::notify
