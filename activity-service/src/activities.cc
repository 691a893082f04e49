// Activities: the single-resource methods, reference checks and the audit trail.
#include "activity-service/src/activities.h"

#include <cppconn/resultset.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "activity-service/src/activity_filter.h"
#include "activity-service/src/rollups.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/store.h"
#include "activity-service/src/validation.h"
#include "common/api/errors.h"
#include "common/api/etag.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "common/db/resource_kit.h"

namespace imp::activity {
namespace {

using v1::Activity;

// What page tokens of ListChanges are bound to (with the request's query).
constexpr char kChangesCollection[] = "activity.changes";

constexpr char kCreateMethod[] = "CreateActivity";

// A deleted activity counts nowhere: delete and undelete move it out of or into the statistics'
// rollups in their own transaction.
void RollupSetDeleted(db::Connection& c, const store::ActivityRow& before, bool deleted) {
  rollups::Deltas deltas;
  deltas.Add(before.activity, deleted ? -1 : +1);
  deltas.Apply(c);
}

const db::ResourceTable<store::ActivityRow, Activity>& ActivityTable() {
  // An activity is its row and its partners: read them in one transaction.
  static const db::ResourceTable<store::ActivityRow, Activity> table{
      "activities",
      &store::ActivityRow::activity,
      &store::FindActivity,
      &store::SetActivityDeleteTime,
      /*read_in_transaction=*/true,
      /*after_write=*/nullptr,
      /*find_many=*/nullptr,
      /*on_set_deleted=*/&RollupSetDeleted};
  return table;
}

// What ListActivities reads; its page tokens are bound to "activity.activities".
constexpr db::ListSpec kActivitiesList{"activity.activities",       stmt::kActivityColumns,
                                       stmt::kActivityColumnCount,  stmt::kFromActivities,
                                       stmt::kActivitiesNotDeleted, "a.pk"};

// ALREADY_EXISTS naming the other activity when `a`'s external reference is taken, for its host,
// by an activity other than `id`.
absl::Status ExternalReferenceFree(db::Connection& c, const Activity& a, const std::string& id) {
  if (a.external_reference().empty()) return absl::OkStatus();
  auto other = store::FindIdByExternalReference(c, store::IdOf(a.host_institution()),
                                                a.external_reference());
  if (!other || *other == id) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat("activity.external_reference: already used by ",
                                               store::ActivityName(*other), " for host ",
                                               a.host_institution()));
}

const char* StateWord(ReferenceState s) {
  switch (s) {
    case ReferenceState::kUnknown: return "does not exist";
    case ReferenceState::kDeleted: return "is deleted";
    case ReferenceState::kNotActive:
      return "is not ACTIVE; activities are recorded only under ACTIVE agreements";
    case ReferenceState::kOk: return "ok";
  }
  return "is invalid";
}

}  // namespace

void CollectReferences(const Activity& a, References& references) {
  for (const Involvement& inv : InvolvedInstitutions(a))
    references.institutions.insert(inv.institution);
  if (!a.agreement().empty()) references.agreements.insert(a.agreement());
  if (!a.cooperation_area().empty()) references.cooperation_areas.insert(a.cooperation_area());
}

absl::Status ReferenceProblem(const Activity& a, const ReferenceFacts& facts) {
  auto check = [](const absl::flat_hash_map<std::string, ReferenceState>& known,
                  const std::string& name, const std::string& field) -> absl::Status {
    auto it = known.find(name);
    const ReferenceState state = it == known.end() ? ReferenceState::kUnknown : it->second;
    if (state == ReferenceState::kOk) return absl::OkStatus();
    return api::InvalidReference(field, name, StateWord(state));
  };
  absl::Status s = check(facts.institutions, a.host_institution(), "activity.host_institution");
  if (!s.ok()) return s;
  for (int i = 0; i < a.partner_institutions_size(); ++i) {
    s = check(facts.institutions, a.partner_institutions(i),
              absl::StrCat("activity.partner_institutions[", i, "]"));
    if (!s.ok()) return s;
  }
  const google::protobuf::RepeatedPtrField<v1::ParticipantGroup>* groups = nullptr;
  std::string prefix;
  if (a.has_training()) {
    groups = &a.training().participant_groups();
    prefix = "activity.training.participant_groups";
  } else if (a.has_event()) {
    groups = &a.event().participant_groups();
    prefix = "activity.event.participant_groups";
  }
  for (int i = 0; groups != nullptr && i < groups->size(); ++i) {
    s = check(facts.institutions, (*groups)[i].institution(),
              absl::StrCat(prefix, "[", i, "].institution"));
    if (!s.ok()) return s;
  }
  if (!a.agreement().empty()) {
    s = check(facts.agreements, a.agreement(), "activity.agreement");
    if (!s.ok()) return s;
  }
  if (!a.cooperation_area().empty()) {
    auto it = facts.cooperation_areas.find(a.cooperation_area());
    if (it == facts.cooperation_areas.end() || it->second != ReferenceState::kOk) {
      return absl::InvalidArgumentError(absl::StrCat(
          "activity.cooperation_area: ", api::QuoteForMessage(a.cooperation_area()),
          " is not in the registry's cooperation-area codelist (ListCooperationAreas)"));
    }
  }
  return absl::OkStatus();
}

