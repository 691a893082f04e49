#include "activity-service/src/import_apply.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "activity-service/src/store.h"
#include "activity-service/src/validation.h"
#include "common/api/proto_util.h"
#include "common/db/changes.h"
#include "common/db/snapshot_diff.h"
#include "google/protobuf/util/message_differencer.h"

namespace imp::activity {
namespace {

using v1::Activity;

constexpr int kMaxListedErrors = 10000;

// Fields a client sets (everything but the output-only ones), for the audit's changed_fields.
std::vector<std::string> ChangedFields(Activity before, Activity after) {
  for (Activity* a : {&before, &after}) {
    std::sort(a->mutable_partner_institutions()->begin(), a->mutable_partner_institutions()->end());
  }
  std::vector<std::string> changed;
  const auto* descriptor = Activity::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    const std::string& name = field->name();
    if (name == "name" || name == "kind" || name == "create_time" || name == "update_time" ||
        name == "delete_time" || name == "etag") {
      continue;
    }
    google::protobuf::util::MessageDifferencer differ;
    for (int j = 0; j < descriptor->field_count(); ++j) {
      if (j != i) differ.IgnoreField(descriptor->field(j));
    }
    if (!differ.Compare(before, after)) changed.push_back(name);
  }
  return changed;
}

db::ChangeRecord Change(const RequestContext& ctx, const Activity& snapshot, int64_t revision,
                        const char* action, std::vector<std::string> fields, absl::Time now) {
  db::ChangeRecord change;
  change.resource_name = snapshot.name();
  change.revision = revision;
  change.actor = ctx.actor;
  change.action = action;
  change.changed_fields = std::move(fields);
  db::SetSnapshot(snapshot, nullptr, &change);  // a keyframe: no check of the entry before
  change.change_time = now;
  return change;
}

// The activity as it will be stored: an unset end date is the start date.
Activity AsStored(const Activity& a) {
  Activity stored = a;
  if (!api::IsSet(stored.end_date())) *stored.mutable_end_date() = stored.start_date();
  stored.set_kind(KindOf(stored));
  return stored;
}

// What becomes of one row.
struct Outcome {
  enum Kind { kCreate, kUpdate, kUnchanged, kFailed } kind = kCreate;
  const store::ActivityRow* stored = nullptr;  // kUpdate, kUnchanged
};

}  // namespace

void AddRowError(v1::ImportActivitiesResponse* out, int64_t row_number,
                 const absl::Status& status) {
  out->set_rows_failed(out->rows_failed() + 1);
  if (out->errors_size() >= kMaxListedErrors) return;
  auto* e = out->add_errors();
  e->set_row_number(row_number);
  const std::string message(status.message());
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) {
    e->set_reason(message);
  } else {
    e->set_field(message.substr(0, colon));
    e->set_reason(message.substr(colon + 2));
  }
}

bool ApplyRows(db::Connection& c, const RequestContext& ctx, const std::vector<PendingRow>& rows,
               bool all_or_nothing, rollups::Deltas* deltas, v1::ImportActivitiesResponse* out) {
  // 1. What is stored under the rows' external references, one query per host.
  std::map<std::string, std::vector<std::string>> keys_by_host;
  for (const auto& r : rows) {
    const Activity& a = r.row->activity();
    if (!a.external_reference().empty())
      keys_by_host[store::IdOf(a.host_institution())].push_back(a.external_reference());
  }
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, store::ActivityRow>> stored;
  for (const auto& [host, keys] : keys_by_host)
    stored[host] = store::FindByExternalReferences(c, host, keys);

  // 2. Decide each row's outcome; ids taken by earlier imports or creates are row errors.
  std::vector<Outcome> outcomes(rows.size());
  std::vector<std::string> new_ids;
  std::vector<std::pair<int64_t, absl::Status>> errors;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Activity& a = rows[i].row->activity();
    const v1::ImportRow& row = *rows[i].row;
    if (!a.external_reference().empty()) {
      auto& by_key = stored[store::IdOf(a.host_institution())];
      auto it = by_key.find(a.external_reference());
      if (it != by_key.end()) {
        const store::ActivityRow& existing = it->second;
        absl::Status problem;
        if (existing.deleted) {
          problem = absl::FailedPreconditionError(
              absl::StrCat("activity.external_reference: belongs to ", existing.activity.name(),
                           ", which is deleted; undelete it or use another reference"));
        } else if (!row.activity_id().empty() &&
                   store::ActivityName(row.activity_id()) != existing.activity.name()) {
          problem = absl::InvalidArgumentError(absl::StrCat(
              "activity_id: the row's external_reference belongs to ", existing.activity.name()));
        }
        if (!problem.ok()) {
          outcomes[i].kind = Outcome::kFailed;
          errors.emplace_back(row.row_number(), problem);
          continue;
        }
        outcomes[i].stored = &existing;
        outcomes[i].kind = store::SameContent(existing, a) ? Outcome::kUnchanged : Outcome::kUpdate;
        continue;
      }
    }
    new_ids.push_back(rows[i].id);
  }
  const auto taken = store::PksOf(c, new_ids);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (outcomes[i].kind == Outcome::kCreate && taken.contains(rows[i].id)) {
      outcomes[i].kind = Outcome::kFailed;
      errors.emplace_back(
          rows[i].row->row_number(),
          absl::AlreadyExistsError(
              absl::StrCat("activity_id: ", store::ActivityName(rows[i].id), " already exists")));
    }
  }
  std::sort(errors.begin(), errors.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [row_number, status] : errors) AddRowError(out, row_number, status);
  if (all_or_nothing && !errors.empty()) return true;

  // 3. Write: creates in multi-row statements, updates one by one, each with its audit entry.
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  std::vector<std::string> create_ids;
  std::vector<const Activity*> create_rows;
  std::vector<db::ChangeRecord> changes;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Activity& a = rows[i].row->activity();
    switch (outcomes[i].kind) {
      case Outcome::kFailed: continue;
      case Outcome::kUnchanged:
        out->add_activity_names(outcomes[i].stored->activity.name());
        out->set_rows_unchanged(out->rows_unchanged() + 1);
        continue;
      case Outcome::kUpdate: {
        const store::ActivityRow& existing = *outcomes[i].stored;
        Activity updated = AsStored(a);
        updated.set_name(existing.activity.name());
        *updated.mutable_create_time() = existing.activity.create_time();
        *updated.mutable_update_time() = api::ToTimestamp(now);
        updated.set_etag(absl::StrCat("r", existing.revision + 1));
        store::UpdateActivity(c, existing.pk, updated, now);
        deltas->Add(existing.activity, -1);  // never deleted: see the outcome above
        deltas->Add(updated, +1);
        changes.push_back(Change(ctx, updated, existing.revision + 1, "UPDATE",
                                 ChangedFields(existing.activity, updated), now));
        out->add_activity_names(updated.name());
        out->set_rows_updated(out->rows_updated() + 1);
        continue;
      }
      case Outcome::kCreate: {
        create_ids.push_back(rows[i].id);
        create_rows.push_back(&a);
        Activity created = AsStored(a);
        created.set_name(store::ActivityName(rows[i].id));
        deltas->Add(created, +1);
        changes.push_back(Change(ctx, created, 1, "CREATE", {}, now));
        out->add_activity_names(created.name());
        out->set_rows_created(out->rows_created() + 1);
        continue;
      }
    }
  }
  store::InsertActivities(c, create_ids, create_rows, now);
  db::RecordChanges(c, changes);
  out->set_rows_imported(out->rows_created() + out->rows_updated() + out->rows_unchanged());
  return false;
}

}  // namespace imp::activity
