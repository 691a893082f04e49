#ifndef IMP_TESTS_SUPPORT_TEST_TLS_H_
#define IMP_TESTS_SUPPORT_TEST_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "common/net/tls.h"

namespace imp::testing {

// A throwaway CA and certificates it signs, in a temporary directory removed on destruction,
// made by deploy/tls-certs.sh (the script deploy/local/up.sh uses), so tests exercise the same
// certificates a local deployment gets.
class TestCertificates {
 public:
  // `names` as the script takes them: "registry" (server and client certificate, CN and SAN
  // DNS name "registry", SAN localhost and 127.0.0.1) or "impctl-internal:client" (client
  // only). Aborts the test binary when the script fails.
  static std::unique_ptr<TestCertificates> Create(const std::vector<std::string>& names);
  ~TestCertificates();

  // `name`'s certificate and key with this CA: what a server (or a client) of that identity
  // runs with.
  TlsOptions For(const std::string& name) const;
  // Only the CA: a client that verifies the server and presents no certificate.
  TlsOptions CaOnly() const;
  // A file in the directory, e.g. Path("ca.pem") or Path("registry.key").
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  explicit TestCertificates(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace imp::testing

#endif  // IMP_TESTS_SUPPORT_TEST_TLS_H_
