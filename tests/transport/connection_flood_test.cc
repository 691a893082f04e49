// Connection floods against a real gRPC server on loopback: a listener that anyone able to open
// connections could stop (gRPC 1.51 stops accepting for good after one EMFILE) now bounds what it
// holds per peer and in all, drops handshakes that never finish, and keeps accepting when the
// process runs out of descriptors. The flood comes from another process (tests/support/flood.py)
// and other loopback addresses; the authenticated caller uses a client certificate from 127.0.0.1.
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/net/tls.h"
#include "common/server/connection_guard.h"
#include "common/server/service_host.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/flood.h"
#include "tests/support/test_tls.h"

namespace imp {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

bool PollUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

uint64_t Seen(const ConnectionGuard::Counters& c) {
  return c.accepted + c.refused_total + c.refused_per_peer;
}

double Percentile(std::vector<double> values, double p) {
  EXPECT_FALSE(values.empty()) << "no samples: nothing was measured";
  if (values.empty()) return 1e9;
  std::sort(values.begin(), values.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size() - 1));
  return values[i];
}

class ConnectionFloodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = testing::TestCertificates::Create({"registry", "impctl-internal:client"});
    ServiceHostOptions options;
    options.name = "flooded";
    options.tls = certs_->For("registry");  // with a CA: client certificates required
    options.connections.max_connections = 64;
    options.connections.max_connections_per_peer = 16;
    options.handshake_timeout = absl::Seconds(1);
    host_ = std::make_unique<ServiceHost>(options);
    ASSERT_TRUE(host_->Start().ok());
  }

  // A new connection with the internal tools' client certificate.
  std::unique_ptr<Health::Stub> NewAuthenticatedStub() {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", ++channels_);  // a connection of its own
    return Health::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("ipv4:127.0.0.1:", host_->port()),
                                  MakeChannelCredentials(certs_->For("impctl-internal")), args));
  }

  // Latencies in ms of `n` health checks on `stub`; fails on any error.
  std::vector<double> Calls(Health::Stub& stub, int n) {
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      HealthCheckResponse resp;
      const absl::Time start = absl::Now();
      grpc::Status s = stub.Check(&ctx, HealthCheckRequest(), &resp);
      EXPECT_TRUE(s.ok()) << "call " << i << ": " << s.error_message();
      if (s.ok()) ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    }
    return ms;
  }

  // Polls until the guard has accepted or refused `n` connections since it started.
  bool WaitSeen(uint64_t n) {
    return PollUntil([&] { return Seen(host_->connection_counters()) >= n; }, absl::Seconds(10));
  }

  // One call on a brand-new connection succeeds.
  void ExpectANewConnectionIsServed() {
    auto stub = NewAuthenticatedStub();
    EXPECT_EQ(Calls(*stub, 1).size(), 1u);
  }

  std::unique_ptr<testing::TestCertificates> certs_;
  std::unique_ptr<ServiceHost> host_;
  int channels_ = 0;
};

// The bound of the issue: an admin's calls keep p99 under 5x their unloaded p99 (with a floor of
// 1 ms: an unloaded loopback p99 of 0.2 ms would otherwise make scheduler noise a failure).
double Bound(double unloaded_p99) { return std::max(5 * unloaded_p99, 1.0); }

TEST_F(ConnectionFloodTest, AFloodFromOnePeerPastItsLimitLeavesOtherCallersServedDuringAndAfter) {
  auto admin = NewAuthenticatedStub();
  const double unloaded = Percentile(Calls(*admin, 300), 99);

  const uint64_t seen_before = Seen(host_->connection_counters());
  Flood flood(host_->port(), 3000, "127.0.0.2", 60);
  ASSERT_GT(flood.held(), 16) << "the flood did not open more connections than the peer limit";
  // The flooder's connects complete in the kernel's queue; wait until the guard has taken them.
  ASSERT_TRUE(WaitSeen(seen_before + flood.held()));
  const ConnectionGuard::Counters during = host_->connection_counters();
  EXPECT_GT(during.refused_per_peer, 0u);
  EXPECT_LE(during.open, 16 + 2) << "the peer holds more than its limit";

  const double loaded = Percentile(Calls(*admin, 300), 99);
  EXPECT_LT(loaded, Bound(unloaded)) << "unloaded p99 " << unloaded << " ms";
  ExpectANewConnectionIsServed();  // another peer (127.0.0.1) still gets in
  std::printf(
      "FIGURES flood_one_peer: held=%d refused_per_peer=%lu open=%d p99_unloaded_ms=%.3f "
      "p99_during_ms=%.3f\n",
      flood.held(), static_cast<unsigned long>(during.refused_per_peer), during.open, unloaded,
      loaded);

  flood.Stop();
  ExpectANewConnectionIsServed();
  EXPECT_EQ(Calls(*admin, 10).size(), 10u);
}

