// Shared helpers for unit tests.
#pragma once

#include <filesystem>
#include <string>

namespace propusk::test {

std::string readFile(const std::filesystem::path& p);
void writeFile(const std::filesystem::path& p, const std::string& data);
std::filesystem::path dataPath(const std::string& rel);  // under tests/data

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs a shell command, returns its exit code; stdout+stderr go to *output if given.
int run(const std::string& command, std::string* output = nullptr);

}  // namespace propusk::test
