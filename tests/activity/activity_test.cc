// activity-service end to end: real registry and activity servers on loopback, each with its own
// real MariaDB database, driven through the generated stubs.
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "activity-service/src/activity_server.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/activity/activity_fixture.h"
#include "tests/support/test_database.h"

namespace imp::activity {
namespace {

using v1::Activity;
namespace reg = registry::v1;

TEST_F(ActivityTest, CreateAndGetATrainingWithDerivedKind) {
  Activity created;
  grpc::Status s = Create(Training(12, 8, D(2023, 11, 13)), &created, "lutsk-week");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.name(), "activities/lutsk-week");
  EXPECT_EQ(created.kind(), Activity::KIND_TRAINING);
  EXPECT_EQ(created.end_date().day(), 13) << "end_date defaults to start_date";
  v1::GetActivityRequest get;
  get.set_name(created.name());
  Activity got;
  ASSERT_TRUE(act_->GetActivity(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
  ASSERT_EQ(got.training().participant_groups_size(), 2);
  EXPECT_EQ(got.training().participant_groups(1).headcount(), 8);
  EXPECT_EQ(got.partner_institutions(0), "institutions/sussex");
}

// CreateActivity answers from what it inserted instead of reading the row back: the answer
// must still be exactly what a read returns (partners in stored order, output-only and unknown
// fields the client sent dropped, times and etag as stored).
TEST_F(ActivityTest, CreateAnswersExactlyWhatGetActivityReadsBack) {
  Activity a = Training(3, 4, D(2024, 2, 5));
  a.clear_partner_institutions();
  a.add_partner_institutions("institutions/sussex");
  a.add_partner_institutions("institutions/kaunas");  // stored order: kaunas, sussex
  a.set_name("activities/not-this-one");
  a.set_etag("r41");
  a.mutable_create_time()->set_seconds(1);
  a.mutable_update_time()->set_seconds(2);
  a.mutable_delete_time()->set_seconds(3);
  a.GetReflection()->MutableUnknownFields(&a)->AddVarint(9999, 7);
  Activity created;
  grpc::Status s = Create(a, &created, "", "answers-as-stored");
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::GetActivityRequest get;
  get.set_name(created.name());
  Activity got;
  ASSERT_TRUE(act_->GetActivity(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.DebugString(), created.DebugString());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());
  ASSERT_EQ(created.partner_institutions_size(), 2);
  EXPECT_EQ(created.partner_institutions(0), "institutions/kaunas");
  EXPECT_FALSE(created.has_delete_time());
  EXPECT_EQ(created.etag(), "r1");
}

TEST_F(ActivityTest, InvalidActivitiesAreRejectedNamingTheField) {
  std::vector<std::pair<Activity, std::string>> cases;
  Activity a = Training(1, 1, D(2024, 1, 1));
  a.clear_title();
  cases.push_back({a, "activity.title"});
  a = Training(1, 1, D(2024, 1, 1));
  a.clear_details();
  cases.push_back({a, "activity.details"});
  a = Training(0, 1, D(2024, 1, 1));
  cases.push_back({a, "activity.training.participant_groups[0].headcount"});
  a = Training(1, 1, D(2024, 2, 30));
  cases.push_back({a, "activity.start_date"});
  a = Training(1, 1, D(2024, 3, 1));
  *a.mutable_end_date() = D(2024, 2, 1);
  cases.push_back({a, "activity.end_date"});
  a = Training(1, 1, D(2024, 1, 1));
  a.mutable_location()->set_region("UA-99");
  cases.push_back({a, "activity.location.region"});
  a = Training(1, 1, D(2024, 1, 1));
  a.set_direction(Activity::DIRECTION_UNSPECIFIED);
  cases.push_back({a, "activity.direction"});
  a = Training(1, 1, D(2024, 1, 1));
  a.set_kind(Activity::KIND_OPERATION);
  cases.push_back({a, "activity.kind"});
  a = Training(1, 1, D(2024, 1, 1));
  a.add_partner_institutions("institutions/volyn");
  cases.push_back({a, "activity.partner_institutions[1]"});
  a = Training(1, 1, D(2024, 1, 1));
  a.mutable_operation()->set_operations(0);
  cases.push_back({a, "activity.operation.operations"});
  for (const auto& [activity, field] : cases) {
    Activity out;
    grpc::Status s = Create(activity, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(s.error_message().rfind(field + ":", 0), 0u) << s.error_message();
  }
}

TEST_F(ActivityTest, ReferencesAreCheckedThroughTheRegistry) {
  Activity out;
  Activity a = Training(1, 1, D(2024, 1, 1));
  a.add_partner_institutions("institutions/nowhere");
  grpc::Status s = Create(a, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "activity.partner_institutions[1]: institutions/nowhere does not exist");

  a = Training(1, 1, D(2024, 1, 1));
  a.set_agreement("agreements/lviv-kaunas");
  s = Create(a, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("activity.agreement: agreements/lviv-kaunas is not ACTIVE"),
            std::string::npos)
      << s.error_message();

  a = Training(1, 1, D(2024, 1, 1));
  a.set_cooperation_area("astrology");
  s = Create(a, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("activity.cooperation_area: 'astrology'", 0), 0u)
      << s.error_message();

  reg::DeleteInstitutionRequest del;
  del.set_name("institutions/okhmatdyt");
  reg::Institution deleted;
  ASSERT_TRUE(reg_->DeleteInstitution(Ctx().get(), del, &deleted).ok());
  s = Create(Training(1, 1, D(2024, 1, 1)), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(
      s.error_message(),
      "activity.training.participant_groups[1].institution: institutions/okhmatdyt is deleted");
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "0");
}

TEST_F(ActivityTest, ReferenceProblemsAndReusedRequestIdsCarryDetailsClientsActOn) {
  Activity out;
  Activity a = Training(1, 1, D(2024, 1, 1));
  a.set_agreement("agreements/lviv-kaunas");
  grpc::Status s = Create(a, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  absl::Status details = FromGrpcStatus(s);
  EXPECT_EQ(api::ReasonOf(details), "REFERENCE_INVALID");
  EXPECT_EQ(api::FieldOf(details), "activity.agreement");
  EXPECT_EQ(api::ResourceNameOf(details), "agreements/lviv-kaunas");

  // AIP-155: a request id is bound to what it created; reusing it for another id is refused
  // (it used to answer with the first activity as if the second had been created).
  ASSERT_TRUE(Create(Training(1, 1, D(2024, 1, 1)), &out, "first-week", "req-9").ok());
  s = Create(Training(2, 2, D(2024, 2, 1)), &out, "second-week", "req-9");
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  details = FromGrpcStatus(s);
  EXPECT_EQ(api::ReasonOf(details), "REQUEST_ID_REUSED");
  EXPECT_EQ(api::ResourceNameOf(details), "activities/first-week");
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "1");
}

TEST_F(ActivityTest, RegistryDownMeansUnavailableAndNothingIsRecorded) {
  registry_->Shutdown();
  Activity out;
  grpc::Status s = Create(Training(3, 1, D(2024, 1, 1)), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_NE(s.error_message().find("registry"), std::string::npos);
  v1::ImportActivitiesResponse resp;
  s = Import({Training(3, 1, D(2024, 1, 1))}, "while-down",
             v1::ImportActivitiesRequest::MODE_BEST_EFFORT, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "0");
}

TEST_F(ActivityTest, RetriedCreateReturnsTheSameActivity) {
  Activity first, second;
  ASSERT_TRUE(Create(Training(2, 2, D(2024, 5, 1)), &first, "", "req-42").ok());
  ASSERT_TRUE(Create(Training(2, 2, D(2024, 5, 1)), &second, "", "req-42").ok());
  EXPECT_EQ(first.name(), second.name());
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "1");
}

TEST_F(ActivityTest, UpdateSwitchesDetailsChecksEtagAndRecordsHistory) {
  Activity created;
  ASSERT_TRUE(Create(Training(2, 2, D(2024, 5, 1)), &created, "act").ok());
  v1::UpdateActivityRequest req;
  req.mutable_activity()->set_name(created.name());
  req.mutable_activity()->set_etag(created.etag());
  req.mutable_activity()->mutable_operation()->set_operations(7);
  req.mutable_activity()->mutable_operation()->set_patients_treated(6);
  req.mutable_update_mask()->add_paths("operation");
  Activity updated;
  grpc::Status s = act_->UpdateActivity(Ctx("editor").get(), req, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.kind(), Activity::KIND_OPERATION);
  EXPECT_FALSE(updated.has_training());
  EXPECT_EQ(act_->UpdateActivity(Ctx().get(), req, &updated).error_code(),
            grpc::StatusCode::ABORTED);

  v1::DeleteActivityRequest del;
  del.set_name(created.name());
  Activity deleted;
  ASSERT_TRUE(act_->DeleteActivity(Ctx().get(), del, &deleted).ok());
  EXPECT_TRUE(deleted.has_delete_time());
  EXPECT_EQ(Totals("", D(2024, 1, 1), D(2024, 12, 31)).activities(), 0)
      << "deleted activities do not count";
  v1::UndeleteActivityRequest undel;
  undel.set_name(created.name());
  ASSERT_TRUE(act_->UndeleteActivity(Ctx().get(), undel, &deleted).ok());
  EXPECT_EQ(Totals("", D(2024, 1, 1), D(2024, 12, 31)).operations(), 7);

  v1::ListChangesRequest hist;
  hist.set_name(created.name());
  v1::ListChangesResponse changes;
  ASSERT_TRUE(act_->ListChanges(Ctx().get(), hist, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 4);
  EXPECT_EQ(changes.changes(0).action(), v1::Change::ACTION_UNDELETE);
  EXPECT_EQ(changes.changes(2).action(), v1::Change::ACTION_UPDATE);
  EXPECT_EQ(changes.changes(2).actor(), "editor");
  EXPECT_EQ(changes.changes(2).activity().operation().operations(), 7);
  EXPECT_EQ(changes.changes(3).action(), v1::Change::ACTION_CREATE);
}

TEST_F(ActivityTest, ListFiltersAndPagesByDate) {
  for (int day = 1; day <= 9; ++day) {
    Activity out;
    Activity a = Training(1, 1, D(2024, 4, day));
    if (day % 3 == 0) {
      a.set_agreement("agreements/lviv-lille");
      a.set_host_institution("institutions/lviv");
      a.clear_partner_institutions();
      a.mutable_location()->set_region("UA-46");
    }
    ASSERT_TRUE(Create(a, &out, absl::StrCat("d", day)).ok());
  }
  auto names = [&](const std::string& filter, const std::string& order = "", int page_size = 4) {
    std::vector<std::string> result;
    v1::ListActivitiesRequest req;
    req.set_filter(filter);
    req.set_order_by(order);
    req.set_page_size(page_size);
    do {
      v1::ListActivitiesResponse resp;
      grpc::Status s = act_->ListActivities(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << filter << ": " << s.error_message();
      if (!s.ok()) break;
      for (const auto& a : resp.activities()) result.push_back(a.name());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return result;
  };
  EXPECT_EQ(names("").size(), 9u);
  EXPECT_EQ(names("", "start_date desc").front(), "activities/d9");
  EXPECT_EQ(names(R"(agreement = "agreements/lviv-lille")"),
            (std::vector<std::string>{"activities/d3", "activities/d6", "activities/d9"}));
  EXPECT_EQ(names(R"(institution = "institutions/sussex")").size(), 6u);
  EXPECT_EQ(names(R"(institution = "institutions/okhmatdyt")").size(), 9u) << "participants count";
  EXPECT_EQ(names(R"(start_date >= "2024-04-03" AND start_date < "2024-04-05" kind = "TRAINING")"),
            (std::vector<std::string>{"activities/d3", "activities/d4"}));
  EXPECT_EQ(names(R"(region = "UA-46" direction = "TO_UKRAINE")").size(), 3u);
  v1::ListActivitiesRequest bad;
  bad.set_filter(R"(kind = "PICNIC")");
  v1::ListActivitiesResponse resp;
  EXPECT_EQ(act_->ListActivities(Ctx().get(), bad, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ActivityTest, ImportReportsBadRowsAndAllOrNothingAppliesNothing) {
  std::vector<Activity> rows;
  for (int i = 0; i < 250; ++i) rows.push_back(Training(1 + i % 5, 2, D(2024, 6, 1 + i % 28)));
  rows[17].clear_title();
  rows[120].set_host_institution("institutions/ghost");
  rows[200].mutable_location()->set_country("XX");
  v1::ImportActivitiesResponse resp;
  grpc::Status s =
      Import(rows, "import-1", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.rows_received(), 250);
  EXPECT_EQ(resp.rows_imported(), 0);
  EXPECT_EQ(resp.rows_failed(), 3);
  ASSERT_EQ(resp.errors_size(), 3);
  std::map<int64_t, std::string> fields;
  for (const auto& e : resp.errors()) fields[e.row_number()] = e.field();
  EXPECT_EQ(fields[19], "activity.title");
  EXPECT_EQ(fields[122], "activity.host_institution");
  EXPECT_EQ(fields[202], "activity.location.country");
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "0");

  // The same rows best-effort: the valid ones are applied.
  s = Import(rows, "import-2", v1::ImportActivitiesRequest::MODE_BEST_EFFORT, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.rows_imported(), 247);
  EXPECT_EQ(resp.rows_failed(), 3);
  EXPECT_EQ(resp.activity_names_size(), 247);
  EXPECT_FALSE(resp.replayed());
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "247");

  // Retrying the same import applies nothing twice and answers as the first time.
  v1::ImportActivitiesResponse again;
  ASSERT_TRUE(Import(rows, "import-2", v1::ImportActivitiesRequest::MODE_BEST_EFFORT, &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.rows_imported(), 247);
  EXPECT_EQ(again.activity_names(0), resp.activity_names(0));
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "247");

  // validate_only checks everything and applies nothing.
  v1::ImportActivitiesResponse checked;
  ASSERT_TRUE(
      Import(rows, "import-3", v1::ImportActivitiesRequest::MODE_BEST_EFFORT, &checked, true).ok());
  EXPECT_EQ(checked.rows_failed(), 3);
  EXPECT_EQ(checked.rows_imported(), 0);
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "247");
}

TEST_F(ActivityTest, ImportedIdsThatAlreadyExistAreRowErrors) {
  Activity existing;
  ASSERT_TRUE(Create(Training(1, 1, D(2024, 8, 1)), &existing, "taken").ok());
  auto import_with_ids = [&](v1::ImportActivitiesRequest::Mode mode, const std::string& request_id,
                             v1::ImportActivitiesResponse* resp) {
    auto ctx = Ctx();
    auto writer = act_->ImportActivities(ctx.get(), resp);
    v1::ImportActivitiesRequest msg;
    msg.set_request_id(request_id);
    msg.set_mode(mode);
    for (const std::string id : {"fresh-1", "taken", "fresh-2"}) {
      auto* row = msg.add_rows();
      row->set_row_number(msg.rows_size() + 1);
      row->set_activity_id(id);
      *row->mutable_activity() = Training(2, 2, D(2024, 8, 2));
    }
    writer->Write(msg);
    writer->WritesDone();
    return writer->Finish();
  };
  v1::ImportActivitiesResponse resp;
  ASSERT_TRUE(
      import_with_ids(v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, "ids-1", &resp).ok());
  EXPECT_EQ(resp.rows_imported(), 0);
  ASSERT_EQ(resp.errors_size(), 1);
  EXPECT_EQ(resp.errors(0).row_number(), 3);
  EXPECT_EQ(resp.errors(0).field(), "activity_id");
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "1");
  ASSERT_TRUE(import_with_ids(v1::ImportActivitiesRequest::MODE_BEST_EFFORT, "ids-2", &resp).ok());
  EXPECT_EQ(resp.rows_imported(), 2);
  EXPECT_EQ(resp.rows_failed(), 1);
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "3");
  // Imported rows have their history and their involvements like created ones.
  v1::ListChangesRequest hist;
  hist.set_name("activities/fresh-2");
  v1::ListChangesResponse changes;
  ASSERT_TRUE(act_->ListChanges(Ctx().get(), hist, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 1);
  EXPECT_EQ(changes.changes(0).actor(), "tester");
  EXPECT_EQ(Totals(R"(institution = "institutions/okhmatdyt")", D(2024, 8, 2), D(2024, 8, 2))
                .activities(),
            2);
}

TEST_F(ActivityTest, ConcurrentRetriesOfOneImportApplyItOnce) {
  std::vector<Activity> rows;
  for (int i = 0; i < 100; ++i) rows.push_back(Training(1, 1, D(2024, 7, 1 + i % 28)));
  std::vector<std::thread> threads;
  std::vector<v1::ImportActivitiesResponse> answers(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      grpc::Status s = Import(rows, "same-import", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING,
                              &answers[t]);
      EXPECT_TRUE(s.ok()) << s.error_message();
    });
  }
  for (auto& t : threads) t.join();
  int replayed = 0;
  for (const auto& a : answers) {
    EXPECT_EQ(a.rows_imported(), 100);
    replayed += a.replayed() ? 1 : 0;
  }
  EXPECT_EQ(replayed, 3);
  EXPECT_EQ(activity_db_->QueryString("SELECT COUNT(*) FROM activities"), "100");
}

// Statistics against totals computed here by hand over a generated data set, including
// distinct institutions and month boundaries.
TEST_F(ActivityTest, StatsMatchHandComputedTotals) {
  struct Expected {
    int64_t activities = 0, trainings = 0, events = 0, participants = 0, doctors = 0;
    int64_t operations = 0, patients = 0, visits = 0, specialists = 0, consultations = 0, tele = 0;
    std::set<std::string> institutions;
  };
  std::mt19937 rng(20231113);
  const std::vector<std::string> hosts = {"volyn", "lviv", "okhmatdyt"};
  const std::vector<google::type::Date> dates = {D(2024, 3, 31), D(2024, 4, 1),  D(2024, 4, 15),
                                                 D(2024, 4, 30), D(2024, 5, 1),  D(2024, 6, 30),
                                                 D(2024, 7, 1),  D(2023, 12, 31)};
  std::vector<Activity> rows;
  std::map<std::string, Expected> by_month;  // "2024-04"
  Expected april;                            // 2024-04-01 .. 2024-04-30
  for (int i = 0; i < 400; ++i) {
    Activity a;
    a.set_title(absl::StrCat("generated ", i));
    const std::string host = hosts[rng() % hosts.size()];
    a.set_host_institution("institutions/" + host);
    const bool with_partner = rng() % 2 == 0;
    if (with_partner)
      a.add_partner_institutions(host == "volyn" ? "institutions/sussex" : "institutions/lille");
    *a.mutable_start_date() = dates[rng() % dates.size()];
    a.mutable_location()->set_country("UA");
    a.set_direction(Activity::DIRECTION_WITHIN_UKRAINE);
    std::set<std::string> involved = {host};
    if (with_partner) involved.insert(host == "volyn" ? "sussex" : "lille");
    Expected delta;
    delta.activities = 1;
    switch (rng() % 5) {
      case 0: {
        auto* t = a.mutable_training();
        t->set_format(v1::TrainingDetails::FORMAT_INTERNSHIP);
        const int doctors = 1 + rng() % 9, nurses = 1 + rng() % 4;
        auto* g1 = t->add_participant_groups();
        g1->set_institution("institutions/kaunas");
        g1->set_profession(v1::ParticipantGroup::PROFESSION_DOCTOR);
        g1->set_headcount(doctors);
        auto* g2 = t->add_participant_groups();
        g2->set_institution("institutions/" + host);
        g2->set_profession(v1::ParticipantGroup::PROFESSION_NURSE);
        g2->set_headcount(nurses);
        involved.insert("kaunas");
        delta.trainings = 1;
        delta.participants = doctors + nurses;
        delta.doctors = doctors;
        break;
      }
      case 1: {
        auto* e = a.mutable_event();
        e->set_type(v1::EventDetails::TYPE_CONFERENCE);
        const int n = 1 + rng() % 20;
        auto* g = e->add_participant_groups();
        g->set_institution("institutions/okhmatdyt");
        g->set_profession(v1::ParticipantGroup::PROFESSION_OTHER_HEALTH_WORKER);
        g->set_headcount(n);
        involved.insert("okhmatdyt");
        delta.events = 1;
        delta.participants = n;
        break;
      }
      case 2: {
        const int ops = 1 + rng() % 5, patients = rng() % 6;
        a.mutable_operation()->set_operations(ops);
        a.mutable_operation()->set_patients_treated(patients);
        delta.operations = ops;
        delta.patients = patients;
        break;
      }
      case 3: {
        const int specialists = rng() % 7;
        a.mutable_visit()->set_type(v1::VisitDetails::TYPE_MISSION_TO_UKRAINE);
        a.mutable_visit()->set_specialists(specialists);
        delta.visits = 1;
        delta.specialists = specialists;
        break;
      }
      default: {
        const int consultations = 1 + rng() % 9, patients = rng() % 9;
        a.mutable_telemedicine()->set_consultations(consultations);
        a.mutable_telemedicine()->set_patients(patients);
        delta.consultations = consultations;
        delta.tele = patients;
        break;
      }
    }
    auto add = [&](Expected& e) {
      e.activities += delta.activities;
      e.trainings += delta.trainings;
      e.events += delta.events;
      e.participants += delta.participants;
      e.doctors += delta.doctors;
      e.operations += delta.operations;
      e.patients += delta.patients;
      e.visits += delta.visits;
      e.specialists += delta.specialists;
      e.consultations += delta.consultations;
      e.tele += delta.tele;
      e.institutions.insert(involved.begin(), involved.end());
    };
    const auto& d = a.start_date();
    add(by_month[absl::StrFormat("%04d-%02d", d.year(), d.month())]);
    if (d.year() == 2024 && d.month() == 4) add(april);
    rows.push_back(a);
  }
  v1::ImportActivitiesResponse imported;
  ASSERT_TRUE(
      Import(rows, "generated", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &imported).ok());
  ASSERT_EQ(imported.rows_imported(), 400)
      << (imported.errors_size() ? imported.errors(0).reason() : "");

  auto expect_equal = [](const v1::ActivityTotals& got, const Expected& want,
                         const std::string& label) {
    EXPECT_EQ(got.activities(), want.activities) << label;
    EXPECT_EQ(got.trainings(), want.trainings) << label;
    EXPECT_EQ(got.events(), want.events) << label;
    EXPECT_EQ(got.participants(), want.participants) << label;
    EXPECT_EQ(got.doctors(), want.doctors) << label;
    EXPECT_EQ(got.operations(), want.operations) << label;
    EXPECT_EQ(got.patients_treated(), want.patients) << label;
    EXPECT_EQ(got.visits(), want.visits) << label;
    EXPECT_EQ(got.specialists(), want.specialists) << label;
    EXPECT_EQ(got.consultations(), want.consultations) << label;
    EXPECT_EQ(got.telemedicine_patients(), want.tele) << label;
    EXPECT_EQ(got.distinct_institutions(), static_cast<int64_t>(want.institutions.size())) << label;
  };
  // The month boundaries: 2024-03-31 and 2024-05-01 must stay out of April.
  expect_equal(Totals("", D(2024, 4, 1), D(2024, 4, 30)), april, "April 2024");

  v1::GetActivityStatsRequest req;
  *req.mutable_start_date() = D(2023, 1, 1);
  *req.mutable_end_date() = D(2024, 12, 31);
  req.add_group_by(v1::GROUP_BY_MONTH);
  v1::GetActivityStatsResponse resp;
  ASSERT_TRUE(act_->GetActivityStats(Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.groups_size(), static_cast<int>(by_month.size()));
  for (const auto& group : resp.groups()) {
    expect_equal(group.totals(), by_month[group.keys(0).value()], group.keys(0).value());
  }
  EXPECT_EQ(resp.totals().activities(), 400);

  // Grouped by institution: each institution's activities, hand-counted.
  v1::GetActivityStatsRequest by_inst;
  by_inst.add_group_by(v1::GROUP_BY_INSTITUTION);
  by_inst.set_filter(R"(start_date >= "2024-04-01" AND start_date <= "2024-04-30")");
  ASSERT_TRUE(act_->GetActivityStats(Ctx().get(), by_inst, &resp).ok());
  std::map<std::string, int64_t> want_per_institution;
  for (const auto& a : rows) {
    if (!(a.start_date().year() == 2024 && a.start_date().month() == 4)) continue;
    std::set<std::string> involved = {a.host_institution()};
    for (const auto& p : a.partner_institutions()) involved.insert(p);
    for (const auto& g : a.training().participant_groups()) involved.insert(g.institution());
    for (const auto& g : a.event().participant_groups()) involved.insert(g.institution());
    for (const auto& i : involved) ++want_per_institution[i];
  }
  ASSERT_FALSE(want_per_institution.empty()) << "no April activity: the comparison proves nothing";
  std::map<std::string, int64_t> got_per_institution;
  for (const auto& g : resp.groups())
    got_per_institution[g.keys(0).value()] = g.totals().activities();
  EXPECT_EQ(got_per_institution, want_per_institution);

  // Filters combine with the period.
  EXPECT_EQ(Totals(R"(kind = "OPERATION")", D(2024, 4, 1), D(2024, 4, 30)).operations(),
            april.operations);
  EXPECT_EQ(Totals(R"(kind = "OPERATION")", D(2024, 4, 1), D(2024, 4, 30)).trainings(), 0);
}

}  // namespace
}  // namespace imp::activity
