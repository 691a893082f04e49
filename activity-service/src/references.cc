#include "activity-service/src/references.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/server/request_context.h"
#include "common/server/trace.h"
#include "common/status.h"

namespace imp::activity {
namespace {

constexpr int kBatch = 1000;

// BatchGet fails NOT_FOUND naming the first unknown entry in its error details: a BadRequest
// on the field "names[i]" and a ResourceInfo with the name. Returns i, or -1 when the details
// do not identify an entry of `chunk` (the message text is never read).
int UnknownIndex(const grpc::Status& status, const std::vector<std::string>& chunk) {
  const absl::Status details = FromGrpcStatus(status);
  const std::string resource = api::ResourceNameOf(details);
  const std::string field = api::FieldOf(details);
  int index = -1;
  if (absl::StartsWith(field, "names[") && absl::EndsWith(field, "]") &&
      absl::SimpleAtoi(absl::string_view(field).substr(6, field.size() - 7), &index) &&
      index >= 0 && index < static_cast<int>(chunk.size()) &&
      (resource.empty() || chunk[index] == resource)) {
    return index;
  }
  const auto it = std::find(chunk.begin(), chunk.end(), resource);
  return resource.empty() || it == chunk.end() ? -1 : static_cast<int>(it - chunk.begin());
}

absl::Status Unavailable(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    // The registry shed the lookup (overload): the caller is told the same, with the
    // registry's retry delay and reason, not that a backend is down.
    const absl::Status shed = FromGrpcStatus(status);
    return api::WithMessage(
        shed, absl::StrCat("registry overloaded, references not checked: ", shed.message()));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return api::WithReason(
        absl::DeadlineExceededError("registry did not answer in time; references not checked"),
        api::kReasonDeadlineExceeded, {{"backend", "registry"}});
  }
  return api::WithReason(
      absl::UnavailableError(absl::StrCat("registry unavailable, references cannot be checked: ",
                                          status.error_message())),
      api::kReasonBackendUnavailable, {{"backend", "registry"}});
}

// Resolves `names` with `call` (one BatchGet), retrying without each unknown entry it reports,
// and asking for fewer names at a time when the registry says an answer would pass its byte
// budget (ANSWER_TOO_LARGE: how many fit).
template <typename Response, typename Call, typename Classify>
absl::Status Resolve(std::vector<std::string> names, Call call, Classify classify,
                     absl::flat_hash_map<std::string, ReferenceState>& out) {
  size_t limit = kBatch;
  for (size_t start = 0; start < names.size();) {
    std::vector<std::string> chunk(names.begin() + start,
                                   names.begin() + std::min(names.size(), start + limit));
    const size_t taken = chunk.size();
    bool too_large = false;
    while (!chunk.empty()) {
      Response resp;
      grpc::Status status = call(chunk, &resp);
      if (status.ok()) {
        for (size_t i = 0; i < chunk.size(); ++i) out[chunk[i]] = classify(resp, i);
        break;
      }
      const int fits = api::AnswerFitsOf(FromGrpcStatus(status));
      if (fits > 0 && static_cast<size_t>(fits) < chunk.size()) {
        limit = static_cast<size_t>(fits);
        too_large = true;
        break;
      }
      const int unknown =
          status.error_code() == grpc::StatusCode::NOT_FOUND ? UnknownIndex(status, chunk) : -1;
      if (unknown >= 0) {
        out[chunk[unknown]] = ReferenceState::kUnknown;
        chunk.erase(chunk.begin() + unknown);
        continue;
      }
      if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        // A malformed name: the caller validated names, so treat the chunk's names as unknown.
        for (const auto& n : chunk) out[n] = ReferenceState::kUnknown;
        break;
      }
      return Unavailable(status);
    }
    if (!too_large) start += taken;  // else the same names again, fewer at a time
  }
  return absl::OkStatus();
}

