// Registry: the institution methods.
#include <cppconn/resultset.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/errors.h"
#include "common/api/filter.h"
#include "common/api/page_budget.h"
#include "common/api/page_token.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "common/db/keyset.h"
#include "common/db/query.h"
#include "common/db/request_ids.h"
#include "common/db/sql_time.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/registry_common.h"
#include "registry-service/src/registry_filter.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/store.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Institution;

// What page tokens of ListInstitutions are bound to (with the request's query).
constexpr char kInstitutionsCollection[] = "registry.institutions";

absl::StatusOr<db::ListOrder> InstitutionOrder(absl::string_view order_by) {
  const std::string o(absl::StripAsciiWhitespace(order_by));
  if (o.empty()) return db::ListOrder{nullptr, false};
  if (o == "display_name") return db::ListOrder{"i.display_name", false};
  if (o == "display_name desc") return db::ListOrder{"i.display_name", true};
  if (o == "country") return db::ListOrder{"i.country", false};
  if (o == "country desc") return db::ListOrder{"i.country", true};
  if (o == "create_time") return db::ListOrder{"i.create_time", false};
  if (o == "create_time desc") return db::ListOrder{"i.create_time", true};
  return absl::InvalidArgumentError(
      absl::StrCat("order_by: ", api::QuoteForMessage(o),
                   " is not supported; use display_name, country or create_time, "
                   "optionally followed by ' desc'"));
}

}  // namespace

absl::Status Registry::GetInstitution(const RequestContext& ctx,
                                      const v1::GetInstitutionRequest& req, Institution* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.name(), "institutions", "name");
  if (!id.ok()) return id.status();
  return db_->Read(ctx.deadline, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindInstitution(c, *id, false);
    if (!row) return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
    *out = row->institution;
    return absl::OkStatus();
  });
}

absl::Status Registry::ListInstitutions(const RequestContext& ctx,
                                        const v1::ListInstitutionsRequest& req,
                                        v1::ListInstitutionsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto order = InstitutionOrder(req.order_by());
  if (!order.ok()) return order.status();
  db::Query query(absl::StrCat("SELECT ", stmt::kInstitutionColumns,
                               order->column ? absl::StrCat(", ", order->column) : ", ''",
                               stmt::kListInstitutionsFrom));
  if (!req.show_deleted()) query.Sql(" AND i.delete_time IS NULL");
  absl::Status filtered = AppendInstitutionFilter(req.filter(), query);
  if (!filtered.ok()) return filtered;
  auto page =
      db::StartPage(req.page_size(), req.page_token(), kInstitutionsCollection,
                    api::PageQuery({req.filter(), req.order_by(), req.show_deleted() ? "1" : "0"}));
  if (!page.ok()) return page.status();
  db::FinishListQuery(query, *order, "i.pk", *page);

  // One statement: no transaction needed for a consistent page.
  return db_->Read(ctx.deadline, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    auto rows = api::ReadKeysetRows(*query.Execute(c), *page, 16, store::ReadInstitution);
    api::FillPage(
        rows, *page, out->mutable_next_page_token(),
        [](store::InstitutionRow& row) -> const Institution& { return row.institution; },
        [&](store::InstitutionRow& row) { *out->add_institutions() = std::move(row.institution); });
    return absl::OkStatus();
  });
}

absl::Status Registry::CreateInstitution(const RequestContext& ctx,
                                         const v1::CreateInstitutionRequest& req,
                                         Institution* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  absl::Status request_id_ok = api::ValidateRequestId(req.request_id());
  if (!request_id_ok.ok()) return request_id_ok;
  auto new_id = api::NewResourceId(req.institution_id(), "institution_id");
  if (!new_id.ok()) return new_id.status();
  const std::string id = *new_id;
  if (!req.has_institution()) return absl::InvalidArgumentError("institution: is required");
  Institution in = req.institution();
  absl::Status valid = ValidateInstitution(in);
  if (!valid.ok()) return valid;
  const std::string name = store::InstitutionName(id);

  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    if (!req.request_id().empty()) {
      auto earlier = db::ClaimRequestId(c, kCreateInstitutionMethod, req.request_id(), name,
                                        db::RequestIdentity::Of(req, ctx.actor));
      if (!earlier.ok()) return earlier.status();
      if (*earlier) {
        auto row = store::FindInstitution(c, (*earlier)->substr((*earlier)->find('/') + 1), false);
        if (!row) return absl::InternalError("request_id refers to a missing institution");
        *out = row->institution;
        return absl::OkStatus();
      }
    }
    if (auto dup =
            store::FindInstitutionIdByKey(c, in.country(), NormalizeName(in.display_name()))) {
      return api::ResourceExists(
          api::ResourceType<Institution>(), store::InstitutionName(*dup), "institution",
          absl::StrCat(api::QuoteForMessage(in.display_name()), " in ", in.country(),
                       " already exists as ", store::InstitutionName(*dup)));
    }
    if (store::FindInstitution(c, id, false)) {
      return api::ResourceExists(api::ResourceType<Institution>(), name, "institution_id");
    }
    const absl::Time now = NowMicros();
    store::InsertInstitution(c, id, in, now);
    auto row = store::FindInstitution(c, id, false);
    Audit(c, ctx, name, row->revision, "CREATE", UpdatableInstitutionFields(), row->institution,
          now);
    *out = row->institution;
    return absl::OkStatus();
  });
}

