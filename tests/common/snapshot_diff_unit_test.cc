// The audit trail's diffs without a database (common/db/snapshot_diff.h): what a change stores
// (a keyframe or the top-level fields it set and cleared), that applying it to the version before
// gives the version after, and that a page's versions are rebuilt from the nearest keyframe.
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/db/snapshot_diff.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.pb.h"

namespace imp::db {
namespace {

using google::protobuf::util::MessageDifferencer;
using registry::v1::Change;
using registry::v1::Project;

// A project of about 20 KB: large enough for a small change to be stored as a diff.
Project LargeProject() {
  Project p;
  p.set_name("projects/burns");
  p.set_title("Burns unit equipment");
  p.set_local_title("Обладнання опікового відділення");
  p.mutable_planned_start()->set_year(2024);
  p.mutable_planned_start()->set_month(3);
  p.mutable_planned_start()->set_day(1);
  for (int i = 0; i < 20; ++i) {
    auto* t = p.add_transactions();
    t->set_provider("institutions/fr-moh");
    t->set_receiver("institutions/moh");
    t->mutable_amount()->set_currency_code("EUR");
    t->mutable_amount()->set_units(1000 + i);
    t->set_description(std::string(1000, static_cast<char>('a' + i)));
  }
  auto* d = p.add_deliverables();
  d->set_what("Burns beds");
  d->set_planned_quantity(12);
  return p;
}

// The entry of `after` at `revision`, stored against `before`.
ChangeRecord Stored(const Project& after, const Project* before, int64_t revision) {
  ChangeRecord change;
  change.revision = revision;
  SetSnapshot(after, before, &change);
  return change;
}

// `before` with the stored entry of the change to `after` applied.
Project Applied(const Project& before, const ChangeRecord& change) {
  Project version = before;
  EXPECT_TRUE(ApplyStoredSnapshot(change, &version));
  return version;
}

TEST(SnapshotDiff, ATitleChangeOfALargeProjectStoresOnlyTheTitle) {
  const Project before = LargeProject();
  Project after = before;
  after.set_title("Burns unit equipment, second tranche");
  const ChangeRecord change = Stored(after, &before, 2);
  EXPECT_EQ(change.snapshot_kind, SnapshotKind::kDiff);
  EXPECT_TRUE(change.cleared_fields.empty());
  EXPECT_EQ(change.snapshot_json, R"({"title":"Burns unit equipment, second tranche"})");
  EXPECT_TRUE(MessageDifferencer::Equals(Applied(before, change), after));
}

TEST(SnapshotDiff, FieldsSetToTheirDefaultAreNamedAsClearedAndClearedWhenApplied) {
  const Project before = LargeProject();
  Project after = before;
  after.clear_local_title();    // a string
  after.clear_planned_start();  // a message
  after.clear_deliverables();   // a repeated message
  const ChangeRecord change = Stored(after, &before, 2);
  ASSERT_EQ(change.snapshot_kind, SnapshotKind::kDiff);
  EXPECT_EQ(change.cleared_fields,
            (std::vector<std::string>{"local_title", "planned_start", "deliverables"}));
  EXPECT_EQ(change.snapshot_json, "{}");
  EXPECT_TRUE(MessageDifferencer::Equals(Applied(before, change), after));
}

TEST(SnapshotDiff, MessageAndRepeatedFieldsAreReplacedWholeNotMerged) {
  const Project before = LargeProject();
  Project after = before;
  after.mutable_planned_start()->clear_day();  // merging would keep day 1
  after.mutable_planned_start()->set_year(2025);
  after.mutable_transactions()->DeleteSubrange(0, 19);  // merging would append to twenty
  after.mutable_transactions(0)->set_description("the last one, rewritten");
  const SnapshotDiff diff = DiffSnapshots(before, after);
  EXPECT_TRUE(diff.spliced.empty());  // no element kept at either end
  Project applied = before;
  ApplySnapshotDiff(*diff.set, diff.cleared, diff.spliced, &applied);
  EXPECT_EQ(applied.planned_start().day(), 0);
  EXPECT_EQ(applied.transactions_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(applied, after));
}

TEST(SnapshotDiff, AnElementAddedToALongListIsStoredAloneWithTheElementsKeptCounted) {
  const Project before = LargeProject();
  Project after = before;
  auto* added = after.add_transactions();
  added->set_provider("institutions/fr-moh");
  added->set_description("one more disbursement");
  const ChangeRecord change = Stored(after, &before, 2);
  ASSERT_EQ(change.snapshot_kind, SnapshotKind::kDiff);
  ASSERT_EQ(change.spliced_fields.size(), 1u);
  EXPECT_EQ(change.spliced_fields[0].field, "transactions");
  EXPECT_EQ(change.spliced_fields[0].prefix, 20);
  EXPECT_EQ(change.spliced_fields[0].suffix, 0);
  EXPECT_LT(change.snapshot_json.size(), 200u) << change.snapshot_json;
  EXPECT_TRUE(MessageDifferencer::Equals(Applied(before, change), after));
}

TEST(SnapshotDiff, ElementsChangedOrRemovedInsideAListAreSplicedBetweenTheKeptEnds) {
  const Project before = LargeProject();
  Project changed = before;
  changed.mutable_transactions(7)->mutable_amount()->set_units(7777);
  const ChangeRecord one = Stored(changed, &before, 2);
  ASSERT_EQ(one.spliced_fields.size(), 1u);
  EXPECT_EQ(one.spliced_fields[0].prefix, 7);
  EXPECT_EQ(one.spliced_fields[0].suffix, 12);
  EXPECT_TRUE(MessageDifferencer::Equals(Applied(before, one), changed));
  Project removed = before;
  removed.mutable_transactions()->DeleteSubrange(3, 10);
  const ChangeRecord gone = Stored(removed, &before, 2);
  ASSERT_EQ(gone.spliced_fields.size(), 1u);
  EXPECT_EQ(gone.spliced_fields[0].prefix, 3);
  EXPECT_EQ(gone.spliced_fields[0].suffix, 7);
  EXPECT_EQ(gone.snapshot_json, "{}");
  EXPECT_TRUE(MessageDifferencer::Equals(Applied(before, gone), removed));
  Project repeated = before;  // an element equal to its neighbours is counted once
  *repeated.add_transactions() = before.transactions(19);
  *repeated.mutable_transactions(0) = before.transactions(19);
  EXPECT_TRUE(MessageDifferencer::Equals(Applied(before, Stored(repeated, &before, 2)), repeated));
}

TEST(SnapshotDiff, AOneofSwitchingMembersClearsTheOldMemberAndSetsTheNew) {
  Change before;
  before.mutable_institution()->set_display_name("Lviv Regional Clinical Hospital");
  Change after;
  after.mutable_project()->set_title("Rehabilitation ward");
  const SnapshotDiff diff = DiffSnapshots(before, after);
  EXPECT_EQ(diff.cleared, std::vector<std::string>{"institution"});
  Change applied = before;
  ApplySnapshotDiff(*diff.set, diff.cleared, diff.spliced, &applied);
  EXPECT_TRUE(MessageDifferencer::Equals(applied, after));
}

TEST(SnapshotDiff, KeyframesAtCreateForSmallRecordsAtPeriodicRevisionsAndForLargeChanges) {
  const Project before = LargeProject();
  Project small_change = before;
  small_change.set_notes("checked");
  EXPECT_EQ(Stored(small_change, &before, 2).snapshot_kind, SnapshotKind::kDiff);
  EXPECT_EQ(Stored(small_change, nullptr, 2).snapshot_kind, SnapshotKind::kFull);  // a create
  EXPECT_EQ(Stored(small_change, &before, 1 + kKeyframeInterval).snapshot_kind,
            SnapshotKind::kFull);
  EXPECT_EQ(Stored(small_change, &before, 2 + kKeyframeInterval).snapshot_kind,
            SnapshotKind::kDiff);
  Project large_change = before;
  for (auto& t : *large_change.mutable_transactions()) t.set_description("replaced");
  EXPECT_EQ(Stored(large_change, &before, 2).snapshot_kind, SnapshotKind::kFull);
  Project small_record;
  small_record.set_title("Small");
  Project small_record_after = small_record;
  small_record_after.set_notes("x");
  const ChangeRecord small = Stored(small_record_after, &small_record, 2);
  EXPECT_EQ(small.snapshot_kind, SnapshotKind::kFull);
  EXPECT_TRUE(MessageDifferencer::Equals(Applied(Project(), small), small_record_after));
}

TEST(SnapshotDiff, AVersionHashNamesTheVersionWhateverTheSerializationOrder) {
  const Project p = LargeProject();
  Project same;
  ASSERT_TRUE(same.ParseFromString(p.SerializeAsString()));
  EXPECT_EQ(VersionHash(p), VersionHash(same));
  EXPECT_EQ(VersionHash(p).size(), 64u);
  same.set_notes("x");
  EXPECT_NE(VersionHash(p), VersionHash(same));
  EXPECT_EQ(Stored(same, &p, 2).version_hash, VersionHash(same));
}

class ReconstructTest : public ::testing::Test {
 protected:
  // Seventy versions (revision = index + 1) with varied changes, stored as the writer would.
  void SetUp() override {
    Project version = LargeProject();
    for (int revision = 1; revision <= 70; ++revision) {
      const Project before = version;
      switch (revision % 5) {
        case 0: version.set_title(absl::StrCat("Title ", revision)); break;
        case 1: version.set_notes(revision % 2 ? "" : "notes"); break;
        case 2: version.mutable_transactions(revision % 20)->set_description("changed"); break;
        case 3: version.mutable_planned_end()->set_year(2000 + revision); break;
        case 4:
          if (revision == 24) {  // too large for a diff: a keyframe out of period
            for (auto& t : *version.mutable_transactions())
              t.set_description(std::string(900, 'z'));
          } else {
            version.clear_planned_end();
          }
          break;
      }
      versions_.push_back(version);
      ChangeRecord change = Stored(version, revision == 1 ? nullptr : &before, revision);
      change.pk = revision;
      stored_.push_back(std::move(change));
    }
  }

