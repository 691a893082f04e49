#include "common/server/trace.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/server/request_context.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace imp {
namespace {

constexpr size_t kVersion00Size = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

bool IsLowerHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsAllZero(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// A random id of `words` 64-bit words in hex, never all zero (the standard's "invalid").
std::string RandomHex(int words) {
  thread_local absl::BitGen bits;
  for (;;) {
    std::string hex;
    bool zero = true;
    for (int i = 0; i < words; ++i) {
      const uint64_t word = absl::Uniform<uint64_t>(bits);
      zero = zero && word == 0;
      absl::StrAppendFormat(&hex, "%016x", word);
    }
    if (!zero) return hex;
  }
}

thread_local std::string current_traceparent;

class TraceInterceptor : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Adopt(*methods->GetRecvInitialMetadata());
    }
    if (!trace_id_.empty() &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (auto with_info = WithRequestInfo(methods->GetSendStatus(), trace_id_)) {
        methods->ModifySendStatus(*with_info);
      }
    }
    methods->Proceed();
  }

 private:
  // Keeps the caller's traceparent when it sent exactly one valid one (several are invalid, as
  // in HTTP), else replaces whatever it sent with a new trace.
  void Adopt(std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    const auto [first, last] = metadata.equal_range(kTraceparentMetadataKey);
    if (first != last && std::next(first) == last) {
      if (auto parsed =
              ParseTraceparent(absl::string_view(first->second.data(), first->second.size()))) {
        trace_id_ = std::move(parsed->trace_id);
        return;
      }
    }
    metadata.erase(first, last);
    const TraceContext made = NewTrace(/*sampled=*/false);
    trace_id_ = made.trace_id;
    // The map holds references: the interceptor lives as long as the call's ServerContext.
    made_ = made.ToTraceparent();
    metadata.emplace(grpc::string_ref(kTraceparentMetadataKey), grpc::string_ref(made_));
  }

  std::string trace_id_;
  std::string made_;
};

class TraceFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new TraceInterceptor;
  }
};

}  // namespace

std::string TraceContext::ToTraceparent() const {
  return absl::StrFormat("00-%s-%s-%02x", trace_id, parent_id, static_cast<int>(flags));
}

std::optional<TraceContext> ParseTraceparent(absl::string_view traceparent) {
  if (traceparent.size() < kVersion00Size) return std::nullopt;
  const absl::string_view version = traceparent.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? traceparent.size() != kVersion00Size
                      : traceparent.size() > kVersion00Size && traceparent[kVersion00Size] != '-') {
    return std::nullopt;
  }
  if (traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-') {
    return std::nullopt;
  }
  const absl::string_view trace_id = traceparent.substr(3, 32);
  const absl::string_view parent_id = traceparent.substr(36, 16);
  const absl::string_view flags = traceparent.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags) ||
      IsAllZero(trace_id) || IsAllZero(parent_id)) {
    return std::nullopt;
  }
  TraceContext trace;
  trace.trace_id = std::string(trace_id);
  trace.parent_id = std::string(parent_id);
  trace.flags = static_cast<uint8_t>(HexValue(flags[0]) * 16 + HexValue(flags[1]));
  return trace;
}

TraceContext NewTrace(bool sampled) {
  TraceContext trace;
  trace.trace_id = RandomHex(2);
  trace.parent_id = RandomHex(1);
  trace.flags = sampled ? 0x01 : 0x00;
  return trace;
}

TraceContext ChildOf(const TraceContext& parent) {
  TraceContext child = parent;
  child.parent_id = RandomHex(1);
  return child;
}

std::string TraceIdOf(absl::string_view traceparent) {
  auto parsed = ParseTraceparent(traceparent);
  return parsed ? std::move(parsed->trace_id) : std::string();
}

void AddChildTraceparent(grpc::ClientContext& ctx, absl::string_view traceparent) {
  if (auto parent = ParseTraceparent(traceparent)) {
    ctx.AddMetadata(kTraceparentMetadataKey, ChildOf(*parent).ToTraceparent());
  }
}

std::string TraceparentOf(const grpc::ServerContextBase& ctx) {
  return ClientMetadataValue(ctx, kTraceparentMetadataKey);
}

std::optional<grpc::Status> WithRequestInfo(const grpc::Status& status,
                                            absl::string_view trace_id) {
  if (status.ok() || trace_id.empty()) return std::nullopt;
  google::rpc::Status proto;
  if (status.error_details().empty()) {
    proto.set_code(static_cast<int>(status.error_code()));
    proto.set_message(status.error_message());
  } else if (!proto.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  for (const auto& any : proto.details()) {
    if (any.Is<google::rpc::RequestInfo>()) return std::nullopt;
  }
  google::rpc::RequestInfo info;
  info.set_request_id(std::string(trace_id));
  proto.add_details()->PackFrom(info);
  if (proto.ByteSizeLong() > ErrorDetailsBudget(status.error_message())) return std::nullopt;
  return grpc::Status(status.error_code(), status.error_message(), proto.SerializeAsString());
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeTraceInterceptor() {
  return std::make_unique<TraceFactory>();
}

const std::string& CurrentTraceparent() { return current_traceparent; }

ScopedTraceparent::ScopedTraceparent(std::string traceparent)
    : previous_(std::exchange(current_traceparent, std::move(traceparent))) {}

ScopedTraceparent::~ScopedTraceparent() { current_traceparent = std::move(previous_); }

}  // namespace imp
