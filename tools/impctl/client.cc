#include "tools/impctl/client.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/net/channel.h"
#include "common/server/trace.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "tools/impctl/flags.h"

namespace imp::impctl {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The flag's value, else the environment variable's.
std::string FlagOrEnv(const absl::Flag<std::string>& flag, const char* env) {
  std::string value = absl::GetFlag(flag);
  return value.empty() ? Env(env) : value;
}

std::string& command_traceparent = *new std::string;

}  // namespace

absl::Status InitCommandTrace() {
  const std::string given = FlagOrEnv(FLAGS_traceparent, "IMP_TRACEPARENT");
  if (given.empty()) {
    // Sampled: the servers log impctl's calls at info level, so an operator can follow them.
    command_traceparent = NewTrace(/*sampled=*/true).ToTraceparent();
    return absl::OkStatus();
  }
  if (!ParseTraceparent(given).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--traceparent (or $IMP_TRACEPARENT): '", given,
        "' is not a W3C traceparent 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"));
  }
  command_traceparent = given;
  return absl::OkStatus();
}

const std::string& CommandTraceparent() { return command_traceparent; }

std::string TraceIdOfError(const absl::Status& details) {
  if (auto info = api::GetDetail<google::rpc::RequestInfo>(details)) {
    if (!info->request_id().empty()) return info->request_id();
  }
  return TraceIdOf(command_traceparent);
}

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return kExitOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE: return kExitInvalid;
    case grpc::StatusCode::NOT_FOUND: return kExitNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED: return kExitConflict;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED: return kExitDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return kExitUnavailable;
    default: return kExitFailed;
  }
}

int ExitCodeFor(const absl::Status& status) {
  const std::string reason = api::ReasonOf(status);
  if (reason == api::kReasonRequestIdReused) return kExitConflict;
  if (absl::IsAborted(status) && !reason.empty() && reason != api::kReasonEtagMismatch) {
    return kExitUnavailable;
  }
  return ExitCodeFor(static_cast<grpc::StatusCode>(status.code()));
}

std::vector<std::string> DetailLines(const absl::Status& status) {
  namespace rpc = google::rpc;
  std::vector<std::string> lines;
  if (auto bad = api::GetDetail<rpc::BadRequest>(status)) {
    for (const auto& v : bad->field_violations()) {
      lines.push_back(absl::StrCat("field ", v.field(), ": ", v.description()));
    }
  }
  if (auto failure = api::GetDetail<rpc::PreconditionFailure>(status)) {
    for (const auto& v : failure->violations()) {
      lines.push_back(
          absl::StrCat("precondition ", v.type(), " ", v.subject(), ": ", v.description()));
    }
  }
  if (auto info = api::GetDetail<rpc::ResourceInfo>(status)) {
    lines.push_back(absl::StrCat("resource ", info->resource_name(),
                                 info->description().empty() ? "" : " (", info->description(),
                                 info->description().empty() ? "" : ")"));
  }
  if (auto info = api::GetDetail<rpc::ErrorInfo>(status)) {
    lines.push_back(absl::StrCat("reason ", info->reason()));
  }
  return lines;
}

