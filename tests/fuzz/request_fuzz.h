#ifndef IMP_TESTS_FUZZ_REQUEST_FUZZ_H_
#define IMP_TESTS_FUZZ_REQUEST_FUZZ_H_

// What the request harnesses (registry_request_fuzz, activity_request_fuzz) share: how an input
// names a method and carries its request, and the properties every answer must have.
//
// Input: "<Method>\n<request in protobuf text format>" or "<Method> binary\n<request in the
// protobuf wire format>". A first line that names no method still selects one (by its hash), so
// mutated headers keep exercising something. Text-format requests are re-encoded and parsed as
// the wire format, as the server would receive them: what the wire format cannot carry (invalid
// UTF-8 in a string field) is refused by gRPC before any service code runs, and is skipped here.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/api/errors.h"
#include "common/api/page_token.h"
#include "common/db/database.h"
#include "common/server/request_context.h"
#include "common/status.h"
#include "tests/fuzz/fuzz_checks.h"

namespace imp::fuzz {

// Every error message is at most this long, whatever the request: errors quote a short prefix
// of what the client sent (api::QuoteForMessage), never all of it.
inline constexpr size_t kMaxErrorMessageBytes = 2048;

// What a call that passed every check before the database answers: the harnesses build the
// services over a Database that was never migrated, so its first use answers this without
// connecting anywhere.
inline bool ReachedDatabase(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable &&
         absl::StartsWith(s.message(), "database not ready");
}

// A Database whose every use answers UNAVAILABLE "database not ready" at once (no connection is
// ever attempted: Database connects only after CheckReady has migrated it).
inline db::Database& UnmigratedDatabase() {
  static auto* const db = [] {
    db::PoolOptions nowhere;
    nowhere.port = 1;  // were it ever to connect, it would fail at once
    return new db::Database(nowhere, {});
  }();
  return *db;
}

// One method of a service: its request type and how the harness calls it.
struct Method {
  std::string name;
  const google::protobuf::Message* prototype;
  std::function<void(const google::protobuf::Message&)> call;
};

// Every method of `service` must have an entry in `methods` (and no entry may name another):
// a method added to the proto fails the harness at start until it is fuzzed too.
inline void CheckCoversService(const google::protobuf::ServiceDescriptor* service,
                               const std::vector<Method>& methods) {
  if (service == nullptr) Fail("no such service", "");
  if (static_cast<size_t>(service->method_count()) != methods.size()) {
    Fail("the harness does not list every method of", service->full_name());
  }
  for (const Method& m : methods) {
    const auto* d = service->FindMethodByName(m.name);
    if (d == nullptr || d->input_type() != m.prototype->GetDescriptor()) {
      Fail("the harness lists a method the service lacks", m.name);
    }
  }
}

// Discards protobuf's log lines (the text parser's complaints about the inputs it refuses).
inline void SilenceProtobufLogs() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
}

// The method an input selects and its request as the server would see it; null when the input
// is not a request the wire could carry.
struct Selected {
  const Method* method = nullptr;
  std::unique_ptr<google::protobuf::Message> request;
};

inline Selected Select(const uint8_t* data, size_t size, const std::vector<Method>& methods) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == absl::string_view::npos) return {};
  absl::string_view header = input.substr(0, newline);
  const absl::string_view payload = input.substr(newline + 1);
  const bool binary = absl::ConsumeSuffix(&header, " binary");
  const Method* method = nullptr;
  for (const Method& m : methods) {
    if (m.name == header) method = &m;
  }
  if (method == nullptr)
    method = &methods[std::hash<std::string>()(std::string(header)) % methods.size()];
  Selected out;
  out.method = method;
  out.request.reset(method->prototype->New());
  if (binary) {
    if (!out.request->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return {};
    return out;
  }
  google::protobuf::TextFormat::Parser parser;
  if (!parser.ParseFromString(std::string(payload), out.request.get())) return {};
  // What the wire carries: proto3 string fields must be valid UTF-8, so gRPC refuses a request
  // that holds anything else before a service sees it.
  std::string wire;
  if (!out.request->SerializeToString(&wire)) return {};
  out.request.reset(method->prototype->New());
  if (!out.request->ParseFromString(wire)) return {};
  return out;
}

// A field path as the edge recognises one (common/status.h), e.g. "activity.training.hours"
// or "names[3]".
inline bool IsFieldPath(const std::string& field) {
  static const std::regex* const path =
      new std::regex("[a-z_][a-z0-9_]*(\\[[0-9]+\\])?(\\.[a-z_][a-z0-9_]*(\\[[0-9]+\\])?)*");
  return std::regex_match(field, *path);
}

