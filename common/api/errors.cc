#include "common/api/errors.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace imp::api {
namespace {

namespace rpc = google::rpc;

std::string WithField(absl::string_view field, absl::string_view text) {
  return field.empty() ? std::string(text) : absl::StrCat(field, ": ", text);
}

void AddFieldViolation(absl::Status& status, absl::string_view field,
                       absl::string_view description) {
  rpc::BadRequest bad = GetDetail<rpc::BadRequest>(status).value_or(rpc::BadRequest());
  auto* v = bad.add_field_violations();
  v->set_field(std::string(field));
  v->set_description(std::string(description));
  SetDetail(status, bad);
}

void SetResourceInfo(absl::Status& status, absl::string_view type, absl::string_view name,
                     absl::string_view description) {
  rpc::ResourceInfo info;
  info.set_resource_type(std::string(type));
  info.set_resource_name(std::string(name));
  info.set_description(std::string(description));
  SetDetail(status, info);
}

// ErrorInfo metadata: only the entries that have a value.
std::map<std::string, std::string> Metadata(
    std::initializer_list<std::pair<const char*, absl::string_view>> entries) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : entries) {
    if (!value.empty()) out[key] = std::string(value);
  }
  return out;
}

}  // namespace

std::string TypeUrl(absl::string_view full_name) {
  return absl::StrCat("type.googleapis.com/", full_name);
}

void SetDetail(absl::Status& status, const google::protobuf::Message& detail) {
  // Deterministic (ErrorInfo.metadata is a map): the same error has the same bytes on the wire.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    detail.SerializeToCodedStream(&out);
  }
  status.SetPayload(TypeUrl(detail.GetDescriptor()->full_name()), absl::Cord(std::move(bytes)));
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  absl::Status s = absl::InvalidArgumentError(WithField(field, description));
  AddFieldViolation(s, field, description);
  return WithReason(std::move(s), kReasonFieldInvalid, Metadata({{"field", field}}));
}

absl::Status FailedField(absl::string_view field, absl::string_view description,
                         absl::string_view type, absl::string_view reason) {
  absl::Status s = absl::FailedPreconditionError(WithField(field, description));
  rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type(std::string(type));
  v->set_subject(std::string(field));
  v->set_description(std::string(description));
  SetDetail(s, failure);
  return WithReason(std::move(s), reason, Metadata({{"field", field}}));
}

absl::Status InvalidReference(absl::string_view field, absl::string_view name,
                              absl::string_view description) {
  const std::string text = absl::StrCat(name, " ", description);
  absl::Status s = FailedField(field, text, kPreconditionReference, kReasonReferenceInvalid);
  SetResourceInfo(s, "", name, description);
  return WithReason(std::move(s), kReasonReferenceInvalid,
                    Metadata({{"field", field}, {"resource", name}}));
}

absl::Status ResourceNotFound(absl::string_view resource_type, absl::string_view name,
                              absl::string_view field) {
  const std::string text = absl::StrCat(name, " not found");
  absl::Status s = absl::NotFoundError(WithField(field, text));
  if (!field.empty()) AddFieldViolation(s, field, text);
  SetResourceInfo(s, resource_type, name, "not found");
  return WithReason(std::move(s), kReasonResourceNotFound,
                    Metadata({{"resource", name}, {"field", field}}));
}

absl::Status ResourceExists(absl::string_view resource_type, absl::string_view name,
                            absl::string_view field, absl::string_view description) {
  const std::string text =
      description.empty() ? absl::StrCat(name, " already exists") : std::string(description);
  absl::Status s = absl::AlreadyExistsError(WithField(field, text));
  SetResourceInfo(s, resource_type, name, "already exists");
  return WithReason(std::move(s), kReasonResourceExists,
                    Metadata({{"resource", name}, {"field", field}}));
}

absl::Status RequestIdReused(absl::string_view why, absl::string_view earlier) {
  absl::Status s = absl::InvalidArgumentError(absl::StrCat("request_id: ", why));
  AddFieldViolation(s, "request_id", why);
  if (!earlier.empty()) {
    SetResourceInfo(s, "", earlier, "created by the earlier request with this request_id");
  }
  return WithReason(std::move(s), kReasonRequestIdReused,
                    Metadata({{"field", "request_id"}, {"resource", earlier}}));
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  rpc::RetryInfo retry;
  const int64_t micros = absl::ToInt64Microseconds(delay);
  retry.mutable_retry_delay()->set_seconds(micros / 1000000);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
  SetDetail(status, retry);
  return status;
}

absl::Status WithMessage(const absl::Status& status, absl::string_view message) {
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

absl::Status WithReason(absl::Status status, absl::string_view reason,
                        const std::map<std::string, std::string>& metadata) {
  if (status.ok()) return status;
  rpc::ErrorInfo info = GetDetail<rpc::ErrorInfo>(status).value_or(rpc::ErrorInfo());
  info.set_reason(std::string(reason));
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  SetDetail(status, info);
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  auto info = GetDetail<rpc::ErrorInfo>(status);
  return info ? info->reason() : "";
}

int AnswerFitsOf(const absl::Status& status) {
  auto info = GetDetail<rpc::ErrorInfo>(status);
  if (!info || info->reason() != kReasonAnswerTooLarge) return -1;
  auto it = info->metadata().find("fits");
  int fits = -1;
  if (it == info->metadata().end() || !absl::SimpleAtoi(it->second, &fits) || fits < 1) return -1;
  return fits;
}

std::string FieldOf(const absl::Status& status) {
  if (auto bad = GetDetail<rpc::BadRequest>(status); bad && bad->field_violations_size() > 0) {
    return bad->field_violations(0).field();
  }
  if (auto failure = GetDetail<rpc::PreconditionFailure>(status);
      failure && failure->violations_size() > 0) {
    return failure->violations(0).subject();
  }
  if (auto info = GetDetail<rpc::ErrorInfo>(status)) {
    auto it = info->metadata().find("field");
    if (it != info->metadata().end()) return it->second;
  }
  return "";
}

std::string FieldDescriptionOf(const absl::Status& status) {
  if (auto bad = GetDetail<rpc::BadRequest>(status); bad && bad->field_violations_size() > 0) {
    return bad->field_violations(0).description();
  }
  if (auto failure = GetDetail<rpc::PreconditionFailure>(status);
      failure && failure->violations_size() > 0) {
    return failure->violations(0).description();
  }
  return "";
}

std::string ResourceNameOf(const absl::Status& status) {
  auto info = GetDetail<rpc::ResourceInfo>(status);
  return info ? info->resource_name() : "";
}

}  // namespace imp::api
