// The gateway's copy of the registry and the summary's narrowing, without a network.
#include "gateway/src/aggregations.h"
#include "gateway/src/read_model.h"
#include "gtest/gtest.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

reg::Institution Institution(const std::string& id, int revision, const std::string& country,
                             const std::string& region = "") {
  reg::Institution in;
  in.set_name("institutions/" + id);
  in.set_etag("r" + std::to_string(revision));
  in.set_country(country);
  in.set_region(region);
  return in;
}

reg::Agreement Agreement(const std::string& id, int revision, std::vector<std::string> parties,
                         int64_t created_seconds = 0) {
  reg::Agreement a;
  a.set_name("agreements/" + id);
  a.set_etag("r" + std::to_string(revision));
  a.set_state(reg::Agreement::STATE_ACTIVE);
  a.mutable_create_time()->set_seconds(created_seconds);
  for (const auto& p : parties) a.add_parties()->set_institution("institutions/" + p);
  return a;
}

reg::RegistryChange Change(int64_t sequence, const reg::Institution& in) {
  reg::RegistryChange c;
  c.set_sequence(sequence);
  c.set_resource_name(in.name());
  *c.mutable_institution() = in;
  return c;
}

TEST(RevisionOfEtag, ReadsTheRegistrysEtagsAndNothingElse) {
  EXPECT_EQ(RevisionOfEtag("r12"), 12);
  EXPECT_EQ(RevisionOfEtag("12"), std::nullopt);
  EXPECT_EQ(RevisionOfEtag("r"), std::nullopt);
  EXPECT_EQ(RevisionOfEtag("r0"), std::nullopt);
  EXPECT_EQ(RevisionOfEtag("r-3"), std::nullopt);
  EXPECT_EQ(RevisionOfEtag("W/\"r3\""), std::nullopt);
}

TEST(RegistryReadModel, IsNotReadableUntilLoadedAndKeepsWhatWasObservedMeanwhile) {
  RegistryReadModel model;
  model.Observe(Institution("lviv", 2, "UA"));  // a write through the facade before the load
  EXPECT_EQ(model.Read().snapshot, nullptr);
  // The load read lviv at revision 1 (before the write): the later revision stays.
  model.Load(7, absl::FromUnixSeconds(100),
             {Institution("lviv", 1, "UA"), Institution("lille", 1, "FR")},
             {Agreement("pact", 1, {"lviv", "lille"})});
  RegistryView view = model.Read();
  ASSERT_NE(view.snapshot, nullptr);
  EXPECT_EQ(view.sequence, 7);
  EXPECT_EQ(view.as_of, absl::FromUnixSeconds(100));
  EXPECT_EQ(view.snapshot->Revisions(),
            (std::map<std::string, int64_t>{
                {"agreements/pact", 1}, {"institutions/lille", 1}, {"institutions/lviv", 2}}));
}

TEST(RegistryReadModel, AppliesEachResourceOnlyWhenItIsNewer) {
  RegistryReadModel model;
  model.Load(0, absl::FromUnixSeconds(1), {}, {});
  reg::ListRegistryChangesResponse page;
  *page.add_changes() = Change(1, Institution("lviv", 3, "UA", "UA-46"));
  page.set_head_sequence(1);
  EXPECT_FALSE(model.ApplyChanges(0, page, absl::FromUnixSeconds(5)));
  auto before = model.Read().snapshot;
  model.Observe(Institution("lviv", 2, "PL"));  // older: ignored, nothing published
  EXPECT_EQ(model.Read().snapshot, before);
  EXPECT_EQ(model.Read().snapshot->FindInstitution("institutions/lviv")->country(), "UA");
  model.Observe(Institution("lviv", 4, "UA", "UA-07"));
  EXPECT_EQ(model.Read().snapshot->FindInstitution("institutions/lviv")->region(), "UA-07");
  EXPECT_EQ(before->FindInstitution("institutions/lviv")->region(), "UA-46")
      << "a published snapshot never changes";
  model.Observe(reg::Institution());  // no etag: cannot be ordered, ignored
  EXPECT_EQ(model.Read().snapshot->Revisions().size(), 1u);
}