absl::Status Activities::CheckReferences(const Activity& a, absl::Time deadline) {
  References references;
  CollectReferences(a, references);
  auto facts = references_->Lookup(references, deadline);
  if (!facts.ok()) return facts.status();
  return ReferenceProblem(a, *facts);
}

absl::Status Activities::GetActivity(const RequestContext& ctx, const v1::GetActivityRequest& req,
                                     Activity* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::GetResource(*db_, ctx, ActivityTable(), req.name(), out);
}

absl::Status Activities::ListActivities(const RequestContext& ctx,
                                        const v1::ListActivitiesRequest& req,
                                        v1::ListActivitiesResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  db::ListOrder order{stmt::kActivitiesByStartDate, false};
  if (req.order_by() == "start_date desc") {
    order.descending = true;
  } else if (!req.order_by().empty() && req.order_by() != "start_date") {
    return absl::InvalidArgumentError(
        absl::StrCat("order_by: ", api::QuoteForMessage(req.order_by()),
                     " is not supported; use start_date or start_date desc"));
  }
  return db::ListResources(
      *db_, ctx, kActivitiesList, req, order, AppendActivityFilter, store::ReadActivity,
      // One statement for the page's partners, not one per row.
      [](db::Connection& c, const std::vector<store::ActivityRow*>& rows) {
        store::LoadPartnersOf(c, rows);
      },
      [](db::Connection&, store::ActivityRow& row) -> const Activity& { return row.activity; },
      [&](store::ActivityRow& row) { *out->add_activities() = std::move(row.activity); },
      [&] { out->Clear(); }, out->mutable_next_page_token());
}

absl::Status Activities::CreateActivity(const RequestContext& ctx,
                                        const v1::CreateActivityRequest& req, Activity* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  absl::Status request_id_ok = api::ValidateRequestId(req.request_id());
  if (!request_id_ok.ok()) return request_id_ok;
  auto new_id = api::NewResourceId(req.activity_id(), "activity_id");
  if (!new_id.ok()) return new_id.status();
  const std::string id = *new_id;
  if (!req.has_activity()) return absl::InvalidArgumentError("activity: is required");
  const Activity& a = req.activity();
  absl::Status valid = ValidateActivity(a);
  if (!valid.ok()) return valid;
  const db::RequestIdentity identity = db::RequestIdentity::Of(req, ctx.actor);
  // A retry after success must not fail on references that changed since: look first.
  if (!req.request_id().empty()) {
    bool replayed = false;
    // Usually one statement that finds nothing: no transaction. A replay reads the activity as
    // it is now, like a GetActivity would.
    absl::Status s = db_->Read(ctx.deadline, [&](db::Connection& c) -> absl::Status {
      auto found = db::Replay(c, kCreateMethod, req.request_id(), identity,
                              [&](const std::string& earlier) -> absl::Status {
                                auto row = store::FindActivity(c, store::IdOf(earlier), false);
                                if (row) {
                                  *out = row->activity;
                                  replayed = true;
                                }
                                return absl::OkStatus();
                              });
      if (!found.ok()) return found.status();
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    if (replayed) return absl::OkStatus();
  }
  absl::Status refs = CheckReferences(a, ctx.deadline);
  if (!refs.ok()) return refs;
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto replayed = db::ClaimOrReplayCreate(c, ctx, ActivityTable(), kCreateMethod, req,
                                            req.request_id(), id, out);
    if (!replayed.ok() || *replayed) return replayed.status();
    // The pk alone, not the whole activity with its partners.
    if (!store::PksOf(c, {id}).empty()) {
      return api::ResourceExists(api::ResourceType<Activity>(), store::ActivityName(id),
                                 "activity_id");
    }
    absl::Status key_free = ExternalReferenceFree(c, a, id);
    if (!key_free.ok()) return key_free;
    const absl::Time now = db::NowMicros();
    store::InsertActivity(c, id, a, now);
    // The insert's input is the answer: no re-read (AsInserted is what a read would return).
    const store::ActivityRow row = store::AsInserted(id, a, now);
    rollups::Deltas deltas;  // in this transaction: the statistics change with the data
    deltas.Add(row.activity, +1);
    deltas.Apply(c);
    return db::RecordWritten(c, ctx, ActivityTable(), nullptr, row, "CREATE",
                             UpdatableActivityFields(), now, out);
  });
}

