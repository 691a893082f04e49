// Registry: the project methods. Every write of a project goes through WriteProjectChange (or the
// kit's SetDeleted), so that what each write records happens in one place.
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/api/etag.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "common/db/resource_kit.h"
#include "registry-service/src/project_store.h"
#include "registry-service/src/project_validation.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/registry_common.h"
#include "registry-service/src/registry_filter.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/store.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Project;

// What ListProjects reads; its page tokens are bound to "registry.projects".
constexpr db::ListSpec kProjectsList{"registry.projects",       stmt::kProjectColumns,
                                     stmt::kProjectColumnCount, stmt::kListProjectsFrom,
                                     stmt::kProjectsNotDeleted, "p.pk"};

absl::StatusOr<db::ListOrder> ProjectOrder(absl::string_view order_by) {
  const std::string o(absl::StripAsciiWhitespace(order_by));
  if (o.empty()) return db::ListOrder{nullptr, false};
  static constexpr std::pair<const char*, const char*> kOrders[] = {
      {"title", stmt::kOrderProjectsByTitle},
      {"status", stmt::kOrderProjectsByStatus},
      {"create_time", stmt::kOrderProjectsByCreateTime}};
  for (const auto& [field, column] : kOrders) {
    if (o == field) return db::ListOrder{column, false};
    if (o == absl::StrCat(field, " desc")) return db::ListOrder{column, true};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("order_by: ", api::QuoteForMessage(o),
                   " is not supported; use title, status or create_time, optionally followed by "
                   "' desc'"));
}

absl::flat_hash_set<std::string> AreaCodes(db::Connection& c) {
  absl::flat_hash_set<std::string> codes;
  for (const auto& [code, name] : store::CooperationAreas(c)) codes.insert(code);
  return codes;
}

// Validates `p` as it will be stored, locks what it references and writes it over `before` (the
// row as stored, locked; nullptr: a new project `id`), recording `action` on `fields`: the one
// write path of a project's content.
absl::Status WriteProjectChange(db::Connection& c, const RequestContext& ctx,
                                const store::ProjectRow* before, const std::string& id,
                                const Project& p, absl::string_view action,
                                const std::vector<std::string>& fields, Project* out) {
  absl::Status valid = ValidateProject(p, AreaCodes(c), TodayUtc());
  if (!valid.ok()) return valid;
  auto links = store::LockProjectReferences(c, p);
  if (!links.ok()) return links.status();
  const absl::Time now = db::NowMicros();
  store::WriteProject(c, before != nullptr ? before->pk : 0, id, p, *links, now);
  return db::RecordWrite(c, ctx, Projects(), before, id, action, fields, now, out);
}

}  // namespace

const std::vector<std::string>& UpdatableProjectFields() {
  static const auto* const fields = new std::vector<std::string>{
      "title",       "local_title",  "description",  "local_description",
      "agreements",  "participants", "status",       "planned_start",
      "planned_end", "actual_start", "actual_end",   "cooperation_areas",
      "locations",   "budget",       "transactions", "deliverables",
      "notes"};
  return *fields;
}

absl::Status Registry::GetProject(const RequestContext& ctx, const v1::GetProjectRequest& req,
                                  Project* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::GetResource(*db_, ctx, Projects(), req.name(), out);
}

absl::Status Registry::ListProjects(const RequestContext& ctx, const v1::ListProjectsRequest& req,
                                    v1::ListProjectsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto order = ProjectOrder(req.order_by());
  if (!order.ok()) return order.status();
  return db::ListResources(
      *db_, ctx, kProjectsList, req, *order, AppendProjectFilter, store::ReadProject,
      db::NoPageLoad(),
      [](db::Connection&, store::ProjectRow& row) -> const Project& { return row.project; },
      [&](store::ProjectRow& row) { *out->add_projects() = std::move(row.project); },
      [&] { out->Clear(); }, out->mutable_next_page_token());
}

absl::Status Registry::CreateProject(const RequestContext& ctx, const v1::CreateProjectRequest& req,
                                     Project* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  absl::Status request_id_ok = api::ValidateRequestId(req.request_id());
  if (!request_id_ok.ok()) return request_id_ok;
  auto new_id = api::NewResourceId(req.project_id(), "project_id");
  if (!new_id.ok()) return new_id.status();
  const std::string id = *new_id;
  if (!req.has_project()) return absl::InvalidArgumentError("project: is required");
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto replayed = db::ClaimOrReplayCreate(c, ctx, Projects(), kCreateProjectMethod, req,
                                            req.request_id(), id, out);
    if (!replayed.ok() || *replayed) return replayed.status();
    absl::Status fresh = db::RequireNewId(c, Projects(), id, "project_id");
    if (!fresh.ok()) return fresh;
    return WriteProjectChange(c, ctx, nullptr, id, req.project(), "CREATE",
                              UpdatableProjectFields(), out);
  });
}

absl::Status Registry::UpdateProject(const RequestContext& ctx, const v1::UpdateProjectRequest& req,
                                     Project* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.project().name(), "projects", "project.name");
  if (!id.ok()) return id.status();
  auto paths = api::ResolveUpdateMask(req.update_mask(), req.project(), UpdatableProjectFields());
  if (!paths.ok()) return paths.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindProject(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.project().name(), " not found"));
    if (row->deleted) {
      return absl::FailedPreconditionError(
          absl::StrCat(req.project().name(), " is deleted; undelete it before updating"));
    }
    absl::Status etag =
        api::CheckEtag(req.project().etag(), row->project.etag(), req.project().name());
    if (!etag.ok()) return etag;
    Project merged = row->project;
    api::ApplyUpdateMask(*paths, req.project(), &merged);
    return WriteProjectChange(c, ctx, &*row, *id, merged, "UPDATE", *paths, out);
  });
}

absl::Status Registry::DeleteProject(const RequestContext& ctx, const v1::DeleteProjectRequest& req,
                                     Project* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::SetDeleted<store::ProjectRow>(*db_, ctx, Projects(), req.name(), req.etag(), true, {},
                                           out);
}

absl::Status Registry::UndeleteProject(const RequestContext& ctx,
                                       const v1::UndeleteProjectRequest& req, Project* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  // A restored project must not point at institutions or agreements deleted meanwhile.
  return db::SetDeleted<store::ProjectRow>(
      *db_, ctx, Projects(), req.name(), req.etag(), false,
      [](db::Connection& c, const store::ProjectRow& row) {
        return store::LockProjectReferences(c, row.project).status();
      },
      out);
}

absl::Status Registry::BatchGetProjects(const RequestContext& ctx,
                                        const v1::BatchGetProjectsRequest& req,
                                        v1::BatchGetProjectsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::BatchGetResources(*db_, ctx, Projects(), req.names(), out->mutable_projects());
}

}  // namespace imp::registry
