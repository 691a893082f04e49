// The audit trail of large records (issue #18, finding 9): a small change of a large project
// stores a diff against the version before it rather than a full copy, and ListChanges still
// returns every version whole. A real RegistryServer over a database of the test's own (fixture
// in project_fixture.h); the stored bytes are read from its `changes` table.
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/registry/largest_project.h"
#include "tests/registry/project_fixture.h"

namespace imp::registry {
namespace {

using google::protobuf::util::MessageDifferencer;
using v1::Project;

class ChangeHistoryTest : public ProjectTest {
 protected:
  // The bytes the audit entries of `name` store for their snapshots.
  int64_t StoredSnapshotBytes(const std::string& name, const std::string& where = "") {
    int64_t bytes = 0;
    EXPECT_TRUE(absl::SimpleAtoi(
        db_->QueryString(absl::StrCat("SELECT COALESCE(SUM(LENGTH(snapshot)), 0) FROM changes "
                                      "WHERE resource_name = '",
                                      name, "'", where)),
        &bytes));
    return bytes;
  }

  Project MustUpdate(const Project& patch, const std::string& path) {
    v1::UpdateProjectRequest req;
    *req.mutable_project() = patch;
    req.mutable_update_mask()->add_paths(path);
    Project out;
    grpc::Status s = stub_->UpdateProject(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << path << ": " << s.error_message();
    return out;
  }

  // Every change of `name`, by revision, read page by page (`page_size` changes a page).
  std::map<int64_t, v1::Change> History(const std::string& name, int page_size) {
    std::map<int64_t, v1::Change> out;
    v1::ListChangesRequest req;
    req.set_name(name);
    req.set_page_size(page_size);
    do {
      v1::ListChangesResponse page;
      grpc::Status s = stub_->ListChanges(Ctx().get(), req, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& change : page.changes()) {
        EXPECT_TRUE(out.emplace(change.revision(), change).second) << change.revision();
      }
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }

  // How many entries of `name` meet `condition` (SQL on the changes table).
  int64_t Entries(const std::string& name, const std::string& condition) {
    int64_t n = 0;
    EXPECT_TRUE(absl::SimpleAtoi(
        db_->QueryString(absl::StrCat("SELECT COUNT(*) FROM changes WHERE resource_name = '", name,
                                      "' AND ", condition)),
        &n));
    return n;
  }
};

// The finding: forty 50-byte title changes of a 900 KB project added 37 MB to the audit trail
// (a full copy each). Now they add less than 5% of forty copies, and each is still a version.
TEST_F(ChangeHistoryTest, FortySmallUpdatesOfTheLargestProjectStoreLessThanTwoFullCopies) {
  Project created = MustCreate(LargestProject("institutions/fr-moh", "institutions/moh"), "big");
  ASSERT_GT(created.ByteSizeLong(), kMaxProjectBytes - kLargestProjectSlack);
  const int64_t one_copy = StoredSnapshotBytes(created.name());
  ASSERT_GT(one_copy, int64_t{900} << 10);
  Project patch;
  patch.set_name(created.name());
  Project last;
  for (int i = 1; i <= 40; ++i) {
    patch.set_title(absl::StrCat("Equipment for the burns unit,  revision ", 100 + i, " of 140"));
    ASSERT_EQ(patch.title().size(), 50u);
    last = MustUpdate(patch, "title");
  }
  const int64_t added = StoredSnapshotBytes(created.name()) - one_copy;
  std::cout << "forty title changes of a " << one_copy << "-byte project stored " << added
            << " snapshot bytes (forty full copies: " << 40 * one_copy << ")\n";
  EXPECT_LT(added, 40 * one_copy / 20) << "more than 5% of forty full copies";

  v1::ListChangesRequest req;
  req.set_name(created.name());
  req.set_page_size(1);
  v1::ListChangesResponse newest;
  ASSERT_TRUE(stub_->ListChanges(Ctx().get(), req, &newest).ok());
  ASSERT_EQ(newest.changes_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(newest.changes(0).project(), last));
}

// A project of a few dozen kilobytes: large enough for its small changes to be stored as diffs.
Project MediumProject() {
  Project p = LargestProject("institutions/fr-moh", "institutions/moh");
  p.mutable_transactions()->DeleteSubrange(24, p.transactions_size() - 24);
  p.clear_description();
  p.add_agreements("agreements/ua-fr");
  return p;
}

// Every version is rebuilt from the stored keyframes and diffs: after writes that set, clear and
// replace top-level fields (strings, dates, repeated nested messages, a nested value inside one),
// a delete and an undelete, a change too large for a diff and enough revisions to pass a periodic
// keyframe, ListChanges over all its pages (small and large pages) returns for each revision
// exactly what Get returned right after that write.
TEST_F(ChangeHistoryTest, ListChangesReturnsEveryVersionOfALargeProjectAsGetReturnedIt) {
  std::map<int64_t, Project> versions;  // what Get returned after each write, by revision
  const auto got = [&](const std::string& name) {
    v1::GetProjectRequest req;
    req.set_name(name);
    Project out;
    EXPECT_TRUE(stub_->GetProject(Ctx().get(), req, &out).ok());
    const int64_t revision = static_cast<int64_t>(versions.size()) + 1;
    versions[revision] = out;
    return out;
  };
  const std::string name = MustCreate(MediumProject(), "medium").name();
  Project current = got(name);
  ASSERT_GT(current.ByteSizeLong(), size_t{16} << 10);
  // One write of `path` (the patch's value; an unset value clears the field), then Get.
  const auto write = [&](const std::string& path, auto set) {
    Project patch;
    patch.set_name(name);
    set(&patch);
    MustUpdate(patch, path);
    current = got(name);
  };
  write("title", [](Project* p) { p->set_title("Burns unit equipment"); });
  write("local_title", [](Project* p) { p->set_local_title("Обладнання опікового відділення"); });
  write("local_title", [](Project*) {});
  write("notes", [](Project* p) { p->set_notes("first tranche delivered"); });
  write("transactions", [&](Project* p) {
    *p->mutable_transactions() = current.transactions();
    *p->add_transactions() = current.transactions(0);
    p->mutable_transactions()->rbegin()->set_description("a second payment of the first kind");
  });
  write("transactions", [&](Project* p) {
    *p->mutable_transactions() = current.transactions();
    p->mutable_transactions()->DeleteSubrange(0, 5);
    p->mutable_transactions(3)->mutable_amount()->set_units(4321);
  });
  write("planned_start", [](Project* p) {
    p->mutable_planned_start()->set_year(2024);
    p->mutable_planned_start()->set_month(3);
    p->mutable_planned_start()->set_day(1);
  });
  write("planned_end", [](Project* p) {
    p->mutable_planned_end()->set_year(2026);
    p->mutable_planned_end()->set_month(6);
    p->mutable_planned_end()->set_day(30);
  });
  write("planned_start", [](Project*) {});
  write("budget", [&](Project* p) {
    *p->mutable_budget() = current.budget();
    p->mutable_budget(0)->mutable_amount()->set_units(250000);
  });
  write("deliverables", [](Project* p) {
    auto* d = p->add_deliverables();
    d->set_what("Burns beds");
    d->set_unit("bed");
    d->set_planned_quantity(12);
    auto* delivery = d->add_deliveries();
    delivery->mutable_date()->set_year(2024);
    delivery->mutable_date()->set_month(5);
    delivery->mutable_date()->set_day(14);
    delivery->set_quantity(4);
  });
  write("cooperation_areas", [](Project* p) { p->add_cooperation_areas("rehabilitation"); });
  write("deliverables", [](Project*) {});
  write("cooperation_areas", [](Project*) {});
  write("notes", [](Project*) {});
  write("status", [](Project* p) { p->set_status(Project::STATUS_FINALISATION); });
  v1::DeleteProjectRequest del;
  del.set_name(name);
  Project out;
  ASSERT_TRUE(stub_->DeleteProject(Ctx().get(), del, &out).ok());
  got(name);
  v1::UndeleteProjectRequest undel;
  undel.set_name(name);
  ASSERT_TRUE(stub_->UndeleteProject(Ctx().get(), undel, &out).ok());
  got(name);
  write("transactions", [&](Project* p) {  // every element replaced: too large for a diff
    *p->mutable_transactions() = current.transactions();
    for (auto& t : *p->mutable_transactions()) t.set_description(std::string(900, 'z'));
  });
  while (versions.size() < 45) {
    write("title", [&](Project* p) { p->set_title(absl::StrCat("Revision ", versions.size())); });
  }
  EXPECT_EQ(Entries(name, "snapshot_kind = 'FULL'"), 3);  // the create, the large change, 33
  EXPECT_EQ(Entries(name, "snapshot_kind = 'DIFF'"), 42);
  EXPECT_EQ(Entries(name, "spliced_fields = 'transactions:24:0'"), 1);  // one added
  EXPECT_EQ(Entries(name, "spliced_fields = 'transactions:0:16'"), 1);  // 5 gone, 1 changed

  for (int page_size : {4, 7, 1000}) {
    SCOPED_TRACE(absl::StrCat("page_size ", page_size));
    const std::map<int64_t, v1::Change> history = History(name, page_size);
    ASSERT_EQ(history.size(), versions.size());
    for (const auto& [revision, version] : versions) {
      auto change = history.find(revision);
      ASSERT_NE(change, history.end()) << revision;
      std::string differences;
      MessageDifferencer differencer;
      differencer.ReportDifferencesToString(&differences);
      EXPECT_TRUE(differencer.Compare(version, change->second.project()))
          << "revision " << revision << ": " << differences;
    }
  }
}

// A diff is taken only against the version the newest entry recorded: a stored project changed
// without an entry (here by hand in the database; a migration could do the same) makes the next
// change a keyframe, so that version still comes back as Get returned it.
TEST_F(ChangeHistoryTest, AChangeAfterTheStoredRecordMovedWithoutAnEntryIsStoredWhole) {
  const std::string name = MustCreate(MediumProject(), "moved").name();
  Project patch;
  patch.set_name(name);
  patch.set_notes("before the move");
  MustUpdate(patch, "notes");
  db_->Execute("UPDATE projects SET title = 'Renamed outside the API' WHERE id = 'moved'");
  patch.set_notes("after the move");
  const Project after = MustUpdate(patch, "notes");
  ASSERT_EQ(after.title(), "Renamed outside the API");
  EXPECT_EQ(Entries(name, "revision = 2 AND snapshot_kind = 'DIFF'"), 1);
  EXPECT_EQ(Entries(name, "revision = 3 AND snapshot_kind = 'FULL'"), 1);
  const std::map<int64_t, v1::Change> history = History(name, 10);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_TRUE(MessageDifferencer::Equals(history.at(3).project(), after));
}

}  // namespace
}  // namespace imp::registry