absl::Status Activities::UpdateActivity(const RequestContext& ctx,
                                        const v1::UpdateActivityRequest& req, Activity* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.activity().name(), "activities", "activity.name");
  if (!id.ok()) return id.status();
  auto paths = api::ResolveUpdateMask(req.update_mask(), req.activity(), UpdatableActivityFields());
  if (!paths.ok()) return paths.status();
  // Read, merge and check references outside the write transaction (the registry call must not
  // hold row locks); the write then re-checks the etag so nothing changed in between.
  store::ActivityRow current;
  absl::Status read = db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindActivity(c, *id, false);
    if (!row) return absl::NotFoundError(absl::StrCat(req.activity().name(), " not found"));
    current = std::move(*row);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (current.deleted) {
    return absl::FailedPreconditionError(
        absl::StrCat(req.activity().name(), " is deleted; undelete it before updating"));
  }
  absl::Status etag =
      api::CheckEtag(req.activity().etag(), current.activity.etag(), req.activity().name());
  if (!etag.ok()) return etag;
  const Activity merged = MergeUpdate(current.activity, req.activity(), *paths);
  absl::Status valid = ValidateActivity(merged);
  if (!valid.ok()) return valid;
  absl::Status refs = CheckReferences(merged, ctx.deadline);
  if (!refs.ok()) return refs;
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindActivity(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.activity().name(), " not found"));
    if (row->revision != current.revision) return api::ChangedMeanwhile(req.activity().name());
    absl::Status key_free = ExternalReferenceFree(c, merged, *id);
    if (!key_free.ok()) return key_free;
    const absl::Time now = db::NowMicros();
    store::UpdateActivity(c, row->pk, merged, now);
    auto updated = store::FindActivity(c, *id, false);
    if (!updated) return absl::InternalError(absl::StrCat(req.activity().name(), " vanished"));
    // The activity as it was (read under its row lock) leaves the statistics, as it is now
    // enters them; what did not move cancels out.
    rollups::Deltas deltas;
    if (!row->deleted) deltas.Add(row->activity, -1);
    if (!updated->deleted) deltas.Add(updated->activity, +1);
    deltas.Apply(c);
    return db::RecordWritten(c, ctx, ActivityTable(), &*row, *updated, "UPDATE", *paths, now, out);
  });
}

absl::Status Activities::DeleteActivity(const RequestContext& ctx,
                                        const v1::DeleteActivityRequest& req, Activity* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::SetDeleted<store::ActivityRow>(*db_, ctx, ActivityTable(), req.name(), req.etag(),
                                            true, {}, out);
}

absl::Status Activities::UndeleteActivity(const RequestContext& ctx,
                                          const v1::UndeleteActivityRequest& req, Activity* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::SetDeleted<store::ActivityRow>(*db_, ctx, ActivityTable(), req.name(), req.etag(),
                                            false, {}, out);
}

absl::Status Activities::BatchGetActivities(const RequestContext& ctx,
                                            const v1::BatchGetActivitiesRequest& req,
                                            v1::BatchGetActivitiesResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::BatchGetResources(*db_, ctx, ActivityTable(), req.names(), out->mutable_activities());
}

absl::Status Activities::ListChanges(const RequestContext& ctx, const v1::ListChangesRequest& req,
                                     v1::ListChangesResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.name(), "activities", "name");
  if (!id.ok()) return id.status();
  return db::ListResourceChanges(
      *db_, ctx, kChangesCollection, req.name(), req.page_size(), req.page_token(),
      [&](db::Connection& c) { return store::FindActivity(c, *id, false).has_value(); },
      [](v1::Change* change) { return change->mutable_activity(); }, out);
}

}  // namespace imp::activity
