// ListActivities / GetActivityStats filters and page tokens against real registry and activity
// servers on loopback, each with its own MariaDB database: filters are bounded, every value is
// checked before it reaches SQL, repeated terms cost one condition, tokens are bound to their
// query.
#include "activity-service/src/activity_filter.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "activity-service/src/activity_server.h"
#include "gtest/gtest.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::activity {
namespace {

using v1::Activity;
namespace reg = registry::v1;

constexpr int kInstitutions = 32;  // the filter term cap

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", "tester");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

std::string Inst(int i) { return absl::StrCat("institutions/i", i); }

// `institution = "institutions/i<k>"` for each k in `ids`, joined by AND.
std::string InstitutionTerms(const std::vector<int>& ids, const char* op = "=") {
  std::string filter;
  for (int i : ids)
    absl::StrAppend(&filter, filter.empty() ? "" : " AND ", "institution ", op, " \"", Inst(i),
                    "\"");
  return filter;
}

std::vector<int> Range(int from, int to) {
  std::vector<int> out;
  for (int i = from; i < to; ++i) out.push_back(i);
  return out;
}

int CountOf(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class ActivityFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_db_ = testing::TestDatabase::Create();
    activity_db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.readiness_interval = absl::Milliseconds(100);
    host.name = "registry-test";
    registry_ = std::make_unique<registry::RegistryServer>(host, registry_db_->pool_options());
    ASSERT_TRUE(registry_->Start().ok());
    host.name = "activity-test";
    activity_ = std::make_unique<ActivityServer>(host, activity_db_->pool_options(),
                                                 absl::StrCat("127.0.0.1:", registry_->port()));
    ASSERT_TRUE(activity_->Start().ok());
    reg_ = reg::RegistryService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", registry_->port()), grpc::InsecureChannelCredentials()));
    act_ = v1::ActivityService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", activity_->port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 100; ++i) {
      reg::ListCooperationAreasResponse areas;
      v1::ListActivitiesResponse list;
      if (reg_->ListCooperationAreas(Ctx().get(), {}, &areas).ok() &&
          act_->ListActivities(Ctx().get(), {}, &list).ok()) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "services never became ready";
  }

  void TearDown() override {
    activity_->Shutdown();
    registry_->Shutdown();
  }

