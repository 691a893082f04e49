#include "common/status.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/api/errors.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace imp {
namespace {

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return grpc::StatusCode::OK;
    case absl::StatusCode::kCancelled: return grpc::StatusCode::CANCELLED;
    case absl::StatusCode::kUnknown: return grpc::StatusCode::UNKNOWN;
    case absl::StatusCode::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case absl::StatusCode::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case absl::StatusCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case absl::StatusCode::kAlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case absl::StatusCode::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case absl::StatusCode::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case absl::StatusCode::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case absl::StatusCode::kAborted: return grpc::StatusCode::ABORTED;
    case absl::StatusCode::kOutOfRange: return grpc::StatusCode::OUT_OF_RANGE;
    case absl::StatusCode::kUnimplemented: return grpc::StatusCode::UNIMPLEMENTED;
    case absl::StatusCode::kInternal: return grpc::StatusCode::INTERNAL;
    case absl::StatusCode::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case absl::StatusCode::kDataLoss: return grpc::StatusCode::DATA_LOSS;
    case absl::StatusCode::kUnauthenticated: return grpc::StatusCode::UNAUTHENTICATED;
    default: return grpc::StatusCode::UNKNOWN;
  }
}

absl::StatusCode FromGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return absl::StatusCode::kOk;
    case grpc::StatusCode::CANCELLED: return absl::StatusCode::kCancelled;
    case grpc::StatusCode::UNKNOWN: return absl::StatusCode::kUnknown;
    case grpc::StatusCode::INVALID_ARGUMENT: return absl::StatusCode::kInvalidArgument;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return absl::StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::NOT_FOUND: return absl::StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return absl::StatusCode::kAlreadyExists;
    case grpc::StatusCode::PERMISSION_DENIED: return absl::StatusCode::kPermissionDenied;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return absl::StatusCode::kResourceExhausted;
    case grpc::StatusCode::FAILED_PRECONDITION: return absl::StatusCode::kFailedPrecondition;
    case grpc::StatusCode::ABORTED: return absl::StatusCode::kAborted;
    case grpc::StatusCode::OUT_OF_RANGE: return absl::StatusCode::kOutOfRange;
    case grpc::StatusCode::UNIMPLEMENTED: return absl::StatusCode::kUnimplemented;
    case grpc::StatusCode::INTERNAL: return absl::StatusCode::kInternal;
    case grpc::StatusCode::UNAVAILABLE: return absl::StatusCode::kUnavailable;
    case grpc::StatusCode::DATA_LOSS: return absl::StatusCode::kDataLoss;
    case grpc::StatusCode::UNAUTHENTICATED: return absl::StatusCode::kUnauthenticated;
    default: return absl::StatusCode::kUnknown;
  }
}

namespace rpc = google::rpc;

// The length of the field path that `message` starts with when it is followed by ": ", else 0.
//   [a-z_][a-z0-9_]*(\[[0-9]+\])?(\.[a-z_][a-z0-9_]*(\[[0-9]+\])?)*
size_t FieldPathLength(absl::string_view message) {
  size_t i = 0;
  const size_t n = message.size();
  for (;;) {
    if (i >= n || !(absl::ascii_islower(message[i]) || message[i] == '_')) return 0;
    while (i < n && (absl::ascii_islower(message[i]) || absl::ascii_isdigit(message[i]) ||
                     message[i] == '_')) {
      ++i;
    }
    if (i < n && message[i] == '[') {
      const size_t digits = ++i;
      while (i < n && absl::ascii_isdigit(message[i])) ++i;
      if (i == digits || i >= n || message[i] != ']') return 0;
      ++i;
    }
    if (i < n && message[i] == '.') {
      ++i;
      continue;
    }
    return message.substr(i, 2) == ": " ? i : 0;
  }
}

// The google.rpc.Status serialised within `budget` bytes (see status.h).
std::string FitDetails(rpc::Status proto, size_t budget) {
  if (proto.ByteSizeLong() <= budget) return proto.SerializeAsString();
  for (auto& any : *proto.mutable_details()) {
    rpc::BadRequest bad;
    rpc::PreconditionFailure failure;
    rpc::ResourceInfo info;
    if (any.Is<rpc::BadRequest>() && any.UnpackTo(&bad)) {
      for (auto& v : *bad.mutable_field_violations()) v.clear_description();
      any.PackFrom(bad);
    } else if (any.Is<rpc::PreconditionFailure>() && any.UnpackTo(&failure)) {
      for (auto& v : *failure.mutable_violations()) v.clear_description();
      any.PackFrom(failure);
    } else if (any.Is<rpc::ResourceInfo>() && any.UnpackTo(&info)) {
      info.clear_description();
      any.PackFrom(info);
    }
  }
  if (proto.ByteSizeLong() <= budget) return proto.SerializeAsString();
  auto* details = proto.mutable_details();
  details->erase(
      std::remove_if(details->begin(), details->end(),
                     [](const google::protobuf::Any& any) { return !any.Is<rpc::ErrorInfo>(); }),
      details->end());
  if (proto.ByteSizeLong() <= budget) return proto.SerializeAsString();
  return "";
}

}  // namespace

