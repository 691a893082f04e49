#include "registry-service/src/registry_common.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/api/proto_util.h"
#include "common/api/text.h"
#include "registry-service/src/store.h"

namespace imp::registry {

absl::Status CheckEtag(absl::string_view requested, absl::string_view current,
                       absl::string_view name) {
  if (requested.empty() || requested == current) return absl::OkStatus();
  return api::WithReason(
      absl::AbortedError(absl::StrCat("etag: ", name, " has changed (current etag ", current,
                                      ", request etag ", api::QuoteForMessage(requested),
                                      "); read it again and retry")),
      api::kReasonEtagMismatch, {{"field", "etag"}, {"resource", std::string(name)}});
}

void Audit(db::Connection& c, const RequestContext& ctx, const std::string& name, int64_t revision,
           absl::string_view action, const std::vector<std::string>& fields,
           const google::protobuf::Message& resource, absl::Time now) {
  db::ChangeRecord change;
  change.resource_name = name;
  change.revision = revision;
  change.actor = ctx.actor;
  change.action = std::string(action);
  change.changed_fields = fields;
  change.snapshot_json = api::ToJson(resource);
  change.change_time = now;
  db::RecordChange(c, change);
  store::AppendToFeed(c, name, revision, now);  // last: see store.h
}

absl::Time NowMicros() { return absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())); }

}  // namespace imp::registry
