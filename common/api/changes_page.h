#ifndef IMP_COMMON_API_CHANGES_PAGE_H_
#define IMP_COMMON_API_CHANGES_PAGE_H_

#include <google/protobuf/util/json_util.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/page_budget.h"
#include "common/api/proto_util.h"
#include "common/db/changes.h"
#include "common/db/keyset.h"

namespace imp::api {

// Fills a ListChanges response (any service's: each has a Change message with revision, actor,
// change_time, action, changed_fields and a snapshot of its resource) from audit records read
// with db::ListChanges(..., page.size + 1). `snapshot(change)` returns the message to parse the
// record's JSON snapshot into. The page also ends before it passes kMaxPageBytes (each change
// carries a whole snapshot of its resource).
template <typename Response, typename Snapshot>
void FillChangesPage(const std::vector<db::ChangeRecord>& records, const db::Page& page,
                     Response* out, Snapshot snapshot) {
  using Change = typename std::remove_pointer_t<decltype(out->add_changes())>;
  PageBudget budget;
  for (size_t i = 0; i < records.size(); ++i) {
    if (static_cast<int>(i) == page.size) {
      out->set_next_page_token(db::NextPageToken(page, {"", records[i - 1].pk}));
      return;
    }
    const auto& rec = records[i];
    Change* change = out->add_changes();
    change->set_revision(rec.revision);
    change->set_actor(rec.actor);
    *change->mutable_change_time() = ToTimestamp(rec.change_time);
    typename Change::Action action = Change::ACTION_UNSPECIFIED;
    Change::Action_Parse(absl::StrCat("ACTION_", rec.action), &action);
    change->set_action(action);
    for (const auto& f : rec.changed_fields) change->mutable_changed_fields()->add_paths(f);
    (void)google::protobuf::util::JsonStringToMessage(rec.snapshot_json, snapshot(change));
    if (!budget.Fits(*change)) {  // never the first change
      out->mutable_changes()->RemoveLast();
      out->set_next_page_token(db::NextPageToken(page, {"", records[i - 1].pk}));
      return;
    }
  }
}

}  // namespace imp::api

#endif  // IMP_COMMON_API_CHANGES_PAGE_H_