TEST(RegistryReadModel, TheSequenceMovesOnlyOverPagesThatContinueTheCopy) {
  RegistryReadModel model;
  model.Load(10, absl::FromUnixSeconds(1), {}, {});
  reg::ListRegistryChangesResponse page;
  *page.add_changes() = Change(11, Institution("a", 1, "FR"));
  *page.add_changes() = Change(12, Institution("b", 1, "FR"));
  page.set_head_sequence(15);
  EXPECT_TRUE(model.ApplyChanges(10, page, absl::FromUnixSeconds(2))) << "more to read";
  EXPECT_EQ(model.Read().sequence, 12);
  EXPECT_EQ(model.Read().as_of, absl::FromUnixSeconds(1)) << "not at the head yet";

  // A page read after 13 does not continue a copy at 12: its resources apply, the sequence
  // stays (change 13 is still missing).
  reg::ListRegistryChangesResponse ahead;
  *ahead.add_changes() = Change(14, Institution("c", 1, "FR"));
  ahead.set_head_sequence(14);
  model.ApplyChanges(13, ahead, absl::FromUnixSeconds(3));
  EXPECT_EQ(model.Read().sequence, 12);
  EXPECT_NE(model.Read().snapshot->FindInstitution("institutions/c"), nullptr);

  // Nothing new after 12 and the head is 12: current as of when it was asked.
  reg::ListRegistryChangesResponse empty;
  empty.set_head_sequence(12);
  EXPECT_FALSE(model.ApplyChanges(12, empty, absl::FromUnixSeconds(4)));
  EXPECT_EQ(model.Read().sequence, 12);
  EXPECT_EQ(model.Read().as_of, absl::FromUnixSeconds(4));
  // An older answer never moves the time back.
  EXPECT_FALSE(model.ApplyChanges(12, empty, absl::FromUnixSeconds(3)));
  EXPECT_EQ(model.Read().as_of, absl::FromUnixSeconds(4));
}

TEST(RegistryReadModel, ARemovedResourceLeavesAndUnknownKindsAreSkipped) {
  RegistryReadModel model;
  model.Load(0, absl::FromUnixSeconds(1), {Institution("gone", 2, "FR")}, {});
  reg::ListRegistryChangesResponse page;
  reg::RegistryChange removed;
  removed.set_sequence(1);
  removed.set_resource_name("institutions/gone");
  removed.set_revision(3);
  removed.set_removed(true);
  *page.add_changes() = removed;
  reg::RegistryChange unknown;
  unknown.set_sequence(2);
  unknown.set_resource_name("projects/new-kind");
  unknown.set_revision(1);
  *page.add_changes() = unknown;
  page.set_head_sequence(2);
  model.ApplyChanges(0, page, absl::FromUnixSeconds(2));
  EXPECT_TRUE(model.Read().snapshot->Revisions().empty());
  EXPECT_EQ(model.Read().sequence, 2);
}

// A page of ListRegistryChanges in feed epoch `epoch` with head `head` and these changes.
reg::ListRegistryChangesResponse Page(const std::string& epoch, int64_t head,
                                      std::vector<reg::RegistryChange> changes = {}) {
  reg::ListRegistryChangesResponse page;
  page.set_feed_epoch(epoch);
  page.set_head_sequence(head);
  for (auto& c : changes) *page.add_changes() = std::move(c);
  return page;
}

TEST(RegistryReadModel, APageOfANewFeedEpochIsNotAppliedAndAsksForAReload) {
  RegistryReadModel model;
  model.Load(8, absl::FromUnixSeconds(10), {Institution("phantom", 3, "PL")}, {}, {}, "before");
  EXPECT_EQ(model.NeedsReload(absl::FromUnixSeconds(11), absl::Seconds(5)), "");
  // After a restore the registry numbers change 6 again, for another resource.
  EXPECT_FALSE(model.ApplyChanges(8, Page("restored", 6, {Change(6, Institution("new", 1, "DE"))}),
                                  absl::FromUnixSeconds(12)));
  EXPECT_EQ(model.Read().snapshot->FindInstitution("institutions/new"), nullptr)
      << "another numbering's changes are not applied";
  EXPECT_EQ(model.Read().sequence, 8);
  EXPECT_NE(model.NeedsReload(absl::FromUnixSeconds(12), absl::Seconds(5)), "");
}

TEST(RegistryReadModel, AReloadReplacesTheCopyWithLowerRevisionsAndSequence) {
  RegistryReadModel model;
  model.Load(8, absl::FromUnixSeconds(10),
             {Institution("phantom", 1, "PL"), Institution("lviv", 4, "UA", "UA-07")}, {}, {},
             "before");
  model.ApplyChanges(8, Page("restored", 5), absl::FromUnixSeconds(11));
  ASSERT_NE(model.NeedsReload(absl::FromUnixSeconds(11), absl::Seconds(5)), "");
  // The backup held lviv at revision 2 and no phantom.
  model.Reload(5, absl::FromUnixSeconds(12), {Institution("lviv", 2, "UA", "UA-46")}, {}, {},
               "restored");
  RegistryView view = model.Read();
  EXPECT_EQ(view.snapshot->Revisions(), (std::map<std::string, int64_t>{{"institutions/lviv", 2}}));
  EXPECT_EQ(view.snapshot->FindInstitution("institutions/lviv")->region(), "UA-46");
  EXPECT_EQ(view.sequence, 5);
  EXPECT_EQ(model.epoch(), "restored");
  EXPECT_EQ(model.NeedsReload(absl::FromUnixSeconds(12), absl::Seconds(5)), "");
  // Changes after the restore reuse numbers the old copy had passed (6 <= 8): they apply.
  EXPECT_FALSE(
      model.ApplyChanges(5, Page("restored", 6, {Change(6, Institution("lviv", 3, "UA", "UA-30"))}),
                         absl::FromUnixSeconds(13)));
  EXPECT_EQ(model.Read().snapshot->FindInstitution("institutions/lviv")->region(), "UA-30");
  EXPECT_EQ(model.Read().sequence, 6);
}

