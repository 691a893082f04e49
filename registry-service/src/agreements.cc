// Registry: the agreement methods, the lifecycle, partners, the codelist and the audit trail.
#include <cppconn/resultset.h>
#include <google/protobuf/util/json_util.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api/changes_page.h"
#include "common/api/errors.h"
#include "common/api/filter.h"
#include "common/api/page_budget.h"
#include "common/api/page_token.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "common/db/changes.h"
#include "common/db/keyset.h"
#include "common/db/query.h"
#include "common/db/request_ids.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/registry_common.h"
#include "registry-service/src/registry_filter.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/store.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Agreement;

// What page tokens of each List method are bound to (with the request's query).
constexpr char kAgreementsCollection[] = "registry.agreements";
constexpr char kPartnersCollection[] = "registry.partners";
constexpr char kChangesCollection[] = "registry.changes";

absl::StatusOr<db::ListOrder> AgreementOrder(absl::string_view order_by) {
  const std::string o(absl::StripAsciiWhitespace(order_by));
  if (o.empty()) return db::ListOrder{nullptr, false};
  // NULL signing dates sort as the earliest possible date.
  if (o == "signed_on") return db::ListOrder{"IFNULL(a.signed_on, '0001-01-01')", false};
  if (o == "signed_on desc") return db::ListOrder{"IFNULL(a.signed_on, '0001-01-01')", true};
  if (o == "title") return db::ListOrder{"a.title", false};
  if (o == "title desc") return db::ListOrder{"a.title", true};
  if (o == "create_time") return db::ListOrder{"a.create_time", false};
  if (o == "create_time desc") return db::ListOrder{"a.create_time", true};
  return absl::InvalidArgumentError(
      absl::StrCat("order_by: ", api::QuoteForMessage(o),
                   " is not supported; use signed_on, title or create_time, optionally "
                   "followed by ' desc'"));
}

absl::flat_hash_set<std::string> AreaCodes(db::Connection& c) {
  absl::flat_hash_set<std::string> codes;
  for (const auto& [code, name] : store::CooperationAreas(c)) codes.insert(code);
  return codes;
}

}  // namespace

absl::Status Registry::GetAgreement(const RequestContext& ctx, const v1::GetAgreementRequest& req,
                                    Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.name(), "agreements", "name");
  if (!id.ok()) return id.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindAgreement(c, *id, false);
    if (!row) return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
    *out = row->agreement;
    return absl::OkStatus();
  });
}

absl::Status Registry::ListAgreements(const RequestContext& ctx,
                                      const v1::ListAgreementsRequest& req,
                                      v1::ListAgreementsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto order = AgreementOrder(req.order_by());
  if (!order.ok()) return order.status();
  db::Query query(absl::StrCat("SELECT ", stmt::kAgreementColumns,
                               order->column ? absl::StrCat(", ", order->column) : ", ''",
                               stmt::kListAgreementsFrom));
  if (!req.show_deleted()) query.Sql(" AND a.delete_time IS NULL");
  absl::Status filtered = AppendAgreementFilter(req.filter(), query);
  if (!filtered.ok()) return filtered;
  auto page =
      db::StartPage(req.page_size(), req.page_token(), kAgreementsCollection,
                    api::PageQuery({req.filter(), req.order_by(), req.show_deleted() ? "1" : "0"}));
  if (!page.ok()) return page.status();
  db::FinishListQuery(query, *order, "a.pk", *page);

  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    auto rows = api::ReadKeysetRows(*query.Execute(c), *page, 19, store::ReadAgreement);
    std::vector<store::AgreementRow*> page_rows;
    for (auto& row : rows.rows) page_rows.push_back(&row);
    store::LoadPartiesOf(c, page_rows);  // one statement for the page, not one per row
    api::FillPage(
        rows, *page, out->mutable_next_page_token(),
        [&](store::AgreementRow& row) -> const Agreement& { return row.agreement; },
        [&](store::AgreementRow& row) { *out->add_agreements() = std::move(row.agreement); });
    return absl::OkStatus();
  });
}

