// The tests' port pickers (testing::PickFreePort, tests/support/free_port.py) pick below the
// kernel's ephemeral range, where an outgoing connection cannot take a port between the pick and
// the server's bind; and a private MariaDB whose port was taken anyway starts on another one.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace imp::testing {
namespace {

int EphemeralLow() {
  int low = 0, high = 0;
  FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%d %d", &low, &high) != 2) low = 0;
  std::fclose(f);
  return low;
}

// A socket bound to `port` on loopback (and listening when `listen_too`); -1 when it cannot be.
int Bind(int port, bool listen_too) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      (listen_too && listen(fd, 8) != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string SourceDir() {
  const char* dir = std::getenv("IMP_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : IMP_SOURCE_DIR_DEFAULT;
}

TEST(TestPorts, PickFreePortGivesDistinctBindablePortsBelowTheEphemeralRange) {
  const int low = EphemeralLow();
  ASSERT_GT(low, 21000) << "this machine's ephemeral range leaves no room below it";
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) {
    const int port = PickFreePort();
    EXPECT_GE(port, 20000);
    EXPECT_LT(port, low) << "inside the ephemeral range";
    EXPECT_TRUE(seen.insert(port).second) << "port " << port << " given twice";
    const int fd = Bind(port, /*listen_too=*/false);
    EXPECT_GE(fd, 0) << "port " << port << " does not bind";
    if (fd >= 0) close(fd);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(TestPorts, FreePortScriptPrintsDistinctPortsBelowTheEphemeralRange) {
  const int low = EphemeralLow();
  ASSERT_GT(low, 21000);
  const std::string cmd =
      absl::StrCat("/usr/bin/python3 ", SourceDir(), "/tests/support/free_port.py 12");
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[512] = {};
  const size_t n = fread(buf, 1, sizeof(buf) - 1, pipe);
  ASSERT_EQ(pclose(pipe), 0) << cmd;
  std::istringstream in(std::string(buf, n));
  std::set<int> ports;
  for (int port; in >> port;) {
    EXPECT_GE(port, 20000);
    EXPECT_LT(port, low) << "inside the ephemeral range";
    ports.insert(port);
  }
  EXPECT_EQ(ports.size(), 12u) << "not 12 distinct ports: " << buf;
}

// The race the retry covers, made certain: the port is taken (listening) between the pick and the
// start. The start must notice from the server's exit (not after deploy/mariadb.sh's 30 s wait)
// and come up on another port.
TEST(PrivateMariaDbPorts, AStartWhosePortWasTakenMeanwhileComesUpOnAnotherPort) {
  PrivateMariaDb db;
  const int picked = db.port();
  const int squatter = Bind(picked, /*listen_too=*/true);
  ASSERT_GE(squatter, 0) << "could not take port " << picked;
  const absl::Time start = absl::Now();
  db.Start();
  const absl::Duration took = absl::Now() - start;
  close(squatter);
  std::printf("private MariaDB: port %d taken, started on %d in %.1f s\n", picked, db.port(),
              absl::ToDoubleSeconds(took));
  EXPECT_NE(db.port(), picked);
  EXPECT_TRUE(Accepts(db.port())) << "nothing listens on the new port " << db.port();
  EXPECT_LT(took, absl::Seconds(25)) << "the failed start was waited out, not detected";
  db.Stop();
}

}  // namespace
}  // namespace imp::testing