TEST(RegistryReadModel, APageAskedForBeforeTheLastReloadDoesNotAskForAnother) {
  RegistryReadModel model;
  model.Load(8, absl::FromUnixSeconds(10), {}, {}, {}, "before");
  model.Reload(5, absl::FromUnixSeconds(20), {}, {}, {}, "restored");
  // An aggregation's read sent at 15 (before the reload read the head) answers late, from the
  // old numbering: dropped, without asking for yet another reload.
  model.ApplyChanges(8, Page("before", 9, {Change(9, Institution("phantom", 1, "PL"))}),
                     absl::FromUnixSeconds(15));
  EXPECT_EQ(model.NeedsReload(absl::FromUnixSeconds(21), absl::Seconds(5)), "");
  EXPECT_TRUE(model.Read().snapshot->Revisions().empty());
}

TEST(RegistryReadModel, AHeadBelowTheSequenceInTheSameEpochReloadsOnlyWhenItStaysBelow) {
  RegistryReadModel model;
  model.Load(8, absl::FromUnixSeconds(10), {}, {}, {}, "e");
  // A replica behind: below for a moment, then caught up.
  model.ApplyChanges(8, Page("e", 7), absl::FromUnixSeconds(11));
  EXPECT_EQ(model.NeedsReload(absl::FromUnixSeconds(12), absl::Seconds(5)), "");
  model.ApplyChanges(8, Page("e", 8), absl::FromUnixSeconds(13));
  EXPECT_EQ(model.NeedsReload(absl::FromUnixSeconds(30), absl::Seconds(5)), "");
  // A restore that kept the epoch (a dump loaded by other means): below in every page since.
  model.ApplyChanges(8, Page("e", 3), absl::FromUnixSeconds(31));
  model.ApplyChanges(8, Page("e", 4), absl::FromUnixSeconds(34));
  EXPECT_EQ(model.NeedsReload(absl::FromUnixSeconds(35), absl::Seconds(5)), "");
  EXPECT_NE(model.NeedsReload(absl::FromUnixSeconds(36), absl::Seconds(5)), "");
}

TEST(RegistrySnapshot, IndexesLiveAgreementsByPartyInCreationOrder) {
  RegistryReadModel model;
  reg::Agreement deleted = Agreement("deleted", 2, {"lviv", "lille"}, 1);
  deleted.mutable_delete_time()->set_seconds(5);
  model.Load(0, absl::FromUnixSeconds(1), {},
             {Agreement("later", 1, {"lviv", "kaunas"}, 20),
              Agreement("earlier", 1, {"lille", "lviv"}, 10), deleted});
  auto copy = model.Read().snapshot;
  ASSERT_EQ(copy->live_agreements().size(), 2u);
  EXPECT_EQ(copy->live_agreements()[0]->name(), "agreements/earlier");
  const auto& of_lviv = copy->LiveAgreementsOf("institutions/lviv");
  ASSERT_EQ(of_lviv.size(), 2u);
  EXPECT_EQ(of_lviv[1]->name(), "agreements/later");
  EXPECT_TRUE(copy->LiveAgreementsOf("institutions/nowhere").empty());
  EXPECT_NE(copy->FindAgreement("agreements/deleted"), nullptr) << "Get finds deleted ones";
}

TEST(Matches, FollowsTheRegistrysFilterSemantics) {
  reg::Institution lviv = Institution("lviv", 1, "UA", "UA-46");
  reg::Institution lille = Institution("lille", 1, "FR", "Hauts-de-France");
  reg::Institution odd = Institution("odd", 1, "PL", "ua-46  ");  // free text abroad
  lille.mutable_delete_time()->set_seconds(1);                    // a deleted party still counts
  auto lookup = [&](const std::string& name) -> const reg::Institution* {
    if (name == lviv.name()) return &lviv;
    if (name == lille.name()) return &lille;
    if (name == odd.name()) return &odd;
    return nullptr;
  };
  reg::Agreement a = Agreement("a", 1, {"lviv", "lille"});
  a.add_cooperation_areas("oncology");
  EXPECT_TRUE(Matches(a, {}, lookup));
  EXPECT_TRUE(Matches(a, {"FR", "", "", ""}, lookup));
  EXPECT_FALSE(Matches(a, {"DE", "", "", ""}, lookup));
  EXPECT_TRUE(Matches(a, {"FR", "UA-46", "oncology", "institutions/lviv"}, lookup));
  EXPECT_FALSE(Matches(a, {"", "UA-07", "", ""}, lookup));
  EXPECT_FALSE(Matches(a, {"", "", "surgery", ""}, lookup));
  EXPECT_FALSE(Matches(a, {"", "", "", "institutions/kaunas"}, lookup));
  EXPECT_TRUE(Matches(Agreement("b", 1, {"odd"}), {"", "UA-46", "", ""}, lookup))
      << "regions compare as the registry's collation does: case and trailing spaces ignored";
  EXPECT_FALSE(SameRegion("UA-46x", "UA-46"));
}

}  // namespace
}  // namespace imp::gateway