absl::Status Registry::UpdateInstitution(const RequestContext& ctx,
                                         const v1::UpdateInstitutionRequest& req,
                                         Institution* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.institution().name(), "institutions", "institution.name");
  if (!id.ok()) return id.status();
  auto paths =
      api::ResolveUpdateMask(req.update_mask(), req.institution(), UpdatableInstitutionFields());
  if (!paths.ok()) return paths.status();

  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindInstitution(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.institution().name(), " not found"));
    if (row->deleted) {
      return absl::FailedPreconditionError(
          absl::StrCat(req.institution().name(), " is deleted; undelete it before updating"));
    }
    absl::Status etag =
        CheckEtag(req.institution().etag(), row->institution.etag(), req.institution().name());
    if (!etag.ok()) return etag;
    Institution merged = row->institution;
    api::ApplyUpdateMask(*paths, req.institution(), &merged);
    absl::Status valid = ValidateInstitution(merged);
    if (!valid.ok()) return valid;
    if (auto dup = store::FindInstitutionIdByKey(c, merged.country(),
                                                 NormalizeName(merged.display_name()));
        dup && *dup != *id) {
      return api::ResourceExists(
          api::ResourceType<Institution>(), store::InstitutionName(*dup), "institution",
          absl::StrCat(api::QuoteForMessage(merged.display_name()), " in ", merged.country(),
                       " already exists as ", store::InstitutionName(*dup)));
    }
    const absl::Time now = NowMicros();
    store::UpdateInstitution(c, row->pk, merged, now);
    auto updated = store::FindInstitution(c, *id, false);
    Audit(c, ctx, updated->institution.name(), updated->revision, "UPDATE", *paths,
          updated->institution, now);
    *out = updated->institution;
    return absl::OkStatus();
  });
}

absl::Status Registry::DeleteInstitution(const RequestContext& ctx,
                                         const v1::DeleteInstitutionRequest& req,
                                         Institution* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.name(), "institutions", "name");
  if (!id.ok()) return id.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindInstitution(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
    if (row->deleted)
      return absl::FailedPreconditionError(absl::StrCat(req.name(), " is already deleted"));
    absl::Status etag = CheckEtag(req.etag(), row->institution.etag(), req.name());
    if (!etag.ok()) return etag;
    std::vector<std::string> binding = store::BindingAgreementIds(c, row->pk);
    if (!binding.empty()) {
      for (auto& a : binding) a = store::AgreementName(a);
      return absl::FailedPreconditionError(
          absl::StrCat(req.name(), " is a party to ACTIVE or SUSPENDED agreements (",
                       absl::StrJoin(binding, ", "), "); expire or terminate them first"));
    }
    const absl::Time now = NowMicros();
    store::SetInstitutionDeleteTime(c, row->pk, now, now);
    auto deleted = store::FindInstitution(c, *id, false);
    Audit(c, ctx, req.name(), deleted->revision, "DELETE", {}, deleted->institution, now);
    *out = deleted->institution;
    return absl::OkStatus();
  });
}

absl::Status Registry::UndeleteInstitution(const RequestContext& ctx,
                                           const v1::UndeleteInstitutionRequest& req,
                                           Institution* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.name(), "institutions", "name");
  if (!id.ok()) return id.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindInstitution(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
    if (!row->deleted)
      return absl::FailedPreconditionError(absl::StrCat(req.name(), " is not deleted"));
    absl::Status etag = CheckEtag(req.etag(), row->institution.etag(), req.name());
    if (!etag.ok()) return etag;
    const absl::Time now = NowMicros();
    store::SetInstitutionDeleteTime(c, row->pk, std::nullopt, now);
    auto restored = store::FindInstitution(c, *id, false);
    Audit(c, ctx, req.name(), restored->revision, "UNDELETE", {}, restored->institution, now);
    *out = restored->institution;
    return absl::OkStatus();
  });
}

absl::Status Registry::BatchGetInstitutions(const RequestContext& ctx,
                                            const v1::BatchGetInstitutionsRequest& req,
                                            v1::BatchGetInstitutionsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  if (req.names_size() > 1000) return absl::InvalidArgumentError("names: at most 1000 names");
  std::vector<std::string> ids;
  for (int i = 0; i < req.names_size(); ++i) {
    auto id = api::ParseResourceName(req.names(i), "institutions", absl::StrCat("names[", i, "]"));
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  return db_->Read(ctx.deadline, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    auto found = store::FindInstitutions(c, ids);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto row = found.find(ids[i]);
      if (row == found.end()) {
        return api::ResourceNotFound(api::ResourceType<Institution>(), req.names(i),
                                     absl::StrCat("names[", i, "]"));
      }
      // A name may be asked for twice: copy, don't move.
      *out->add_institutions() = row->second.institution;
    }
    return absl::OkStatus();
  });
}

}  // namespace imp::registry