absl::Status Registry::CreateAgreement(const RequestContext& ctx,
                                       const v1::CreateAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  absl::Status request_id_ok = api::ValidateRequestId(req.request_id());
  if (!request_id_ok.ok()) return request_id_ok;
  auto new_id = api::NewResourceId(req.agreement_id(), "agreement_id");
  if (!new_id.ok()) return new_id.status();
  const std::string id = *new_id;
  if (!req.has_agreement()) return absl::InvalidArgumentError("agreement: is required");
  Agreement a = req.agreement();
  if (a.state() == Agreement::STATE_UNSPECIFIED) a.set_state(Agreement::STATE_PROPOSED);
  if (a.state() != Agreement::STATE_PROPOSED && a.state() != Agreement::STATE_ACTIVE) {
    return absl::InvalidArgumentError(
        "agreement.state: a new agreement is STATE_PROPOSED or STATE_ACTIVE; later states are "
        "reached through SuspendAgreement, ExpireAgreement and TerminateAgreement");
  }
  const std::string name = store::AgreementName(id);

  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    absl::Status valid = ValidateAgreement(a, AreaCodes(c));
    if (!valid.ok()) return valid;
    if (!req.request_id().empty()) {
      auto earlier = db::ClaimRequestId(c, kCreateAgreementMethod, req.request_id(), name,
                                        db::RequestIdentity::Of(req, ctx.actor));
      if (!earlier.ok()) return earlier.status();
      if (*earlier) {
        auto row = store::FindAgreement(c, (*earlier)->substr((*earlier)->find('/') + 1), false);
        if (!row) return absl::InternalError("request_id refers to a missing agreement");
        *out = row->agreement;
        return absl::OkStatus();
      }
    }
    if (store::FindAgreement(c, id, false)) {
      return api::ResourceExists(api::ResourceType<Agreement>(), name, "agreement_id");
    }
    auto party_pks = store::LockParties(c, a);
    if (!party_pks.ok()) return party_pks.status();
    const absl::Time now = NowMicros();
    const int64_t pk = store::InsertAgreement(c, id, a, now);
    store::ReplaceParties(c, pk, a, *party_pks);
    auto row = store::FindAgreement(c, id, false);
    Audit(c, ctx, name, row->revision, "CREATE", UpdatableAgreementFields(), row->agreement, now);
    *out = row->agreement;
    return absl::OkStatus();
  });
}

absl::Status Registry::UpdateAgreement(const RequestContext& ctx,
                                       const v1::UpdateAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.agreement().name(), "agreements", "agreement.name");
  if (!id.ok()) return id.status();
  auto paths =
      api::ResolveUpdateMask(req.update_mask(), req.agreement(), UpdatableAgreementFields());
  if (!paths.ok()) return paths.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindAgreement(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.agreement().name(), " not found"));
    if (row->deleted) {
      return absl::FailedPreconditionError(
          absl::StrCat(req.agreement().name(), " is deleted; undelete it before updating"));
    }
    absl::Status etag =
        CheckEtag(req.agreement().etag(), row->agreement.etag(), req.agreement().name());
    if (!etag.ok()) return etag;
    Agreement merged = row->agreement;
    api::ApplyUpdateMask(*paths, req.agreement(), &merged);
    absl::Status valid = ValidateAgreement(merged, AreaCodes(c));
    if (!valid.ok()) return valid;
    auto party_pks = store::LockParties(c, merged);
    if (!party_pks.ok()) return party_pks.status();
    const absl::Time now = NowMicros();
    store::UpdateAgreement(c, row->pk, merged, now);
    store::ReplaceParties(c, row->pk, merged, *party_pks);
    auto updated = store::FindAgreement(c, *id, false);
    Audit(c, ctx, updated->agreement.name(), updated->revision, "UPDATE", *paths,
          updated->agreement, now);
    *out = updated->agreement;
    return absl::OkStatus();
  });
}

absl::Status Registry::DeleteAgreement(const RequestContext& ctx,
                                       const v1::DeleteAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.name(), "agreements", "name");
  if (!id.ok()) return id.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindAgreement(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
    if (row->deleted)
      return absl::FailedPreconditionError(absl::StrCat(req.name(), " is already deleted"));
    absl::Status etag = CheckEtag(req.etag(), row->agreement.etag(), req.name());
    if (!etag.ok()) return etag;
    const absl::Time now = NowMicros();
    store::SetAgreementDeleteTime(c, row->pk, now, now);
    auto deleted = store::FindAgreement(c, *id, false);
    Audit(c, ctx, req.name(), deleted->revision, "DELETE", {}, deleted->agreement, now);
    *out = deleted->agreement;
    return absl::OkStatus();
  });
}

