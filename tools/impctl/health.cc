// impctl health and whoami: is a server there, and who does the gateway take the caller to be.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/server/trace.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/impctl/client.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/output.h"

namespace imp::impctl {

// Needs no token: deploy/local/up.sh waits for each server with it before any token exists.
int Health(const std::vector<std::string>&) {
  using grpc::health::v1::HealthCheckRequest;
  using grpc::health::v1::HealthCheckResponse;
  const std::string target = TargetFromFlags();
  auto channel = ChannelFromFlags(target);
  if (!channel.ok()) {
    std::fprintf(stderr, "impctl: %s\n", std::string(channel.status().message()).c_str());
    return kExitUsage;
  }
  auto stub = grpc::health::v1::Health::NewStub(*channel);
  const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_wait_seconds));
  HealthCheckRequest req;
  req.set_service(absl::GetFlag(FLAGS_service));
  for (;;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    AddChildTraceparent(ctx, CommandTraceparent());
    // While there is time left, wait for the connection inside the call: gRPC then notices a
    // server that has just started listening at once, instead of at its next backoff poll
    // (seconds later). The last attempt fails fast, so its error says why (refused, TLS).
    ctx.set_wait_for_ready(absl::Now() + absl::Seconds(2) < give_up);
    HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    const bool serving = s.ok() && resp.status() == HealthCheckResponse::SERVING;
    if (serving || absl::Now() >= give_up) {
      if (!s.ok()) {
        std::fprintf(stderr, "impctl: %s: ", target.c_str());
        return ReportError(s);
      }
      std::printf("%s %s\n", target.c_str(),
                  HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
      return serving ? kExitOk : kExitNotServing;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

int WhoAmI(Client& client, const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::fprintf(stderr, "impctl: usage: impctl whoami; see impctl --help\n");
    return kExitUsage;
  }
  gateway::v1::GetCallerResponse resp;
  grpc::Status s = client.gateway().GetCaller(client.Context().get(), {}, &resp);
  if (!s.ok()) return ReportError(s);
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(resp);
    return kExitOk;
  }
  std::string role = gateway::v1::GetCallerResponse::Role_Name(resp.role());
  if (role.rfind("ROLE_", 0) == 0) role = role.substr(5);
  std::printf("actor  %s\nrole   %s\n", resp.actor().c_str(), role.c_str());
  if (!resp.scoped_institutions().empty()) {
    std::printf("scope  %s\n", absl::StrJoin(resp.scoped_institutions(), ", ").c_str());
  }
  return kExitOk;
}

}  // namespace imp::impctl
