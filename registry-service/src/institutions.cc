// Registry: the institution methods.
#include <cppconn/resultset.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/errors.h"
#include "common/api/etag.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "common/db/resource_kit.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/registry_common.h"
#include "registry-service/src/registry_filter.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/store.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Institution;

// What ListInstitutions reads; its page tokens are bound to "registry.institutions". A page is
// one statement: no transaction needed for a consistent page.
constexpr db::ListSpec kInstitutionsList{"registry.institutions",       stmt::kInstitutionColumns,
                                         stmt::kInstitutionColumnCount, stmt::kListInstitutionsFrom,
                                         stmt::kInstitutionsNotDeleted, "i.pk",
                                         /*read_in_transaction=*/false};

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
  return db::GetResource(*db_, ctx, Institutions(), req.name(), out);
}

absl::Status Registry::ListInstitutions(const RequestContext& ctx,
                                        const v1::ListInstitutionsRequest& req,
                                        v1::ListInstitutionsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto order = InstitutionOrder(req.order_by());
  if (!order.ok()) return order.status();
  return db::ListResources(
      *db_, ctx, kInstitutionsList, req, *order, AppendInstitutionFilter, store::ReadInstitution,
      db::NoPageLoad(),
      [](db::Connection&, store::InstitutionRow& row) -> const Institution& {
        return row.institution;
      },
      [&](store::InstitutionRow& row) { *out->add_institutions() = std::move(row.institution); },
      [&] { out->Clear(); }, out->mutable_next_page_token());
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

  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto replayed = db::ClaimOrReplayCreate(c, ctx, Institutions(), kCreateInstitutionMethod, req,
                                            req.request_id(), id, out);
    if (!replayed.ok() || *replayed) return replayed.status();
    if (auto dup =
            store::FindInstitutionIdByKey(c, in.country(), NormalizeName(in.display_name()))) {
      return api::ResourceExists(
          api::ResourceType<Institution>(), store::InstitutionName(*dup), "institution",
          absl::StrCat(api::QuoteForMessage(in.display_name()), " in ", in.country(),
                       " already exists as ", store::InstitutionName(*dup)));
    }
    absl::Status fresh = db::RequireNewId(c, Institutions(), id, "institution_id");
    if (!fresh.ok()) return fresh;
    const absl::Time now = db::NowMicros();
    store::InsertInstitution(c, id, in, now);
    return db::RecordWrite(c, ctx, Institutions(), nullptr, id, "CREATE",
                           UpdatableInstitutionFields(), now, out);
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
        api::CheckEtag(req.institution().etag(), row->institution.etag(), req.institution().name());
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
    const absl::Time now = db::NowMicros();
    store::UpdateInstitution(c, row->pk, merged, now);
    return db::RecordWrite(c, ctx, Institutions(), &*row, *id, "UPDATE", *paths, now, out);
  });
}

absl::Status Registry::DeleteInstitution(const RequestContext& ctx,
                                         const v1::DeleteInstitutionRequest& req,
                                         Institution* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::SetDeleted<store::InstitutionRow>(
      *db_, ctx, Institutions(), req.name(), req.etag(), true,
      [&](db::Connection& c, const store::InstitutionRow& row) -> absl::Status {
        std::vector<std::string> binding = store::BindingAgreementIds(c, row.pk);
        if (binding.empty()) return absl::OkStatus();
        for (auto& a : binding) a = store::AgreementName(a);
        return absl::FailedPreconditionError(
            absl::StrCat(req.name(), " is a party to ACTIVE or SUSPENDED agreements (",
                         absl::StrJoin(binding, ", "), "); expire or terminate them first"));
      },
      out);
}

absl::Status Registry::UndeleteInstitution(const RequestContext& ctx,
                                           const v1::UndeleteInstitutionRequest& req,
                                           Institution* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::SetDeleted<store::InstitutionRow>(*db_, ctx, Institutions(), req.name(), req.etag(),
                                               false, {}, out);
}

absl::Status Registry::BatchGetInstitutions(const RequestContext& ctx,
                                            const v1::BatchGetInstitutionsRequest& req,
                                            v1::BatchGetInstitutionsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::BatchGetResources(*db_, ctx, Institutions(), req.names(), out->mutable_institutions());
}

}  // namespace imp::registry