  // What db::ListChanges reads for the page of `count` entries below revision `below`.
  ChangeHistory Page(int64_t below, int count) const {
    ChangeHistory history;
    for (int64_t pk = below - 1; pk >= 1 && pk > below - 1 - count; --pk) {
      history.records.push_back(stored_[pk - 1]);
    }
    int64_t keyframe = history.records.back().pk;
    while (stored_[keyframe - 1].snapshot_kind != SnapshotKind::kFull) --keyframe;
    for (int64_t pk = keyframe; pk < history.records.back().pk; ++pk) {
      history.base.push_back(stored_[pk - 1]);
    }
    return history;
  }

  std::vector<Project> versions_;
  std::vector<ChangeRecord> stored_;
};

TEST_F(ReconstructTest, EveryVersionIsRebuiltFromTheNearestKeyframeAndTheDiffsAfterIt) {
  int diffs = 0;
  for (const auto& change : stored_) diffs += change.snapshot_kind == SnapshotKind::kDiff;
  EXPECT_EQ(diffs, 70 - 4);  // revisions 1, 24, 33 and 65 are keyframes
  for (int page_size : {1, 3, 10, 70}) {
    for (int64_t below = 71; below > 1; below -= page_size) {
      const ChangeHistory page = Page(below, page_size);
      const auto rebuilt =
          ReconstructSnapshots(page, page.records.size(), Project(), size_t{64} << 20);
      ASSERT_EQ(rebuilt.size(), page.records.size());
      for (size_t i = 0; i < rebuilt.size(); ++i) {
        const int64_t revision = page.records[i].revision;
        ASSERT_NE(rebuilt[i], nullptr);
        EXPECT_TRUE(MessageDifferencer::Equals(*rebuilt[i], versions_[revision - 1]))
            << "page_size " << page_size << ", revision " << revision;
      }
    }
  }
}

TEST_F(ReconstructTest, VersionsOlderThanWhatNewerOnesAlreadyTakeOfTheBudgetAreNotKept) {
  const ChangeHistory page = Page(71, 10);
  const size_t one = versions_.back().ByteSizeLong();
  const auto rebuilt = ReconstructSnapshots(page, 10, Project(), 2 * one + one / 2);
  for (size_t i = 0; i < rebuilt.size(); ++i) {
    // Two newer versions take less than the budget, three more.
    EXPECT_EQ(rebuilt[i] != nullptr, i <= 2) << i;
  }
  EXPECT_TRUE(MessageDifferencer::Equals(*rebuilt[2], versions_[67]));
}

}  // namespace
}  // namespace imp::db