TEST_F(ConnectionFloodTest, AFloodFromManyPeersPastTheTotalLimitLeavesOpenChannelsServed) {
  auto admin = NewAuthenticatedStub();
  const double unloaded = Percentile(Calls(*admin, 300), 99);

  // 12 sources x 15 connections: under each peer's limit, far over the port's 64.
  const uint64_t seen_before = Seen(host_->connection_counters());
  Flood flood(host_->port(), 180,
              "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9,"
              "127.0.0.10,127.0.0.11,127.0.0.12,127.0.0.13",
              60);
  ASSERT_GT(flood.held(), 64);
  ASSERT_TRUE(WaitSeen(seen_before + flood.held()));
  const ConnectionGuard::Counters during = host_->connection_counters();
  EXPECT_GT(during.refused_total, 0u);
  EXPECT_LE(during.open, 64);

  const double loaded = Percentile(Calls(*admin, 300), 99);
  EXPECT_LT(loaded, Bound(unloaded)) << "unloaded p99 " << unloaded << " ms";

  flood.Stop();
  // Once the flood is gone the port takes new connections again.
  ASSERT_TRUE(PollUntil([&] { return host_->connection_counters().open < 64; }, absl::Seconds(5)));
  ExpectANewConnectionIsServed();
}

TEST_F(ConnectionFloodTest, ConnectionsThatNeverFinishTheirHandshakeAreClosed) {
  Flood flood(host_->port(), 10, "127.0.0.2", 60);
  ASSERT_EQ(flood.held(), 10);
  // 5 bytes and silence: each is closed when the 1 s handshake timeout passes.
  ASSERT_TRUE(PollUntil([&] { return host_->connection_counters().open == 0; }, absl::Seconds(5)))
      << host_->connection_counters().open << " still open";
  EXPECT_EQ(flood.Stop(), 10);
}

// An acceptor that only keeps what it is given (the descriptors stay open until Release()).
class HoldingAcceptor : public grpc::experimental::ExternalConnectionAcceptor {
 public:
  void HandleNewConnection(NewConnectionParameters* p) override {
    absl::MutexLock lock(&mu_);
    fds_.push_back(p->fd);
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    for (int fd : fds_) close(fd);
    fds_.clear();
  }
  size_t held() {
    absl::MutexLock lock(&mu_);
    return fds_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<int> fds_;
};

int OpenDescriptors() {
  int n = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dir != nullptr && readdir(dir) != nullptr) ++n;
  if (dir != nullptr) closedir(dir);
  return n;
}

TEST(ConnectionGuardTest, RunningOutOfDescriptorsDoesNotStopTheListener) {
  auto guard = ConnectionGuard::Listen("guarded", "127.0.0.1", 0, ConnectionLimits{100000, 100000});
  ASSERT_TRUE(guard.ok()) << guard.status();
  auto acceptor = std::make_unique<HoldingAcceptor>();
  HoldingAcceptor* holding = acceptor.get();
  (*guard)->Start(std::move(acceptor));

  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  // Room for 20 more descriptors in this process: the flood (another process) makes accept4 here
  // fail with EMFILE, as a real flood does at a server's limit.
  rlimit tight = before;
  tight.rlim_cur = static_cast<rlim_t>(OpenDescriptors() + 20);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  Flood flood((*guard)->port(), 200, "127.0.0.2", 60);  // the flooder raises its own limit
  ASSERT_GT(flood.held(), 20);
  const bool failed =
      PollUntil([&] { return (*guard)->counters().accept_errors > 0; }, absl::Seconds(5));
  // Give back the descriptors, then: the listener still accepts (gRPC's own stopped for good).
  holding->Release();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &before), 0);
  ASSERT_TRUE(failed) << "accept4 never failed: the test did not reach the descriptor limit";
  const uint64_t accepted_at_limit = (*guard)->counters().accepted;
  flood.Stop();
  Flood after((*guard)->port(), 5, "127.0.0.3", 60);
  ASSERT_EQ(after.held(), 5);
  EXPECT_TRUE(PollUntil([&] { return (*guard)->counters().accepted >= accepted_at_limit + 5; },
                        absl::Seconds(5)))
      << "accepted " << (*guard)->counters().accepted << " (was " << accepted_at_limit << ")";
  holding->Release();
}

}  // namespace
}  // namespace imp
