// Registry: the change feed (ListRegistryChanges). Writes append to it through the resource
// kit's after_write (store::AppendToFeed); this file reads it.
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api/page_budget.h"
#include "common/api/page_token.h"
#include "registry-service/src/project_store.h"
#include "registry-service/src/registry.h"
#include "registry-service/src/store.h"
#include "registry-service/src/validation.h"

namespace imp::registry {
namespace {

// Fills `change` with the resource as it is now: the current institution, agreement or project,
// `removed` when it no longer exists, nothing for a kind this reader does not know.
void FillCurrent(db::Connection& c, v1::RegistryChange* change) {
  const std::string& name = change->resource_name();
  const size_t slash = name.find('/');
  const std::string id = slash == std::string::npos ? "" : name.substr(slash + 1);
  if (absl::StartsWith(name, "institutions/")) {
    auto row = store::FindInstitution(c, id, false);
    if (row) {
      *change->mutable_institution() = std::move(row->institution);
    } else {
      change->set_removed(true);
    }
  } else if (absl::StartsWith(name, "agreements/")) {
    auto row = store::FindAgreement(c, id, false);
    if (row) {
      *change->mutable_agreement() = std::move(row->agreement);
    } else {
      change->set_removed(true);
    }
  } else if (absl::StartsWith(name, "projects/")) {
    auto row = store::FindProject(c, id, false);
    if (row) {
      *change->mutable_project() = std::move(row->project);
    } else {
      change->set_removed(true);
    }
  }
}

}  // namespace

absl::Status Registry::ListRegistryChanges(const RequestContext& ctx,
                                           const v1::ListRegistryChangesRequest& req,
                                           v1::ListRegistryChangesResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  if (req.after_sequence() < 0) {
    return absl::InvalidArgumentError("after_sequence: must not be negative");
  }
  auto size = api::EffectivePageSize(req.page_size());
  if (!size.ok()) return size.status();
  // Each statement reads the latest committed data. The head is read first, and only changes
  // up to it are listed: every number up to a committed head is itself committed (see
  // store::AppendToFeed), so the page has no gaps even while writers commit meanwhile. The
  // resources are read after the head, so they are at least as new as it.
  return db_->Read(ctx.deadline, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    const store::FeedHeadRow head_row = store::FeedHead(c);
    const int64_t head = head_row.sequence;
    out->set_head_sequence(head);
    out->set_feed_epoch(head_row.epoch);
    if (req.after_sequence() >= head) return absl::OkStatus();
    api::PageBudget budget;
    // A resource named by several changes of the page is read once and carried once, by its
    // first change: the later ones would carry the same version. So a page's size grows with
    // the distinct resources it names, not with its changes (a 1 MiB project updated fifty
    // times is one MiB, not fifty). Whether a resource was `removed` is kept on every change.
    absl::flat_hash_map<std::string, bool> removed;  // resource name -> removed
    for (const auto& entry : store::ReadFeed(c, req.after_sequence(), head, *size)) {
      v1::RegistryChange change;
      change.set_resource_name(entry.resource_name);
      auto [it, first] = removed.try_emplace(entry.resource_name, false);
      if (first) {
        FillCurrent(c, &change);
        it->second = change.removed();
      } else {
        change.set_removed(it->second);
      }
      change.set_sequence(entry.sequence);
      change.set_revision(entry.revision);
      if (!budget.Fits(change)) break;  // never the first change
      *out->add_changes() = std::move(change);
    }
    return absl::OkStatus();
  });
}

}  // namespace imp::registry
