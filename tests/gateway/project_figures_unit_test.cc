// The project figures' arithmetic and the copy's project indexes, without a network.
#include <limits>

#include "gateway/src/project_figures.h"
#include "gateway/src/read_model.h"
#include "gtest/gtest.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

google::type::Money Money(const std::string& currency, int64_t units, int32_t nanos = 0) {
  google::type::Money m;
  m.set_currency_code(currency);
  m.set_units(units);
  m.set_nanos(nanos);
  return m;
}

TEST(MoneyTotals, SumsPerCurrencyExactlyCarryingNanosIntoUnits) {
  MoneyTotals totals;
  totals.Add(Money("UAH", 10, 600000000));
  totals.Add(Money("EUR", 1));
  totals.Add(Money("UAH", 0, 400000001));
  google::protobuf::RepeatedPtrField<google::type::Money> out;
  totals.AppendTo(&out);
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0].currency_code(), "EUR");
  EXPECT_EQ(out[1].currency_code(), "UAH");
  EXPECT_EQ(out[1].units(), 11);
  EXPECT_EQ(out[1].nanos(), 1);
}

TEST(MoneyTotals, ATotalPastTheInt64RangeIsReportedAsItsMaximumNotWrappedAround) {
  MoneyTotals totals;
  const int64_t max = std::numeric_limits<int64_t>::max();
  totals.Add(Money("EUR", max));
  totals.Add(Money("EUR", max));
  totals.Add(Money("GBP", max, 0));
  google::protobuf::RepeatedPtrField<google::type::Money> out;
  totals.AppendTo(&out);
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0].units(), max);
  EXPECT_EQ(out[0].nanos(), 999999999);
  EXPECT_EQ(out[1].units(), max) << "exactly the maximum still fits";
  EXPECT_EQ(out[1].nanos(), 0);
}

reg::Project Project(const std::string& id, int64_t revision, int64_t created_second) {
  reg::Project p;
  p.set_name("projects/" + id);
  p.set_etag(absl::StrCat("r", revision));
  p.mutable_create_time()->set_seconds(created_second);
  return p;
}

TEST(ReadModelProjects, IndexesListEachLiveProjectOnceByInstitutionAndAgreementInCreationOrder) {
  reg::Project later = Project("later", 1, 20);
  auto* participant = later.add_participants();
  participant->set_institution("institutions/a");
  participant->set_role(reg::ProjectParticipant::ROLE_FUNDING);
  participant = later.add_participants();
  participant->set_institution("institutions/a");
  participant->set_role(reg::ProjectParticipant::ROLE_IMPLEMENTING);
  later.add_locations()->set_site("institutions/a");
  later.add_agreements("agreements/x");
  reg::Project earlier = Project("earlier", 1, 10);
  auto* t = earlier.add_transactions();
  t->set_provider("institutions/b");
  t->set_receiver("institutions/a");
  earlier.add_agreements("agreements/x");
  reg::Project deleted = Project("deleted", 2, 5);
  deleted.add_locations()->set_site("institutions/a");
  deleted.mutable_delete_time()->set_seconds(30);

  RegistryReadModel model;
  model.Load(1, absl::FromUnixSeconds(1), {}, {}, {later, earlier, deleted});
  const auto snapshot = model.Read().snapshot;
  ASSERT_NE(snapshot, nullptr);
  auto names = [](const ProjectRefs& refs) {
    std::vector<std::string> out;
    for (const auto* p : refs) out.push_back(p->name());
    return out;
  };
  EXPECT_EQ(names(snapshot->live_projects()),
            (std::vector<std::string>{"projects/earlier", "projects/later"}));
  EXPECT_EQ(names(snapshot->LiveProjectsOf("institutions/a")),
            (std::vector<std::string>{"projects/earlier", "projects/later"}));
  EXPECT_EQ(names(snapshot->LiveProjectsOf("institutions/b")),
            (std::vector<std::string>{"projects/earlier"}));
  EXPECT_EQ(names(snapshot->LiveProjectsUnder("agreements/x")),
            (std::vector<std::string>{"projects/earlier", "projects/later"}));
  EXPECT_TRUE(snapshot->LiveProjectsOf("institutions/c").empty());
  ASSERT_NE(snapshot->FindProject("projects/deleted"), nullptr) << "deleted ones are kept";
  EXPECT_EQ(snapshot->Revisions().at("projects/deleted"), 2);

  // A feed change with a newer revision replaces it; an older one does not; removed drops it.
  reg::ListRegistryChangesResponse page;
  page.set_head_sequence(3);
  auto* change = page.add_changes();
  change->set_sequence(2);
  change->set_resource_name("projects/deleted");
  *change->mutable_project() = Project("deleted", 3, 5);  // undeleted
  change = page.add_changes();
  change->set_sequence(3);
  change->set_resource_name("projects/later");
  *change->mutable_project() = Project("later", 1, 20);
  change->mutable_project()->set_title("stale");
  model.ApplyChanges(1, page, absl::FromUnixSeconds(2));
  auto next = model.Read().snapshot;
  EXPECT_EQ(names(next->live_projects()).front(), "projects/deleted");
  EXPECT_EQ(next->FindProject("projects/later")->title(), "") << "same revision: not applied";
  reg::ListRegistryChangesResponse removal;
  removal.set_head_sequence(4);
  change = removal.add_changes();
  change->set_sequence(4);
  change->set_resource_name("projects/earlier");
  change->set_revision(2);
  change->set_removed(true);
  model.ApplyChanges(3, removal, absl::FromUnixSeconds(3));
  EXPECT_EQ(model.Read().snapshot->FindProject("projects/earlier"), nullptr);
  EXPECT_EQ(model.sequence(), 4);
}

}  // namespace
}  // namespace imp::gateway