absl::Status WithDerivedDetails(absl::Status status) {
  if (status.ok()) return status;
  const absl::StatusCode code = status.code();
  const bool has_field_detail = api::GetDetail<rpc::BadRequest>(status).has_value() ||
                                api::GetDetail<rpc::PreconditionFailure>(status).has_value();
  std::string field;
  if (!has_field_detail &&
      (code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kOutOfRange ||
       code == absl::StatusCode::kFailedPrecondition)) {
    const absl::string_view message = status.message();
    const size_t length = FieldPathLength(message);
    if (length > 0) {
      field = std::string(message.substr(0, length));
      const std::string description(message.substr(length + 2));
      if (code == absl::StatusCode::kFailedPrecondition) {
        rpc::PreconditionFailure failure;
        auto* v = failure.add_violations();
        v->set_type(api::kPreconditionField);
        v->set_subject(field);
        v->set_description(description);
        api::SetDetail(status, failure);
      } else {
        rpc::BadRequest bad;
        auto* v = bad.add_field_violations();
        v->set_field(field);
        v->set_description(description);
        api::SetDetail(status, bad);
      }
    }
  }
  if (api::GetDetail<rpc::ErrorInfo>(status).has_value()) return status;
  std::string reason = absl::StatusCodeToString(code);
  if (code == absl::StatusCode::kNotFound) reason = api::kReasonResourceNotFound;
  if (code == absl::StatusCode::kAlreadyExists) reason = api::kReasonResourceExists;
  if (code == absl::StatusCode::kInvalidArgument && !field.empty()) {
    reason = api::kReasonFieldInvalid;
  }
  std::map<std::string, std::string> metadata;
  if (!field.empty()) metadata["field"] = field;
  return api::WithReason(std::move(status), reason, metadata);
}

size_t ErrorDetailsBudget(absl::string_view message) {
  // grpc-message percent-encodes every byte outside printable ASCII, and '%'.
  size_t message_size = 0;
  for (const char c : message) {
    const auto b = static_cast<unsigned char>(c);
    message_size += b < 0x20 || b > 0x7e || b == '%' ? 3 : 1;
  }
  return message_size >= kMaxErrorTrailerBytes
             ? 0
             : std::min(kMaxErrorDetailsBytes, kMaxErrorTrailerBytes - message_size);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const absl::Status full = WithDerivedDetails(status);
  rpc::Status proto;
  proto.set_code(static_cast<int>(status.code()));
  proto.set_message(std::string(status.message()));
  // ErrorInfo first (where readers look first), the rest by type: a stable wire form, since
  // absl leaves the order of payloads unspecified.
  std::vector<std::pair<std::string, std::string>> payloads;
  full.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    payloads.emplace_back(std::string(url), std::string(payload));
  });
  const std::string error_info = api::TypeUrl(rpc::ErrorInfo::descriptor()->full_name());
  std::sort(payloads.begin(), payloads.end(), [&](const auto& a, const auto& b) {
    return std::make_pair(a.first != error_info, a.first) <
           std::make_pair(b.first != error_info, b.first);
  });
  for (auto& [url, value] : payloads) {
    auto* any = proto.add_details();
    any->set_type_url(url);
    any->set_value(std::move(value));
  }
  return grpc::Status(ToGrpcCode(status.code()), std::string(status.message()),
                      FitDetails(std::move(proto), ErrorDetailsBudget(status.message())));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status out(FromGrpcCode(status.error_code()), status.error_message());
  rpc::Status proto;
  if (!status.error_details().empty() && proto.ParseFromString(status.error_details()) &&
      proto.code() == static_cast<int>(status.error_code())) {
    for (const auto& any : proto.details()) out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

grpc::Status ForwardedStatus(const grpc::Status& status) {
  if (status.ok() || !status.error_details().empty()) return status;
  absl::Status s = FromGrpcStatus(status);
  if (absl::IsUnavailable(s)) s = api::WithReason(std::move(s), api::kReasonBackendUnavailable);
  return ToGrpcStatus(s);
}

const char* StatusCodeName(grpc::StatusCode code) {
  // absl's names are the canonical gRPC names, and the codes have the same numbers.
  static const auto* const kNames = [] {
    auto* names = new std::string[17];
    for (int c = 0; c <= 16; ++c)
      names[c] = absl::StatusCodeToString(static_cast<absl::StatusCode>(c));
    return names;
  }();
  const int c = static_cast<int>(code);
  return c >= 0 && c <= 16 ? kNames[c].c_str() : "UNKNOWN";
}

}  // namespace imp
