#ifndef IMP_COMMON_DB_CHANGES_PAGE_H_
#define IMP_COMMON_DB_CHANGES_PAGE_H_

#include <google/protobuf/message.h>

#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/page_budget.h"
#include "common/api/proto_util.h"
#include "common/db/changes.h"
#include "common/db/keyset.h"
#include "common/db/snapshot_diff.h"

namespace imp::db {

// Fills a ListChanges response (any service's: each has a Change message with revision, actor,
// change_time, action, changed_fields and a snapshot of its resource) from a page of the audit
// trail read with db::ListChanges(..., page.size + 1). `snapshot(change)` returns the message the
// change carries its resource in; each is rebuilt from the stored keyframes and diffs. The page
// also ends before it passes kMaxPageBytes (each change carries its whole resource).
template <typename Response, typename Snapshot>
void FillChangesPage(const ChangeHistory& history, const Page& page, Response* out,
                     Snapshot snapshot) {
  using Change = typename std::remove_pointer_t<decltype(out->add_changes())>;
  const auto& records = history.records;
  Change prototype;
  auto versions = ReconstructSnapshots(history, static_cast<size_t>(page.size),
                                       *snapshot(&prototype), api::kMaxPageBytes);
  api::PageBudget budget;
  for (size_t i = 0; i < records.size(); ++i) {
    // Past page_size, or past what newer changes already took of the budget (never the first).
    if (static_cast<int>(i) == page.size || versions[i] == nullptr) {
      out->set_next_page_token(NextPageToken(page, {"", records[i - 1].pk}));
      return;
    }
    const auto& rec = records[i];
    Change* change = out->add_changes();
    change->set_revision(rec.revision);
    change->set_actor(rec.actor);
    *change->mutable_change_time() = api::ToTimestamp(rec.change_time);
    typename Change::Action action = Change::ACTION_UNSPECIFIED;
    Change::Action_Parse(absl::StrCat("ACTION_", rec.action), &action);
    change->set_action(action);
    for (const auto& f : rec.changed_fields) change->mutable_changed_fields()->add_paths(f);
    google::protobuf::Message* resource = snapshot(change);
    resource->GetReflection()->Swap(resource, versions[i].get());
    if (!budget.Fits(*change)) {  // never the first change
      out->mutable_changes()->RemoveLast();
      out->set_next_page_token(NextPageToken(page, {"", records[i - 1].pk}));
      return;
    }
  }
}

}  // namespace imp::db

#endif  // IMP_COMMON_DB_CHANGES_PAGE_H_