// What every refusal must look like: INVALID_ARGUMENT (FAILED_PRECONDITION where
// `precondition_ok`: a reference the registry does not accept), a non-empty message of at most
// kMaxErrorMessageBytes, and once the edge has added its details (as ToGrpcStatus does) a
// BadRequest or PreconditionFailure naming a request field, and an ErrorInfo reason. Never
// INTERNAL, never UNKNOWN.
inline void CheckRefusal(const absl::Status& status, absl::string_view method,
                         bool precondition_ok = false) {
  const std::string where = absl::StrCat(method, ": ", status.ToString());
  const bool precondition =
      precondition_ok && status.code() == absl::StatusCode::kFailedPrecondition;
  if (status.code() != absl::StatusCode::kInvalidArgument && !precondition) {
    Fail("a refusal that is not INVALID_ARGUMENT", where.substr(0, 4096));
  }
  if (status.message().empty()) Fail("a refusal without a message", where);
  if (status.message().size() > kMaxErrorMessageBytes) {
    Fail("an unbounded error message", where.substr(0, 4096));
  }
  const absl::Status detailed = WithDerivedDetails(status);
  const std::string field = api::FieldOf(detailed);
  if (field.empty()) Fail("a refusal that names no field", where);
  if (!IsFieldPath(field)) Fail("a refusal whose field is not a field path", where);
  if (api::ReasonOf(detailed).empty()) Fail("a refusal without a reason", where);
  if (!precondition && !api::GetDetail<google::rpc::BadRequest>(detailed).has_value()) {
    Fail("an INVALID_ARGUMENT without a BadRequest", where);
  }
}

// A method's answer: it reached the database (every check passed), or it was refused properly.
// With IMP_FUZZ_PRINT set, every answer is printed (to see what a new seed gets).
inline void CheckAnswer(const absl::Status& status, absl::string_view method,
                        bool precondition_ok = false) {
  static const bool print = std::getenv("IMP_FUZZ_PRINT") != nullptr;
  if (print) {
    std::fprintf(stderr, "%.*s -> %s\n", static_cast<int>(method.size()), method.data(),
                 status.ToString().substr(0, 300).c_str());
  }
  if (status.ok()) Fail("a call answered OK without a database", method);
  if (ReachedDatabase(status)) return;
  CheckRefusal(status, method, precondition_ok);
}

// Nothing more to check once a method reached the database.
struct NothingAfter {
  template <typename Request>
  void operator()(const Request&) const {}
};

// The entry for `method` of `service`: calls it, checks its answer, then runs `after` on the
// request when it reached the database (what the method would check inside its transaction).
template <typename Service, typename Request, typename Response, typename After = NothingAfter>
Method Entry(Service* service, const RequestContext* ctx, const char* name,
             absl::Status (Service::*method)(const RequestContext&, const Request&, Response*),
             bool precondition_ok, After after = After()) {
  return Method{name, &Request::default_instance(), [=](const google::protobuf::Message& m) {
                  const auto& req = static_cast<const Request&>(m);
                  Response out;
                  const absl::Status s = (service->*method)(*ctx, req, &out);
                  CheckAnswer(s, name, precondition_ok);
                  if (ReachedDatabase(s)) after(req);
                }};
}

// A RequestContext as the edge builds one for an authenticated caller without a deadline.
inline const RequestContext* FuzzContext() {
  static const RequestContext* const ctx = [] {
    auto* c = new RequestContext;
    c->actor = "fuzz@imp.example";
    return c;
  }();
  return ctx;
}

// What both request harnesses' LLVMFuzzerInitialize does: quiet protobuf, a page-token key, and
// a refusal to start unless `methods` covers every method of `service` (full name).
inline void InitializeHarness(const char* service, const std::vector<Method>& methods) {
  SilenceProtobufLogs();
  if (!api::SetPageTokenKey("fuzz-page-token-key-0123456789abcdef").ok()) std::abort();
  CheckCoversService(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service),
                     methods);
}

// What both request harnesses' LLVMFuzzerTestOneInput does: select a method and call it.
inline void RunOneInput(const uint8_t* data, size_t size, const std::vector<Method>& methods) {
  Selected selected = Select(data, size, methods);
  if (selected.request != nullptr) selected.method->call(*selected.request);
}

}  // namespace imp::fuzz

#endif  // IMP_TESTS_FUZZ_REQUEST_FUZZ_H_
