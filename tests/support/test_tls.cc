#include "tests/support/test_tls.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace imp::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "test certificates: %s\n", message.c_str());
  std::abort();
}

std::string SourceDir() {
  const char* dir = std::getenv("IMP_SOURCE_DIR");
  return dir != nullptr ? dir : IMP_SOURCE_DIR_DEFAULT;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::unique_ptr<TestCertificates> TestCertificates::Create(const std::vector<std::string>& names) {
  char tmpl[] = "/tmp/imp-test-tls.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
  std::string cmd = absl::StrCat("bash '", SourceDir(), "/deploy/tls-certs.sh' '", tmpl, "'");
  for (const auto& name : names) absl::StrAppend(&cmd, " '", name, "'");
  if (std::system(cmd.c_str()) != 0) Die("failed: " + cmd);
  return std::unique_ptr<TestCertificates>(new TestCertificates(tmpl));
}

TestCertificates::~TestCertificates() { std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

TlsOptions TestCertificates::For(const std::string& name) const {
  TlsOptions tls = CaOnly();
  tls.cert_pem = Read(Path(name + ".pem"));
  tls.key_pem = Read(Path(name + ".key"));
  return tls;
}

TlsOptions TestCertificates::CaOnly() const {
  TlsOptions tls;
  tls.ca_pem = Read(Path("ca.pem"));
  return tls;
}

}  // namespace imp::testing
