// Registry: the agreement methods, the lifecycle, partners, the codelist and the audit trail.
#include <cppconn/resultset.h>
#include <google/protobuf/util/json_util.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/api/etag.h"
#include "common/api/page_budget.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "common/db/resource_kit.h"
#include "registry-service/src/framework.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/registry_common.h"
#include "registry-service/src/registry_filter.h"
#include "registry-service/src/statements.h"
#include "registry-service/src/store.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

using v1::Agreement;

// What ListAgreements reads; its page tokens are bound to "registry.agreements".
constexpr db::ListSpec kAgreementsList{"registry.agreements",       stmt::kAgreementColumns,
                                       stmt::kAgreementColumnCount, stmt::kListAgreementsFrom,
                                       stmt::kAgreementsNotDeleted, "a.pk"};
// What page tokens of the other List methods are bound to (with the request's query).
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
  return db::GetResource(*db_, ctx, Agreements(), req.name(), out);
}

absl::Status Registry::ListAgreements(const RequestContext& ctx,
                                      const v1::ListAgreementsRequest& req,
                                      v1::ListAgreementsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  auto order = AgreementOrder(req.order_by());
  if (!order.ok()) return order.status();
  return db::ListResources(
      *db_, ctx, kAgreementsList, req, *order, AppendAgreementFilter, store::ReadAgreement,
      // One statement for the page's parties, not one per row.
      [](db::Connection& c, const std::vector<store::AgreementRow*>& rows) {
        store::LoadPartiesOf(c, rows);
      },
      [](db::Connection& c, store::AgreementRow& row) -> const Agreement& {
        store::LoadMembers(c, row);
        return row.agreement;
      },
      [&](store::AgreementRow& row) { *out->add_agreements() = std::move(row.agreement); },
      [&] { out->Clear(); }, out->mutable_next_page_token());
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
  return db_->InTransaction(ctx, [&](db::Connection& c) -> absl::Status {
    absl::Status valid = ValidateAgreement(a, AreaCodes(c));
    if (!valid.ok()) return valid;
    auto replayed = db::ClaimOrReplayCreate(c, ctx, Agreements(), kCreateAgreementMethod, req,
                                            req.request_id(), id, out);
    if (!replayed.ok() || *replayed) return replayed.status();
    absl::Status fresh = db::RequireNewId(c, Agreements(), id, "agreement_id");
    if (!fresh.ok()) return fresh;
    auto party_pks = store::LockParties(c, a);
    if (!party_pks.ok()) return party_pks.status();
    auto framework = LockFrameworkLinks(c, id, a);
    if (!framework.ok()) return framework.status();
    const absl::Time now = db::NowMicros();
    const int64_t pk = store::InsertAgreement(c, id, a, framework->parent_pk, now);
    store::ReplaceParties(c, pk, a, *party_pks);
    ReplaceMembers(c, pk, framework->member_pks);
    return db::RecordWrite(c, ctx, Agreements(), nullptr, id, "CREATE", UpdatableAgreementFields(),
                           now, out);
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
        api::CheckEtag(req.agreement().etag(), row->agreement.etag(), req.agreement().name());
    if (!etag.ok()) return etag;
    Agreement merged = row->agreement;
    api::ApplyUpdateMask(*paths, req.agreement(), &merged);
    absl::Status valid = ValidateAgreement(merged, AreaCodes(c));
    if (!valid.ok()) return valid;
    auto party_pks = store::LockParties(c, merged);
    if (!party_pks.ok()) return party_pks.status();
    auto framework = LockFrameworkLinks(c, *id, merged);
    if (!framework.ok()) return framework.status();
    if (merged.kind() != Agreement::KIND_FRAMEWORK_AGREEMENT) {
      absl::Status kept =
          NoChildAgreements(c, *row, "agreement.kind", "it must stay a KIND_FRAMEWORK_AGREEMENT");
      if (!kept.ok()) return kept;
    }
    const absl::Time now = db::NowMicros();
    store::UpdateAgreement(c, row->pk, merged, framework->parent_pk, now);
    store::ReplaceParties(c, row->pk, merged, *party_pks);
    ReplaceMembers(c, row->pk, framework->member_pks);
    return db::RecordWrite(c, ctx, Agreements(), &*row, *id, "UPDATE", *paths, now, out);
  });
}

absl::Status Registry::DeleteAgreement(const RequestContext& ctx,
                                       const v1::DeleteAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::SetDeleted<store::AgreementRow>(
      *db_, ctx, Agreements(), req.name(), req.etag(), true,
      [](db::Connection& c, const store::AgreementRow& row) {
        return NoChildAgreements(c, row, "name", "delete them first");
      },
      out);
}

absl::Status Registry::UndeleteAgreement(const RequestContext& ctx,
                                         const v1::UndeleteAgreementRequest& req, Agreement* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  // A restored agreement must not point at parties that were deleted meanwhile.
  return db::SetDeleted<store::AgreementRow>(
      *db_, ctx, Agreements(), req.name(), req.etag(), false,
      [](db::Connection& c, const store::AgreementRow& row) {
        return store::LockParties(c, row.agreement).status();
      },
      out);
}

absl::Status Registry::BatchGetAgreements(const RequestContext& ctx,
                                          const v1::BatchGetAgreementsRequest& req,
                                          v1::BatchGetAgreementsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  return db::BatchGetResources(*db_, ctx, Agreements(), req.names(), out->mutable_agreements());
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
    absl::Status etag_ok = api::CheckEtag(etag, row->agreement.etag(), name);
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
    const absl::Time now = db::NowMicros();
    store::UpdateAgreement(c, row->pk, changed, store::ParentPk(c, row->pk), now);
    return db::RecordWrite(c, ctx, Agreements(), &*row, *id, "STATE_CHANGE", fields, now, out);
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
  enum class Kind { kInstitution, kAgreement, kProject };
  const Kind kind = absl::StartsWith(req.name(), "institutions/") ? Kind::kInstitution
                    : absl::StartsWith(req.name(), "projects/")   ? Kind::kProject
                                                                  : Kind::kAgreement;
  auto id = api::ParseResourceName(req.name(),
                                   kind == Kind::kInstitution ? "institutions"
                                   : kind == Kind::kProject   ? "projects"
                                                              : "agreements",
                                   "name");
  if (!id.ok()) return id.status();
  return db::ListResourceChanges(
      *db_, ctx, kChangesCollection, req.name(), req.page_size(), req.page_token(),
      [&](db::Connection& c) {
        switch (kind) {
          case Kind::kInstitution: return store::FindInstitution(c, *id, false).has_value();
          case Kind::kProject: return store::FindProject(c, *id, false).has_value();
          case Kind::kAgreement: break;
        }
        return store::FindAgreement(c, *id, false).has_value();
      },
      [kind](v1::Change* change) -> google::protobuf::Message* {
        switch (kind) {
          case Kind::kInstitution: return change->mutable_institution();
          case Kind::kProject: return change->mutable_project();
          case Kind::kAgreement: break;
        }
        return change->mutable_agreement();
      },
      out);
}

}  // namespace imp::registry
