#ifndef IMP_COMMON_SERVER_CONNECTION_GUARD_H_
#define IMP_COMMON_SERVER_CONNECTION_GUARD_H_

#include <grpcpp/server_builder.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace imp {

struct ConnectionLimits {
  // Connections one listener holds at once, whatever their source. Kept well under the process's
  // descriptor limit so that accepting can never run the process out of descriptors.
  int max_connections = 4096;
  // Connections from one peer address. One client (or one attacker) cannot take the whole
  // allowance; a client behind a shared address (NAT, a proxy) needs the limit raised.
  int max_connections_per_peer = 256;
};

// A listening socket whose accept loop is ours, not gRPC's: gRPC 1.51's own listener stops
// accepting for good after accept4 fails with EMFILE ("Too many open files") once, which anyone
// able to open connections could cause. Each accepted connection is handed to the gRPC server
// (an external connection acceptor, with the port's credentials, so TLS and the handshake
// timeout apply as on a normal port) unless a limit is reached; then it is closed at once with a
// reset, so the kernel's queue keeps draining and the attacker's connections cost us nothing.
// Accept errors (EMFILE, ENFILE, ENOBUFS, ENOMEM) are logged, backed off and retried: the loop
// ends only with Stop().
//
// Open connections are counted by descriptor and socket inode at accept time and re-checked with
// fstat when a limit is near (a descriptor gRPC closed is gone or names another socket), so the
// counts follow what gRPC closes without a hook into gRPC.
class ConnectionGuard {
 public:
  struct Counters {
    uint64_t accepted = 0;          // handed to gRPC
    uint64_t refused_total = 0;     // closed at once: max_connections reached
    uint64_t refused_per_peer = 0;  // closed at once: the peer's max_connections_per_peer reached
    uint64_t accept_errors = 0;     // accept4 failed with something other than EAGAIN/EINTR
    int open = 0;                   // connections held now (as of the last re-check)
  };

  // Binds and listens on host:port (port 0 picks a free one). No SO_REUSEPORT: a second server
  // on a taken port fails here with UNAVAILABLE instead of silently sharing the port.
  static absl::StatusOr<std::unique_ptr<ConnectionGuard>> Listen(const std::string& name,
                                                                 const std::string& host, int port,
                                                                 ConnectionLimits limits);
  ~ConnectionGuard();

  int port() const { return port_; }

  // Starts the accept loop; connections go to `acceptor` (from
  // ServerBuilder::experimental().AddExternalConnectionAcceptor, after BuildAndStart).
  void Start(std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor);
  // Stops accepting and closes the listening socket. Connections already handed over stay with
  // gRPC. Idempotent.
  void Stop();

  Counters counters();

 private:
  ConnectionGuard(std::string name, int listen_fd, int port, ConnectionLimits limits);
  void AcceptLoop();
  // One accepted connection: hand it over or refuse it.
  void Admit(int fd, const std::string& peer);
  // Drops records of connections gRPC has closed. At most once per kRecheckInterval unless forced.
  void Recheck(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // EMFILE/ENFILE: frees the reserve descriptor to accept and reset one pending connection, so
  // the queue drains instead of filling with clients that will wait for ever.
  void ShedOneWithReserve();

  struct Open {
    uint64_t inode = 0;
    std::string peer;
  };

  const std::string name_;
  const int listen_fd_;
  const int port_;
  const ConnectionLimits limits_;
  int wake_fd_ = -1;     // eventfd: Stop() wakes the loop
  int reserve_fd_ = -1;  // /dev/null, given up when descriptors run out
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  absl::Mutex mu_;
  absl::flat_hash_map<int, Open> open_ ABSL_GUARDED_BY(mu_);  // by descriptor
  absl::flat_hash_map<std::string, int> per_peer_ ABSL_GUARDED_BY(mu_);
  absl::Time last_recheck_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace imp

#endif  // IMP_COMMON_SERVER_CONNECTION_GUARD_H_
