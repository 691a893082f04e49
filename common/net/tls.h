#ifndef IMP_COMMON_NET_TLS_H_
#define IMP_COMMON_NET_TLS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace imp {

// TLS material as PEM text, read once at start-up (LoadTlsFiles) so that nothing later touches
// the file system. Every field empty means plaintext, as without the flags.
struct TlsOptions {
  // This process's certificate chain and key: served on its port, and presented as its client
  // certificate when it calls another service.
  std::string cert_pem;
  std::string key_pem;
  // The CA bundle peers are verified against. On a server it turns on mutual TLS (client
  // certificates requested and verified); on a channel it turns on TLS (the server's
  // certificate is verified against it, and cert_pem/key_pem, when set, are presented).
  std::string ca_pem;

  bool serves_tls() const { return !cert_pem.empty(); }
  bool calls_tls() const { return !ca_pem.empty(); }
};

// PEM file names for LoadTlsFiles; an empty name leaves its field empty. The *_flag names say
// in error messages where a file name came from.
struct TlsFiles {
  std::string cert;
  std::string key;
  std::string ca;
  std::string cert_flag = "--tls_cert";
  std::string key_flag = "--tls_key";
  std::string ca_flag = "--tls_ca";
};

// Reads the files and checks them with OpenSSL, so that a wrong file stops start-up with a
// message naming its flag rather than failing every handshake later: certificate and key come
// together, parse, match and have not expired; the CA bundle holds at least one certificate.
absl::StatusOr<TlsOptions> LoadTlsFiles(const TlsFiles& files);

// Who must present a client certificate on a TLS port that has a CA.
enum class ClientCertificates {
  kRequired,  // mutual TLS: the handshake fails without a certificate the CA signed
  kOptional,  // verified when presented (the gateway: users authenticate with bearer tokens)
};

// Server credentials: plaintext without a certificate; TLS with it; with a CA as well, client
// certificates verified against it and required or optional as `mode` says.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsOptions& tls,
                                                               ClientCertificates mode);

// Channel credentials: plaintext without a CA; TLS verifying the server against the CA
// otherwise, presenting cert_pem/key_pem as the client certificate when they are set.
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const TlsOptions& tls);

}  // namespace imp

#endif  // IMP_COMMON_NET_TLS_H_