absl::Status Registry::UndeleteAgreement(const RequestContext& ctx,
                                         const v1::UndeleteAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.name(), "agreements", "name");
  if (!id.ok()) return id.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindAgreement(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
    if (!row->deleted)
      return absl::FailedPreconditionError(absl::StrCat(req.name(), " is not deleted"));
    absl::Status etag = CheckEtag(req.etag(), row->agreement.etag(), req.name());
    if (!etag.ok()) return etag;
    // A restored agreement must not point at parties that were deleted meanwhile.
    auto party_pks = store::LockParties(c, row->agreement);
    if (!party_pks.ok()) return party_pks.status();
    const absl::Time now = NowMicros();
    store::SetAgreementDeleteTime(c, row->pk, std::nullopt, now);
    auto restored = store::FindAgreement(c, *id, false);
    Audit(c, ctx, req.name(), restored->revision, "UNDELETE", {}, restored->agreement, now);
    *out = restored->agreement;
    return absl::OkStatus();
  });
}

absl::Status Registry::BatchGetAgreements(const RequestContext& ctx,
                                          const v1::BatchGetAgreementsRequest& req,
                                          v1::BatchGetAgreementsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  if (req.names_size() > 1000) return absl::InvalidArgumentError("names: at most 1000 names");
  std::vector<std::string> ids;
  for (int i = 0; i < req.names_size(); ++i) {
    auto id = api::ParseResourceName(req.names(i), "agreements", absl::StrCat("names[", i, "]"));
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  // Two statements (rows, then their parties) that must agree: a transaction.
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    auto found = store::FindAgreements(c, ids);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto row = found.find(ids[i]);
      if (row == found.end()) {
        return api::ResourceNotFound(api::ResourceType<Agreement>(), req.names(i),
                                     absl::StrCat("names[", i, "]"));
      }
      *out->add_agreements() = row->second.agreement;  // a name may be asked for twice
    }
    return absl::OkStatus();
  });
}

absl::Status Registry::Transition(const RequestContext& ctx, const std::string& name,
                                  const std::string& etag, Agreement::State to,
                                  const google::type::Date* signed_on, Agreement* out) {
  auto id = api::ParseResourceName(name, "agreements", "name");
  if (!id.ok()) return id.status();
  if (signed_on != nullptr && api::IsSet(*signed_on)) {
    absl::Status valid = api::ValidateDate(*signed_on, "signed_on");
    if (!valid.ok()) return valid;
  }
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    auto row = store::FindAgreement(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(name, " not found"));
    if (row->deleted) return absl::FailedPreconditionError(absl::StrCat(name, " is deleted"));
    absl::Status etag_ok = CheckEtag(etag, row->agreement.etag(), name);
    if (!etag_ok.ok()) return etag_ok;
    const Agreement::State from = row->agreement.state();
    if (!IsAllowedTransition(from, to)) {
      return absl::FailedPreconditionError(absl::StrCat(name, " is ", Agreement::State_Name(from),
                                                        "; it cannot become ",
                                                        Agreement::State_Name(to)));
    }
    Agreement changed = row->agreement;
    changed.set_state(to);
    std::vector<std::string> fields = {"state"};
    if (signed_on != nullptr && api::IsSet(*signed_on)) {
      *changed.mutable_signed_on() = *signed_on;
      fields.push_back("signed_on");
    }
    if (to == Agreement::STATE_ACTIVE) {
      if (!api::IsSet(changed.signed_on())) {
        return absl::InvalidArgumentError(
            "signed_on: is required to activate an agreement that has no signing date");
      }
      auto party_pks = store::LockParties(c, changed);  // no party may have been deleted
      if (!party_pks.ok()) return party_pks.status();
    }
    const absl::Time now = NowMicros();
    store::UpdateAgreement(c, row->pk, changed, now);
    auto updated = store::FindAgreement(c, *id, false);
    Audit(c, ctx, name, updated->revision, "STATE_CHANGE", fields, updated->agreement, now);
    *out = updated->agreement;
    return absl::OkStatus();
  });
}