int ReportError(const grpc::Status& status) {
  std::fprintf(stderr, "impctl: %s: %s\n", StatusCodeName(status.error_code()),
               status.error_message().c_str());
  const absl::Status details = FromGrpcStatus(status);
  for (const auto& line : DetailLines(details))
    std::fprintf(stderr, "impctl:   %s\n", line.c_str());
  if (const std::string trace_id = TraceIdOfError(details); !trace_id.empty()) {
    std::fprintf(stderr, "impctl: trace_id=%s (grep the servers' logs for it)\n", trace_id.c_str());
  }
  // The mistakes everyone makes first: the wrong address (or server) and a missing token.
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      // The gateway passes on a backend's UNAVAILABLE too, so this names both possibilities.
      std::fprintf(stderr,
                   "impctl: (called %s, from --target or $IMP_TARGET: it or a service behind it "
                   "did not answer)\n",
                   TargetFromFlags().c_str());
      // A TLS mismatch looks the same from here: name the flags that decide it.
      if (FlagOrEnv(FLAGS_ca_cert, "IMP_CA_CERT").empty()) {
        std::fprintf(stderr,
                     "impctl: (a server that uses TLS needs --ca_cert or $IMP_CA_CERT; a service "
                     "called directly also --client_cert and --client_key)\n");
      } else if (FlagOrEnv(FLAGS_client_cert, "IMP_CLIENT_CERT").empty()) {
        std::fprintf(stderr,
                     "impctl: (a service called directly under mutual TLS needs --client_cert "
                     "and --client_key, or $IMP_CLIENT_CERT and $IMP_CLIENT_KEY)\n");
      }
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      std::fprintf(stderr,
                   "impctl: (the gateway needs a token: --token, --token_file, $IMP_TOKEN or "
                   "$IMP_TOKEN_FILE)\n");
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      std::fprintf(stderr, "impctl: (%s does not serve this method; the gateway serves them all)\n",
                   TargetFromFlags().c_str());
      break;
    default: break;
  }
  return ExitCodeFor(details);
}

std::string TargetFromFlags() {
  std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) target = Env("IMP_TARGET");
  return target.empty() ? "127.0.0.1:50050" : target;
}

absl::StatusOr<std::string> TokenFromFlags() {
  // What the command line says beats what the environment says, so that
  // `--token_file=viewer.token` works in a shell that exports an admin $IMP_TOKEN.
  if (std::string token = absl::GetFlag(FLAGS_token); !token.empty()) return token;
  std::string file = absl::GetFlag(FLAGS_token_file);
  if (file.empty()) {
    if (std::string token = Env("IMP_TOKEN"); !token.empty()) return token;
    file = Env("IMP_TOKEN_FILE");
  }
  if (file.empty()) return std::string();
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read the token file ", file));
  std::stringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty())
    return absl::InvalidArgumentError(absl::StrCat("the token file ", file, " is empty"));
  return token;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFromFlags(const std::string& target) {
  TlsFiles files;
  files.ca = FlagOrEnv(FLAGS_ca_cert, "IMP_CA_CERT");
  files.cert = FlagOrEnv(FLAGS_client_cert, "IMP_CLIENT_CERT");
  files.key = FlagOrEnv(FLAGS_client_key, "IMP_CLIENT_KEY");
  files.ca_flag = "--ca_cert";
  files.cert_flag = "--client_cert";
  files.key_flag = "--client_key";
  if (files.ca.empty() && !files.cert.empty()) {
    return absl::InvalidArgumentError(
        "--client_cert needs --ca_cert (the CA that signed the server's certificate)");
  }
  absl::StatusOr<TlsOptions> tls = LoadTlsFiles(files);
  if (!tls.ok()) return absl::InvalidArgumentError(tls.status().message());
  ChannelOptions options;
  options.tls = *std::move(tls);
  options.max_receive_message_bytes = 64 << 20;  // above any service's largest send
  return MakeChannel(target, options);
}

absl::StatusOr<Client> Client::FromFlags() {
  Client c;
  c.target_ = TargetFromFlags();
  auto token = TokenFromFlags();
  if (!token.ok()) return token.status();
  c.token_ = *std::move(token);
  auto channel = ChannelFromFlags(c.target_);
  if (!channel.ok()) return channel.status();
  c.channel_ = *std::move(channel);
  c.registry_ = registry::v1::RegistryService::NewStub(c.channel_);
  c.activity_ = activity::v1::ActivityService::NewStub(c.channel_);
  c.gateway_ = gateway::v1::GatewayService::NewStub(c.channel_);
  return c;
}

std::unique_ptr<grpc::ClientContext> Client::Context(absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token_.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  AddChildTraceparent(*ctx, CommandTraceparent());
  return ctx;
}

}  // namespace imp::impctl
