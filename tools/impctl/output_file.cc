#include "tools/impctl/output_file.h"

#include <cstdio>
#include <iostream>

namespace imp::impctl {

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {}

OutputFile::~OutputFile() {
  if (path_.empty() || committed_) return;
  file_.close();
  std::remove((path_ + ".partial").c_str());
}

bool OutputFile::Open() {
  if (path_.empty()) return true;
  file_.open(path_ + ".partial", std::ios::binary | std::ios::trunc);
  if (!file_) {
    std::fprintf(stderr, "impctl: cannot write %s.partial\n", path_.c_str());
    return false;
  }
  return true;
}

std::ostream& OutputFile::stream() {
  if (path_.empty()) return std::cout;
  return file_;
}

bool OutputFile::Commit() {
  std::ostream& out = stream();
  out.flush();
  if (path_.empty()) {
    if (!out) std::fprintf(stderr, "impctl: writing to standard output failed\n");
    return static_cast<bool>(out);
  }
  file_.close();
  if (!file_) {
    std::fprintf(stderr, "impctl: writing %s.partial failed\n", path_.c_str());
    return false;
  }
  if (std::rename((path_ + ".partial").c_str(), path_.c_str()) != 0) {
    std::fprintf(stderr, "impctl: cannot rename %s.partial to %s\n", path_.c_str(), path_.c_str());
    return false;
  }
  committed_ = true;
  return true;
}

std::string OutputFile::Describe() const { return path_.empty() ? "standard output" : path_; }

}  // namespace imp::impctl
