// impctl: the programme office's admin CLI.
//
//   impctl health [--target=HOST:PORT] [--service=NAME] [--wait_seconds=N]
//
// Exit codes: 0 success, 1 the call failed (the gRPC status is printed), 2 usage error,
// 3 not serving.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, target, "",
          "Gateway or service address HOST:PORT (default: $IMP_TARGET, else 127.0.0.1:50050).");
ABSL_FLAG(std::string, service, "", "health: the service name to check (default: the server).");
ABSL_FLAG(int, wait_seconds, 0, "health: keep asking until SERVING or this many seconds pass.");

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCallFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotServing = 3;

std::string Target() {
  std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) {
    const char* env = std::getenv("IMP_TARGET");
    target = env != nullptr && *env != '\0' ? env : "127.0.0.1:50050";
  }
  return target;
}

int Health() {
  using grpc::health::v1::HealthCheckRequest;
  using grpc::health::v1::HealthCheckResponse;
  const std::string target = Target();
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_wait_seconds));
  HealthCheckRequest req;
  req.set_service(absl::GetFlag(FLAGS_service));
  for (;;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    const bool serving = s.ok() && resp.status() == HealthCheckResponse::SERVING;
    if (serving || absl::Now() >= give_up) {
      if (!s.ok()) {
        std::fprintf(stderr, "impctl: %s: %s\n", target.c_str(), s.error_message().c_str());
        return kExitCallFailed;
      }
      std::printf("%s %s\n", target.c_str(),
                  HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
      return serving ? kExitOk : kExitNotServing;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "impctl COMMAND [flags]\n\nCommands:\n  health   check a server's grpc.health.v1 status\n");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::fprintf(stderr, "impctl: missing command; see impctl --help\n");
    return kExitUsage;
  }
  const std::string command = args[1];
  if (command == "health") return Health();
  std::fprintf(stderr, "impctl: unknown command '%s'; see impctl --help\n", command.c_str());
  return kExitUsage;
}