absl::Status Registry::ActivateAgreement(const RequestContext& ctx,
                                         const v1::ActivateAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return Transition(ctx, req.name(), req.etag(), Agreement::STATE_ACTIVE, &req.signed_on(), out);
}
absl::Status Registry::SuspendAgreement(const RequestContext& ctx,
                                        const v1::SuspendAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return Transition(ctx, req.name(), req.etag(), Agreement::STATE_SUSPENDED, nullptr, out);
}
absl::Status Registry::ExpireAgreement(const RequestContext& ctx,
                                       const v1::ExpireAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return Transition(ctx, req.name(), req.etag(), Agreement::STATE_EXPIRED, nullptr, out);
}
absl::Status Registry::TerminateAgreement(const RequestContext& ctx,
                                          const v1::TerminateAgreementRequest& req,
                                          Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return Transition(ctx, req.name(), req.etag(), Agreement::STATE_TERMINATED, nullptr, out);
}

absl::Status Registry::ListPartners(const RequestContext& ctx, const v1::ListPartnersRequest& req,
                                    v1::ListPartnersResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto id = api::ParseResourceName(req.institution(), "institutions", "institution");
  if (!id.ok()) return id.status();
  auto page =
      db::StartPage(req.page_size(), req.page_token(), kPartnersCollection,
                    api::PageQuery({req.institution(), req.include_inactive() ? "1" : "0"}));
  if (!page.ok()) return page.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    auto self = store::FindInstitution(c, *id, false);
    if (!self) return absl::NotFoundError(absl::StrCat(req.institution(), " not found"));
    auto& ps = c.Prepare(stmt::kSelectPartners);
    ps.setInt64(1, self->pk);
    ps.setBoolean(2, req.include_inactive());
    ps.setInt64(3, page->position.pk);
    std::vector<std::pair<int64_t, std::vector<std::string>>> partners;
    {
      std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
      while (rs->next()) {
        const int64_t pk = rs->getInt64(1);
        if (partners.empty() || partners.back().first != pk) {
          if (static_cast<int>(partners.size()) == page->size) {
            out->set_next_page_token(db::NextPageToken(*page, {"", partners.back().first}));
            break;
          }
          partners.push_back({pk, {}});
        }
        partners.back().second.push_back(store::AgreementName(std::string(rs->getString(2))));
      }
    }
    api::PageBudget budget;
    int64_t last_pk = 0;
    for (auto& [pk, agreements] : partners) {
      auto row = store::FindInstitutionByPk(c, pk);
      if (!row) continue;
      v1::Partner partner;
      *partner.mutable_institution() = std::move(row->institution);
      for (auto& a : agreements) partner.add_agreements(a);
      if (!budget.Fits(partner)) {  // never the first partner
        out->set_next_page_token(db::NextPageToken(*page, {"", last_pk}));
        break;
      }
      *out->add_partners() = std::move(partner);
      last_pk = pk;
    }
    return absl::OkStatus();
  });
}

absl::Status Registry::ListCooperationAreas(const RequestContext& ctx,
                                            const v1::ListCooperationAreasRequest& req,
                                            v1::ListCooperationAreasResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    auto& ps = c.Prepare(stmt::kSelectCooperationAreaCodes);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    while (rs->next()) {
      auto* area = out->add_cooperation_areas();
      area->set_code(rs->getString(1));
      area->set_display_name(rs->getString(2));
    }
    return absl::OkStatus();
  });
}

absl::Status Registry::ListChanges(const RequestContext& ctx, const v1::ListChangesRequest& req,
                                   v1::ListChangesResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  const bool is_institution = absl::StartsWith(req.name(), "institutions/");
  auto id =
      api::ParseResourceName(req.name(), is_institution ? "institutions" : "agreements", "name");
  if (!id.ok()) return id.status();
  auto page = db::StartPage(req.page_size(), req.page_token(), kChangesCollection,
                            api::PageQuery({req.name()}));
  if (!page.ok()) return page.status();
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    const bool exists = is_institution ? store::FindInstitution(c, *id, false).has_value()
                                       : store::FindAgreement(c, *id, false).has_value();
    if (!exists) return absl::NotFoundError(absl::StrCat(req.name(), " not found"));
    api::FillChangesPage(db::ListChanges(c, req.name(), page->position.pk, page->size + 1), *page,
                         out, [is_institution](v1::Change* change) -> google::protobuf::Message* {
                           if (is_institution) return change->mutable_institution();
                           return change->mutable_agreement();
                         });
    return absl::OkStatus();
  });
}

}  // namespace imp::registry