  void CreateInstitutions(int n) {
    for (int i = 0; i < n; ++i) {
      reg::CreateInstitutionRequest req;
      req.set_institution_id(absl::StrCat("i", i));
      req.mutable_institution()->set_display_name(absl::StrCat("Hospital ", i));
      req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
      req.mutable_institution()->set_country(i == 0 ? "UA" : "PL");
      reg::Institution out;
      grpc::Status s = reg_->CreateInstitution(Ctx().get(), req, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  // A visit hosted by `host` with `partners`; `participants_from` adds a training group of that
  // institution instead (a second role for an institution already involved).
  void CreateActivity(const std::string& id, int host, const std::vector<int>& partners,
                      int participants_from = -1) {
    Activity a;
    a.set_title(absl::StrCat("Activity ", id));
    a.set_host_institution(Inst(host));
    for (int p : partners) a.add_partner_institutions(Inst(p));
    a.mutable_start_date()->set_year(2024);
    a.mutable_start_date()->set_month(5);
    a.mutable_start_date()->set_day(6);
    a.mutable_location()->set_country("UA");
    a.mutable_location()->set_region("UA-46");
    a.set_direction(Activity::DIRECTION_TO_UKRAINE);
    a.set_cooperation_area("surgery");
    if (participants_from >= 0) {
      auto* t = a.mutable_training();
      t->set_format(v1::TrainingDetails::FORMAT_TRAINING_WEEK);
      t->set_hours(8);
      auto* g = t->add_participant_groups();
      g->set_institution(Inst(participants_from));
      g->set_profession(v1::ParticipantGroup::PROFESSION_DOCTOR);
      g->set_headcount(3);
    } else {
      a.mutable_visit()->set_type(v1::VisitDetails::TYPE_MISSION_TO_UKRAINE);
      a.mutable_visit()->set_specialists(2);
    }
    v1::CreateActivityRequest req;
    *req.mutable_activity() = a;
    req.set_activity_id(id);
    Activity out;
    grpc::Status s = act_->CreateActivity(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
  }

  // Every page of ListActivities with `filter`, one activity per page.
  std::set<std::string> List(const std::string& filter) {
    std::set<std::string> names;
    v1::ListActivitiesRequest req;
    req.set_filter(filter);
    req.set_page_size(1);
    do {
      v1::ListActivitiesResponse resp;
      grpc::Status s = act_->ListActivities(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& a : resp.activities()) names.insert(a.name());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return names;
  }

  grpc::Status ListStatus(const std::string& filter) {
    v1::ListActivitiesRequest req;
    req.set_filter(filter);
    v1::ListActivitiesResponse resp;
    return act_->ListActivities(Ctx().get(), req, &resp);
  }

  grpc::Status StatsStatus(const std::string& filter, v1::GetActivityStatsResponse* resp) {
    v1::GetActivityStatsRequest req;
    req.set_filter(filter);
    req.add_group_by(v1::GROUP_BY_INSTITUTION);
    return act_->GetActivityStats(Ctx().get(), req, resp);
  }

  std::unique_ptr<testing::TestDatabase> registry_db_, activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<ActivityServer> activity_;
  std::unique_ptr<reg::RegistryService::Stub> reg_;
  std::unique_ptr<v1::ActivityService::Stub> act_;
};

TEST_F(ActivityFilterTest, AFilterOverTheTermCapIsInvalidArgumentNamingFilterOnListAndStats) {
  for (int terms : {kInstitutions + 1, 70000}) {
    const std::string filter = InstitutionTerms(Range(0, terms));
    grpc::Status list = ListStatus(filter);
    EXPECT_EQ(list.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << terms << " terms";
    EXPECT_EQ(list.error_message().rfind("filter: at most ", 0), 0u) << list.error_message();
    v1::GetActivityStatsResponse stats;
    grpc::Status s = StatsStatus(filter, &stats);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << terms << " terms";
    EXPECT_EQ(s.error_message().rfind("filter: at most ", 0), 0u) << s.error_message();
    EXPECT_LT(s.error_message().size(), 200u);
  }
}

TEST_F(ActivityFilterTest, InstitutionTermsAtTheCapMatchActivitiesInvolvingEveryOneInOneSubquery) {
  CreateInstitutions(kInstitutions);
  CreateActivity("all", 0, Range(1, kInstitutions));
  CreateActivity("all-hosted-elsewhere", kInstitutions - 1, Range(0, kInstitutions - 1));
  CreateActivity("all-but-one", 0, Range(1, kInstitutions - 1));
  // 32 involvement rows but only 31 institutions: i0 is host and a participants' home.
  CreateActivity("i0-twice-but-one-missing", 0, Range(1, kInstitutions - 1), 0);
  CreateActivity("few", 5, {6, 7});

  const std::string every = InstitutionTerms(Range(0, kInstitutions));
  EXPECT_EQ(List(every),
            (std::set<std::string>{"activities/all", "activities/all-hosted-elsewhere"}));
  v1::GetActivityStatsResponse stats;
  grpc::Status s = StatsStatus(every, &stats);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(stats.totals().activities(), 2);
  EXPECT_EQ(stats.totals().distinct_institutions(), kInstitutions);
  EXPECT_EQ(stats.groups_size(), kInstitutions);

  // `!=` terms: none of them; mixed with `=`.
  EXPECT_EQ(
      List(absl::StrCat(InstitutionTerms({0}), " ",
                        InstitutionTerms({kInstitutions - 1, 40}, "!="))),
      (std::set<std::string>{"activities/all-but-one", "activities/i0-twice-but-one-missing"}));
  EXPECT_EQ(List(InstitutionTerms({6, 7, 5})).size(), 5u) << "every activity involves 5, 6, 7";
  EXPECT_EQ(List(InstitutionTerms({6, 7, 5, 0})).count("activities/few"), 0u);
  EXPECT_EQ(List(InstitutionTerms({6, 7, 5, 0})).size(), 4u);

  // However many terms, the statement holds one subquery per direction (= / !=).
  db::Query query("SELECT a.pk FROM activities a WHERE 1 = 1");
  ASSERT_TRUE(AppendActivityFilter(every, query).ok());
  EXPECT_EQ(CountOf(query.sql(), "SELECT"), 2) << query.sql();
  db::Query mixed("SELECT a.pk FROM activities a WHERE 1 = 1");
  ASSERT_TRUE(AppendActivityFilter(absl::StrCat(InstitutionTerms(Range(0, 16)), " ",
                                                InstitutionTerms(Range(16, 32), "!=")),
                                   mixed)
                  .ok());
  EXPECT_EQ(CountOf(mixed.sql(), "SELECT"), 3) << mixed.sql();
}

TEST_F(ActivityFilterTest, RepeatedTermsOnOneColumnCostOneCondition) {
  CreateInstitutions(8);
  CreateActivity("v", 0, {1});
  EXPECT_EQ(List(R"(kind = "VISIT" kind = "KIND_VISIT" country = "ua" country = "UA")"),
            std::set<std::string>{"activities/v"});
  EXPECT_TRUE(List(R"(kind = "VISIT" kind = "TRAINING")").empty());
  db::Query query("SELECT a.pk FROM activities a WHERE 1 = 1");
  std::string filter;
  for (int i = 0; i < 16; ++i) absl::StrAppend(&filter, R"(kind = "VISIT" country = "UA" )");
  ASSERT_TRUE(AppendActivityFilter(filter, query).ok());
  EXPECT_EQ(CountOf(query.sql(), "?"), 2) << query.sql();
}

TEST_F(ActivityFilterTest, BadValuesAreInvalidArgumentNamingTheFieldNotDatabaseErrors) {
  CreateInstitutions(2);
  CreateActivity("v", 0, {1});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(country = "é")", "filter: country: "},
      {R"(country != "Ω")", "filter: country: "},
      {R"(cooperation_area = "ü")", "filter: cooperation_area: "},
      {R"(cooperation_area = "Surgery")", "filter: cooperation_area: "},
      {R"(region = "UA-99")", "filter: region: "},
      {R"(direction = "SIDEWAYS")", "filter: direction: "},
      {R"(agreement = "agreements/Ä")", "filter: agreement: "},
      {R"(start_date >= "2024-13-01")", "filter: start_date: "},
      {absl::StrCat("region = \"", std::string(3000, 'r'), "\""), "filter: region: "},
  };
  for (const auto& [filter, prefix] : cases) {
    grpc::Status list = ListStatus(filter);
    EXPECT_EQ(list.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << filter.substr(0, 40) << ": " << list.error_message();
    EXPECT_EQ(list.error_message().rfind(prefix, 0), 0u) << list.error_message();
    EXPECT_LT(list.error_message().size(), 200u);
    v1::GetActivityStatsResponse stats;
    grpc::Status s = StatsStatus(filter, &stats);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << filter.substr(0, 40) << ": " << s.error_message();
    EXPECT_EQ(s.error_message().rfind(prefix, 0), 0u) << s.error_message();
  }
  // Free-text regions abroad stay allowed.
  EXPECT_TRUE(ListStatus(R"(region = "Île-de-France")").ok());
}

TEST_F(ActivityFilterTest, ForgedOrForeignPageTokensAreInvalidArgumentNamingPageToken) {
  CreateInstitutions(2);
  CreateActivity("a1", 0, {1});
  CreateActivity("a2", 1, {0});
  v1::ListActivitiesRequest req;
  req.set_page_size(1);
  v1::ListActivitiesResponse first;
  ASSERT_TRUE(act_->ListActivities(Ctx().get(), req, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());

  std::vector<std::pair<std::string, v1::ListActivitiesRequest>> cases;
  // A token in the format before tokens were signed, which anyone could write: "v1\n" + the
  // first 16 hex digits of SHA-256("<filter>|<order_by>|<show_deleted>") (here of "||0") +
  // "\n<pk>\n<sort value>", with a sort value that is no date.
  v1::ListActivitiesRequest forged = req;
  forged.set_page_token(absl::WebSafeBase64Escape("v1\n5506577971d4b47a\n1\n2024-99-99 \xff"));
  cases.push_back({"forged", forged});
  v1::ListActivitiesRequest edited = req;
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(first.next_page_token(), &raw));
  raw[raw.size() / 2] ^= 1;  // inside the payload or the MAC
  edited.set_page_token(absl::WebSafeBase64Escape(raw));
  cases.push_back({"edited", edited});
  v1::ListActivitiesRequest truncated = req;
  truncated.set_page_token(first.next_page_token().substr(0, 12));
  cases.push_back({"truncated", truncated});
  v1::ListActivitiesRequest other_filter = req;
  other_filter.set_page_token(first.next_page_token());
  other_filter.set_filter(R"(kind = "VISIT")");
  cases.push_back({"other filter", other_filter});
  v1::ListActivitiesRequest other_order = req;
  other_order.set_page_token(first.next_page_token());
  other_order.set_order_by("start_date desc");
  cases.push_back({"other order", other_order});
  for (const auto& [what, bad] : cases) {
    v1::ListActivitiesResponse resp;
    grpc::Status s = act_->ListActivities(Ctx().get(), bad, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << what << ": " << s.error_message();
    EXPECT_EQ(s.error_message().rfind("page_token: ", 0), 0u) << what << ": " << s.error_message();
  }
  req.set_page_token(first.next_page_token());
  v1::ListActivitiesResponse second;
  grpc::Status s = act_->ListActivities(Ctx().get(), req, &second);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(second.activities_size(), 1);
}

}  // namespace
}  // namespace imp::activity