// A registry call made for the call this thread serves: its deadline, the service as the
// actor, and a child of the call's traceparent (the same trace in the registry's log).
void Prepare(grpc::ClientContext& ctx, absl::Time deadline) {
  ctx.set_deadline(absl::ToChronoTime(deadline));
  ctx.AddMetadata(kActorMetadataKey, "activity-service");
  AddChildTraceparent(ctx, CurrentTraceparent());
}

}  // namespace

RegistryReferences::RegistryReferences(std::shared_ptr<grpc::Channel> channel,
                                       absl::Duration timeout)
    : stub_(registry::v1::RegistryService::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<absl::flat_hash_set<std::string>> RegistryReferences::AreaCodes(
    absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (absl::Now() < area_codes_expiry_) return area_codes_;
  }
  grpc::ClientContext ctx;
  Prepare(ctx, std::min(deadline, absl::Now() + timeout_));
  registry::v1::ListCooperationAreasResponse resp;
  grpc::Status status = stub_->ListCooperationAreas(&ctx, {}, &resp);
  if (!status.ok()) return Unavailable(status);
  absl::flat_hash_set<std::string> codes;
  for (const auto& area : resp.cooperation_areas()) codes.insert(area.code());
  absl::MutexLock lock(&mu_);
  area_codes_ = codes;
  area_codes_expiry_ = absl::Now() + absl::Minutes(1);
  return codes;
}

absl::StatusOr<ReferenceFacts> RegistryReferences::Lookup(const References& references,
                                                          absl::Time deadline) {
  const auto& institutions = references.institutions;
  const auto& agreements = references.agreements;
  const absl::Time call_deadline = std::min(deadline, absl::Now() + timeout_);
  auto context = [&](grpc::ClientContext& ctx) { Prepare(ctx, call_deadline); };
  ReferenceFacts facts;
  absl::Status s = Resolve<registry::v1::BatchGetInstitutionsResponse>(
      std::vector<std::string>(institutions.begin(), institutions.end()),
      [&](const std::vector<std::string>& names, registry::v1::BatchGetInstitutionsResponse* resp) {
        grpc::ClientContext ctx;
        context(ctx);
        registry::v1::BatchGetInstitutionsRequest req;
        for (const auto& n : names) req.add_names(n);
        return stub_->BatchGetInstitutions(&ctx, req, resp);
      },
      [](const registry::v1::BatchGetInstitutionsResponse& resp, size_t i) {
        return resp.institutions(static_cast<int>(i)).has_delete_time() ? ReferenceState::kDeleted
                                                                        : ReferenceState::kOk;
      },
      facts.institutions);
  if (!s.ok()) return s;
  s = Resolve<registry::v1::BatchGetAgreementsResponse>(
      std::vector<std::string>(agreements.begin(), agreements.end()),
      [&](const std::vector<std::string>& names, registry::v1::BatchGetAgreementsResponse* resp) {
        grpc::ClientContext ctx;
        context(ctx);
        registry::v1::BatchGetAgreementsRequest req;
        for (const auto& n : names) req.add_names(n);
        return stub_->BatchGetAgreements(&ctx, req, resp);
      },
      [](const registry::v1::BatchGetAgreementsResponse& resp, size_t i) {
        const auto& a = resp.agreements(static_cast<int>(i));
        if (a.has_delete_time()) return ReferenceState::kDeleted;
        return a.state() == registry::v1::Agreement::STATE_ACTIVE ? ReferenceState::kOk
                                                                  : ReferenceState::kNotActive;
      },
      facts.agreements);
  if (!s.ok()) return s;
  if (!references.cooperation_areas.empty()) {
    auto codes = AreaCodes(deadline);
    if (!codes.ok()) return codes.status();
    for (const auto& code : references.cooperation_areas) {
      facts.cooperation_areas[code] =
          codes->contains(code) ? ReferenceState::kOk : ReferenceState::kUnknown;
    }
  }
  return facts;
}

}  // namespace imp::activity
