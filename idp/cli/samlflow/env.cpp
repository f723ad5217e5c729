#include "idp/cli/samlflow/env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "idp/core/printable.h"

namespace propusk::cli::samlflow {

Poco::JSON::Object::Ptr jsonObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

void Env::printJson(const Poco::JSON::Object::Ptr& obj) const {
  obj->stringify(io.out, 2);
  io.out << "\n";
}

void Env::error(const std::string& line) const { io.err << "samlflow: " << printable(line, 2048) << "\n"; }

std::string readInput(Env& env, const std::string& path, const std::string& field, std::size_t maxBytes) {
  std::string data;
  auto readAll = [&](std::istream& in) {
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      data.append(buf, static_cast<size_t>(in.gcount()));
      if (data.size() > maxBytes) throw CliError(field + ": " + (path == "-" ? "standard input" : path) +
                                                 " is larger than " + std::to_string(maxBytes) + " bytes");
    }
  };
  if (path == "-") {
    readAll(env.io.in);
    return data;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CliError(field + ": cannot read " + path);
  readAll(in);
  return data;
}

void writeOutput(const std::string& path, const std::string& data, const std::string& field, bool secret) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) throw CliError(field + ": cannot write " + path);
  if (secret) ::fchmod(fd, 0600);  // an existing file keeps no wider mode
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw CliError(field + ": cannot write " + path);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw CliError(field + ": cannot write " + path);
}

}  // namespace propusk::cli::samlflow
