#include "common/net/tls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace imp {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of a PEM chain, or null when it holds none.
Cert FirstCertificate(const std::string& pem) {
  Bio bio = MemoryBio(pem);
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

absl::Status CheckCertificate(const X509* cert, const std::string& flag, const std::string& path) {
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, ": the certificate in ", path, " has expired"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsOptions> LoadTlsFiles(const TlsFiles& files) {
  TlsOptions tls;
  if (files.cert.empty() != files.key.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(files.cert_flag, " and ", files.key_flag, " go together"));
  }
  if (!files.cert.empty()) {
    auto cert_pem = ReadFile(files.cert, files.cert_flag);
    if (!cert_pem.ok()) return cert_pem.status();
    auto key_pem = ReadFile(files.key, files.key_flag);
    if (!key_pem.ok()) return key_pem.status();
    Cert cert = FirstCertificate(*cert_pem);
    if (cert == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(files.cert_flag, ": no PEM certificate in ", files.cert));
    }
    if (absl::Status s = CheckCertificate(cert.get(), files.cert_flag, files.cert); !s.ok()) {
      return s;
    }
    Bio key_bio = MemoryBio(*key_pem);
    Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (key == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(files.key_flag, ": no unencrypted PEM private key in ", files.key));
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      return absl::FailedPreconditionError(absl::StrCat(files.key_flag, ": the key in ", files.key,
                                                        " does not match the certificate in ",
                                                        files.cert));
    }
    tls.cert_pem = *std::move(cert_pem);
    tls.key_pem = *std::move(key_pem);
  }
  if (!files.ca.empty()) {
    auto ca_pem = ReadFile(files.ca, files.ca_flag);
    if (!ca_pem.ok()) return ca_pem.status();
    if (FirstCertificate(*ca_pem) == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(files.ca_flag, ": no PEM certificate in ", files.ca));
    }
    tls.ca_pem = *std::move(ca_pem);
  }
  return tls;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsOptions& tls,
                                                               ClientCertificates mode) {
  if (!tls.serves_tls()) return grpc::InsecureServerCredentials();
  grpc_ssl_client_certificate_request_type request = GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  if (tls.calls_tls()) {
    request = mode == ClientCertificates::kRequired
                  ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                  : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  grpc::SslServerCredentialsOptions options(request);
  options.pem_root_certs = tls.ca_pem;
  options.pem_key_cert_pairs.push_back({tls.key_pem, tls.cert_pem});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsOptions& tls) {
  if (!tls.calls_tls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.ca_pem;
  options.pem_private_key = tls.key_pem;
  options.pem_cert_chain = tls.cert_pem;
  return grpc::SslCredentials(options);
}

}  // namespace imp
