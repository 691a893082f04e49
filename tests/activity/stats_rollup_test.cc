// The statistics rollups (activity-service/src/rollups.*, migrations/0004_rollups.sql) against
// the activity rows they summarise: after any sequence of writes, alone or concurrent,
// VerifyStatistics finds nothing and GetActivityStats answers exactly what the activity rows
// alone answer (StatsFromActivities, the computation used before the rollups), for any period,
// filter and grouping; and whole months are really read from the rollups.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "activity-service/src/activity_server.h"
#include "activity-service/src/stats.h"
#include "activity-service/src/validation.h"
#include "common/db/database.h"
#include "common/db/migrations.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/activity/activity_fixture.h"

namespace imp::activity {
namespace {

using v1::Activity;

const std::vector<std::string> kHosts = {"volyn", "lviv", "okhmatdyt", "kharkiv", "odesa"};
const std::vector<std::string> kForeign = {"sussex", "lille", "kaunas", "berlin", "krakow"};
const std::vector<std::string> kAgreements = {"", "volyn-sussex", "lviv-lille", "kharkiv-berlin"};
const std::vector<std::string> kAreas = {"", "surgery", "oncology", "rehabilitation"};

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

// A date from late 2023 to early 2025, often on the first or last day of a month.
google::type::Date RandomDate(std::mt19937& rng) {
  const int year = 2023 + static_cast<int>(rng() % 3);
  const int month = year == 2023   ? 10 + static_cast<int>(rng() % 3)
                    : year == 2025 ? 1 + static_cast<int>(rng() % 3)
                                   : 1 + static_cast<int>(rng() % 12);
  const int last = (absl::CivilDay(absl::CivilMonth(year, month) + 1) - 1).day();
  const int days[] = {1, 2, 15, 28, last};
  return D(year, month, days[rng() % 5]);
}

void RandomDetails(std::mt19937& rng, Activity& a) {
  a.clear_details();
  switch (rng() % 5) {
    case 0:
    case 1: {
      auto* groups = rng() % 2 ? a.mutable_training()->mutable_participant_groups()
                               : a.mutable_event()->mutable_participant_groups();
      if (a.has_training()) a.mutable_training()->set_format(v1::TrainingDetails::FORMAT_COURSE);
      if (a.has_event()) a.mutable_event()->set_type(v1::EventDetails::TYPE_CONFERENCE);
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) {
        auto* g = groups->Add();
        g->set_institution("institutions/" + (rng() % 2 ? Pick(rng, kHosts) : Pick(rng, kForeign)));
        g->set_profession(rng() % 2 ? v1::ParticipantGroup::PROFESSION_DOCTOR
                                    : v1::ParticipantGroup::PROFESSION_NURSE);
        g->set_headcount(1 + static_cast<int>(rng() % 20));
      }
      break;
    }
    case 2:
      a.mutable_operation()->set_operations(1 + static_cast<int>(rng() % 5));
      a.mutable_operation()->set_patients_treated(static_cast<int>(rng() % 6));
      break;
    case 3:
      a.mutable_visit()->set_type(v1::VisitDetails::TYPE_MISSION_TO_UKRAINE);
      a.mutable_visit()->set_specialists(static_cast<int>(rng() % 7));
      break;
    default:
      a.mutable_telemedicine()->set_consultations(1 + static_cast<int>(rng() % 9));
      a.mutable_telemedicine()->set_patients(static_cast<int>(rng() % 9));
  }
  a.set_kind(Activity::KIND_UNSPECIFIED);
}

void RandomLocation(std::mt19937& rng, Activity& a) {
  static const std::vector<std::pair<std::string, std::string>> places = {
      {"UA", "UA-07"},           {"UA", "UA-46"},  {"UA", "UA-30"}, {"UA", ""},
      {"FR", "Hauts-de-France"}, {"DE", "Berlin"}, {"PL", ""}};
  const auto& [country, region] = Pick(rng, places);
  a.mutable_location()->set_country(country);
  a.mutable_location()->set_region(region);
  a.mutable_location()->set_city("City");
}

Activity RandomActivity(std::mt19937& rng) {
  Activity a;
  a.set_title(absl::StrCat("Random activity ", rng() % 1000));
  a.set_host_institution("institutions/" + Pick(rng, kHosts));
  const int partners = static_cast<int>(rng() % 3);
  std::vector<std::string> foreign = kForeign;
  std::shuffle(foreign.begin(), foreign.end(), rng);
  for (int i = 0; i < partners; ++i) a.add_partner_institutions("institutions/" + foreign[i]);
  const std::string agreement = Pick(rng, kAgreements);
  if (!agreement.empty()) a.set_agreement("agreements/" + agreement);
  *a.mutable_start_date() = RandomDate(rng);
  RandomLocation(rng, a);
  static const Activity::Direction directions[] = {Activity::DIRECTION_TO_UKRAINE,
                                                   Activity::DIRECTION_FROM_UKRAINE,
                                                   Activity::DIRECTION_WITHIN_UKRAINE};
  a.set_direction(directions[rng() % 3]);
  a.set_cooperation_area(Pick(rng, kAreas));
  RandomDetails(rng, a);
  return a;
}

// A filter of up to four random terms (each field's values checked as clients send them).
std::string RandomFilter(std::mt19937& rng) {
  static const std::vector<std::string> terms = {
      R"(kind = "TRAINING")",
      R"(kind != "OPERATION")",
      R"(country = "UA")",
      R"(country = "FR")",
      R"(region = "UA-46")",
      R"(region = "Berlin")",
      R"(agreement = "agreements/volyn-sussex")",
      R"(agreement != "agreements/lviv-lille")",
      R"(institution = "institutions/volyn")",
      R"(institution = "institutions/sussex")",
      R"(institution = "institutions/kaunas")",
      R"(institution != "institutions/lille")",
      R"(cooperation_area = "surgery")",
      R"(direction = "TO_UKRAINE")",
      R"(start_date >= "2024-03-01")",
      R"(start_date > "2024-02-15")",
      R"(start_date < "2024-10-01")",
      R"(start_date <= "2024-09-28")",
      R"(start_date != "2024-05-15")",
      R"(start_date = "2024-06-01")",
      R"("Random")",
  };
  std::vector<std::string> chosen;
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) chosen.push_back(Pick(rng, terms));
  return absl::StrJoin(chosen, " AND ");
}

v1::GetActivityStatsRequest RandomStatsRequest(std::mt19937& rng) {
  v1::GetActivityStatsRequest req;
  switch (rng() % 6) {
    case 0: break;  // all time
    case 1:         // whole months
      *req.mutable_start_date() = D(2024, 1 + static_cast<int>(rng() % 6), 1);
      *req.mutable_end_date() = D(2024, 7 + static_cast<int>(rng() % 5), 30);
      req.mutable_end_date()->set_day(req.end_date().month() == 9 ? 30 : 31);
      if (req.end_date().month() == 11) req.mutable_end_date()->set_day(30);
      break;
    case 2:  // partial months at both ends
      *req.mutable_start_date() = D(2023, 11, 15);
      *req.mutable_end_date() = D(2024, 12, 2);
      break;
    case 3:  // one side open
      if (rng() % 2) {
        *req.mutable_start_date() = RandomDate(rng);
      } else {
        *req.mutable_end_date() = RandomDate(rng);
      }
      break;
    case 4: {  // within one month
      const google::type::Date d = RandomDate(rng);
      *req.mutable_start_date() = D(d.year(), d.month(), 1);
      *req.mutable_end_date() = D(d.year(), d.month(), 15);
      break;
    }
    default:  // any two dates
      *req.mutable_start_date() = D(2023, 10, 1);
      *req.mutable_end_date() = RandomDate(rng);
  }
  req.set_filter(RandomFilter(rng));
  std::vector<v1::GroupBy> dims = {
      v1::GROUP_BY_MONTH,   v1::GROUP_BY_QUARTER, v1::GROUP_BY_YEAR,        v1::GROUP_BY_KIND,
      v1::GROUP_BY_COUNTRY, v1::GROUP_BY_REGION,  v1::GROUP_BY_INSTITUTION, v1::GROUP_BY_AGREEMENT};
  std::shuffle(dims.begin(), dims.end(), rng);
  const int groups = static_cast<int>(rng() % 4);
  for (int i = 0; i < groups; ++i) req.add_group_by(dims[i]);
  return req;
}

class StatsRollupTest : public ActivityTest {
 protected:
  void SetUp() override {
    ActivityTest::SetUp();
    Institution("kharkiv", "UA", "UA-63");
    Institution("odesa", "UA", "UA-51");
    Institution("berlin", "DE");
    Institution("krakow", "PL");
    Agreement("kharkiv-berlin", "kharkiv", "berlin", true);
    raw_ = std::make_unique<db::Database>(activity_db_->pool_options(), Migrations());
    ASSERT_TRUE(raw_->CheckReady(absl::Now() + absl::Seconds(10)).ok());
  }

  // What the activity rows alone say (the computation used before the rollups existed).
  v1::GetActivityStatsResponse FromActivities(const v1::GetActivityStatsRequest& req) {
    v1::GetActivityStatsResponse out;
    absl::Status s = raw_->InTransaction(absl::Now() + absl::Seconds(30), [&](db::Connection& c) {
      return StatsFromActivities(c, req, &out);
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  v1::GetActivityStatsResponse Served(const v1::GetActivityStatsRequest& req) {
    v1::GetActivityStatsResponse out;
    grpc::Status s = act_->GetActivityStats(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message() << " for " << req.ShortDebugString();
    return out;
  }

  // The served answer equals the activity rows' answer, figure by figure, group by group, in
  // the same order.
  // Returns the number of activities counted, so that callers can check they compared figures
  // that are not all zero.
  int64_t ExpectServedAsFromActivities(const v1::GetActivityStatsRequest& req) {
    const v1::GetActivityStatsResponse served = Served(req);
    const v1::GetActivityStatsResponse expected = FromActivities(req);
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differ.Compare(expected, served)) << "request: " << req.ShortDebugString() << "\n"
                                                  << diff.substr(0, 3000);
    return expected.totals().activities();
  }

  v1::VerifyStatisticsResponse Verify() {
    v1::VerifyStatisticsResponse out;
    grpc::Status s = act_->VerifyStatistics(Ctx().get(), {}, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  grpc::Status Update(const Activity& a, const std::vector<std::string>& paths, Activity* out) {
    v1::UpdateActivityRequest req;
    *req.mutable_activity() = a;
    for (const auto& p : paths) req.mutable_update_mask()->add_paths(p);
    return act_->UpdateActivity(Ctx().get(), req, out);
  }

  grpc::Status SetDeleted(const std::string& name, bool deleted, Activity* out) {
    if (deleted) {
      v1::DeleteActivityRequest req;
      req.set_name(name);
      return act_->DeleteActivity(Ctx().get(), req, out);
    }
    v1::UndeleteActivityRequest req;
    req.set_name(name);
    return act_->UndeleteActivity(Ctx().get(), req, out);
  }

  // The state of one writer of random changes (RandomWrite). `tag` keeps its request ids and
  // external references apart from other writers'; `shared` (optional) lists every writer's
  // live activities, which its updates may pick (so concurrent writers also change the same
  // activities, not only the same rollup rows).
  struct Writer {
    Writer(std::string tag, uint32_t seed) : tag(std::move(tag)), rng(seed) {}
    std::string tag;
    std::mt19937 rng;
    std::vector<std::string> live, deleted;                       // this writer's activities
    std::vector<std::pair<std::string, std::string>> references;  // (host, reference)
    int imports = 0;
    int ops[5] = {0, 0, 0, 0, 0};  // creates, updates, deletes, undeletes, imports done
    int retries = 0;               // calls retried after ABORTED (a lost race, nothing changed)
    std::string errors;
  };
  struct SharedNames {
    absl::Mutex mu;
    std::vector<std::string> names ABSL_GUARDED_BY(mu);
  };

  // Runs `call` again (with the same request, so with the same request_id) while it fails with
  // ABORTED: a write that lost a race and changed nothing, which a client retries.
  static grpc::Status RetryAborted(Writer& w, const std::function<grpc::Status()>& call) {
    grpc::Status s = call();
    for (int i = 0; i < 5 && s.error_code() == grpc::StatusCode::ABORTED; ++i) {
      ++w.retries;
      absl::SleepFor(absl::Milliseconds(5 * (i + 1)));
      s = call();
    }
    return s;
  }

  // One random write: a create, an update that moves an activity between months, countries,
  // kinds and institutions, a delete, an undelete, or an import that creates rows and updates
  // earlier ones by external reference. What went wrong, if anything, goes to w.errors.
  void RandomWrite(Writer& w, SharedNames* shared) {
    std::mt19937& rng = w.rng;
    const int dice = static_cast<int>(rng() % 100);
    Activity out;
    auto fail = [&](const char* what, const grpc::Status& s) {
      absl::StrAppend(&w.errors, w.tag, " ", what, ": ", s.error_code(), " ", s.error_message(),
                      "\n");
    };
    auto share = [&](const std::string& name) {
      if (shared == nullptr) return;
      absl::MutexLock lock(&shared->mu);
      shared->names.push_back(name);
    };
    if (dice < 30 || w.live.empty()) {
      const Activity a = RandomActivity(rng);
      const std::string request_id = absl::StrCat(w.tag, "-create-", w.ops[0]);
      grpc::Status s = RetryAborted(w, [&] { return Create(a, &out, "", request_id); });
      if (!s.ok()) return fail("create", s);
      w.live.push_back(out.name());
      share(out.name());
      ++w.ops[0];
    } else if (dice < 60) {
      Activity change = RandomActivity(rng);
      bool mine = true;
      change.set_name(Pick(rng, w.live));
      if (shared != nullptr && rng() % 2) {
        absl::MutexLock lock(&shared->mu);
        change.set_name(Pick(rng, shared->names));
        mine = std::find(w.live.begin(), w.live.end(), change.name()) != w.live.end();
      }
      static const std::vector<std::string> fields = {
          "start_date", "location",  "host_institution", "partner_institutions",
          "agreement",  "direction", "cooperation_area", "details"};
      std::vector<std::string> paths;
      for (const auto& f : fields) {
        if (rng() % 3 != 0) continue;
        if (f == "start_date") paths.push_back("end_date");  // stored as the start date
        if (f == "details") {
          std::string kind = Activity::Kind_Name(KindOf(change)).substr(5);  // "KIND_"
          for (char& ch : kind) ch = static_cast<char>(std::tolower(ch));
          paths.push_back(kind);
        } else {
          paths.push_back(f);
        }
      }
      if (paths.empty()) paths = {"start_date", "end_date"};
      grpc::Status s = RetryAborted(w, [&] { return Update(change, paths, &out); });
      // The refusal random changes meet: moving the activity to a host that already has an
      // activity under its external reference; and another writer's activity may have been
      // deleted by its writer meanwhile. Either must change nothing.
      if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS &&
          (mine || s.error_code() != grpc::StatusCode::FAILED_PRECONDITION)) {
        return fail("update", s);
      }
      ++w.ops[1];
    } else if (dice < 70) {
      const size_t i = rng() % w.live.size();
      grpc::Status s = RetryAborted(w, [&] { return SetDeleted(w.live[i], true, &out); });
      if (!s.ok()) return fail("delete", s);
      w.deleted.push_back(w.live[i]);
      w.live.erase(w.live.begin() + static_cast<long>(i));
      ++w.ops[2];
    } else if (dice < 77 && !w.deleted.empty()) {
      const size_t i = rng() % w.deleted.size();
      grpc::Status s = RetryAborted(w, [&] { return SetDeleted(w.deleted[i], false, &out); });
      if (!s.ok()) return fail("undelete", s);
      w.live.push_back(w.deleted[i]);
      w.deleted.erase(w.deleted.begin() + static_cast<long>(i));
      ++w.ops[3];
    } else {
      // New rows with external references, and rows that re-import earlier references with
      // other content (updates) or the same.
      std::vector<Activity> rows;
      const int n = 1 + static_cast<int>(rng() % 25);
      for (int i = 0; i < n; ++i) {
        Activity a = RandomActivity(rng);
        if (!w.references.empty() && rng() % 2) {
          const auto& [host, ref] = Pick(rng, w.references);
          a.set_host_institution(host);
          a.set_external_reference(ref);
        } else {
          a.set_external_reference(absl::StrCat(w.tag, "-ref-", w.imports, "-", i));
          w.references.emplace_back(a.host_institution(), a.external_reference());
        }
        rows.push_back(a);
      }
      v1::ImportActivitiesResponse resp;
      const std::string request_id = absl::StrCat(w.tag, "-import-", w.imports++);
      grpc::Status s = RetryAborted(w, [&] {
        resp.Clear();
        return Import(rows, request_id, v1::ImportActivitiesRequest::MODE_BEST_EFFORT, &resp);
      });
      if (!s.ok()) return fail("import", s);
      for (const auto& name : resp.activity_names()) {
        if (std::find(w.live.begin(), w.live.end(), name) != w.live.end()) continue;
        w.live.push_back(name);
        share(name);
      }
      ++w.ops[4];
    }
  }

  // After the writes: VerifyStatistics finds nothing and counts the live activities, and many
  // random periods, filters and groupings (and the gateway's calls) are answered exactly as the
  // activity rows answer them.
  void ExpectRollupsAgreeWithTheActivityRows(std::mt19937& rng, int64_t live) {
    const v1::VerifyStatisticsResponse verified = Verify();
    EXPECT_EQ(verified.mismatches_size(), 0) << verified.DebugString().substr(0, 3000);
    EXPECT_EQ(verified.activities_checked(), live);
    int counted = 0;
    for (int i = 0; i < 150; ++i)
      counted += ExpectServedAsFromActivities(RandomStatsRequest(rng)) > 0;
    EXPECT_GT(counted, 75);  // most random requests match some activities
    v1::GetActivityStatsRequest overview;
    overview.set_filter(R"(institution = "institutions/volyn")");
    ExpectServedAsFromActivities(overview);
    overview.set_filter(
        R"(institution = "institutions/volyn" AND institution = "institutions/sussex")");
    overview.add_group_by(v1::GROUP_BY_INSTITUTION);
    ExpectServedAsFromActivities(overview);
  }

  std::unique_ptr<db::Database> raw_;
};

// Creates, updates that move activities between months, countries, kinds and institutions,
// deletes, undeletes and imports that create and update by external reference, in a fixed
// random order: the rollups follow every one of them.
TEST_F(StatsRollupTest, RandomWritesKeepEveryFigureEqualToTheActivityRows) {
  Writer w("solo", 20251126);
  // The same few questions after every write: the service keeps their answers
  // (stats_cache.h), and each write must be seen by the next call that covers its months.
  std::vector<v1::GetActivityStatsRequest> asked_again(3);
  asked_again[0].add_group_by(v1::GROUP_BY_MONTH);
  *asked_again[1].mutable_start_date() = D(2024, 1, 1);
  *asked_again[1].mutable_end_date() = D(2024, 12, 31);
  asked_again[1].add_group_by(v1::GROUP_BY_INSTITUTION);
  asked_again[2].set_filter(R"(institution = "institutions/volyn")");
  for (int op = 0; op < 260 && w.errors.empty(); ++op) {
    RandomWrite(w, nullptr);
    for (const auto& req : asked_again) ExpectServedAsFromActivities(req);
  }
  ASSERT_EQ(w.errors, "");
  // The questions asked after every write were about activities that exist (all time: every
  // live one), so their comparisons could fail.
  EXPECT_EQ(ExpectServedAsFromActivities(asked_again[0]), static_cast<int64_t>(w.live.size()));
  EXPECT_EQ(w.retries, 0);  // alone, no write loses a race
  ASSERT_GT(w.live.size(), 100u);
  for (int done : w.ops) EXPECT_GT(done, 5);  // every kind of write ran
  ExpectRollupsAgreeWithTheActivityRows(w.rng, static_cast<int64_t>(w.live.size()));
}

// The same random writes from four threads at once (creates, updates, also of each other's
// activities, deletes, undeletes and imports on shared months, places and teams), while a
// fifth thread keeps asking VerifyStatistics: each of its answers finds nothing (a write's
// activity rows and rollup rows commit together, and each comparison reads one snapshot), and
// afterwards every figure equals the activity rows' figure.
TEST_F(StatsRollupTest, ConcurrentRandomWritersKeepEveryFigureEqualToTheActivityRows) {
  constexpr int kWriters = 4;
  constexpr int kOpsPerWriter = 70;
  std::vector<std::unique_ptr<Writer>> writers;
  for (int i = 0; i < kWriters; ++i)
    writers.push_back(std::make_unique<Writer>(absl::StrCat("w", i), 7000 + i));
  SharedNames shared;
  std::atomic<int> running{kWriters};
  std::atomic<int> verifications{0};
  std::string verifier_errors;
  std::thread verifier([&] {
    while (running.load() > 0) {
      v1::VerifyStatisticsResponse verified;
      grpc::Status s = act_->VerifyStatistics(Ctx().get(), {}, &verified);
      if (!s.ok() || verified.mismatches_size() > 0) {
        absl::StrAppend(&verifier_errors, s.error_message(), " ",
                        verified.DebugString().substr(0, 2000), "\n");
        return;
      }
      ++verifications;
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  std::vector<std::thread> threads;
  for (auto& w : writers) {
    threads.emplace_back([&, writer = w.get()] {
      for (int op = 0; op < kOpsPerWriter && writer->errors.empty(); ++op)
        RandomWrite(*writer, &shared);
      --running;
    });
  }
  for (auto& t : threads) t.join();
  verifier.join();
  int64_t live = 0;
  int ops[5] = {0, 0, 0, 0, 0};
  for (const auto& w : writers) {
    EXPECT_EQ(w->errors, "");
    live += static_cast<int64_t>(w->live.size());
    for (int k = 0; k < 5; ++k) ops[k] += w->ops[k];
  }
  for (int done : ops) EXPECT_GT(done, 5);  // every kind of write ran concurrently
  EXPECT_EQ(verifier_errors, "");
  EXPECT_GT(verifications.load(), 0);
  std::mt19937 rng(4242);
  ExpectRollupsAgreeWithTheActivityRows(rng, live);
}

// Several writers at once through gRPC on the same hot rollup rows (one month, one place, one
// team): no write fails (deadlocks on the rollup rows are retried), and the rollups end up
// exactly right.
TEST_F(StatsRollupTest, ConcurrentWritersOnTheSameRollupRowsAllSucceedAndAgree) {
  constexpr int kWriters = 4;
  constexpr int kOpsPerWriter = 30;
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(1000 + w);
      std::vector<std::string> mine;
      auto fail = [&](const grpc::Status& s, const char* what) {
        ++failures;
        errors[w] += absl::StrCat(what, ": ", s.error_code(), " ", s.error_message(), "\n");
      };
      for (int op = 0; op < kOpsPerWriter; ++op) {
        Activity a = Training(1 + static_cast<int>(rng() % 5), 1, D(2024, 5, 1 + op % 28));
        Activity out;
        const int dice = static_cast<int>(rng() % 10);
        if (dice < 4 || mine.empty()) {
          grpc::Status s = Create(a, &out);
          if (!s.ok()) fail(s, "create");
          if (s.ok()) mine.push_back(out.name());
        } else if (dice < 6) {
          a.set_name(mine[rng() % mine.size()]);
          a.mutable_start_date()->set_day(1 + static_cast<int>(rng() % 28));
          grpc::Status s = Update(a, {"training", "start_date", "end_date"}, &out);
          if (!s.ok()) fail(s, "update");
        } else if (dice < 8) {
          const std::string name = mine[rng() % mine.size()];
          grpc::Status s = SetDeleted(name, true, &out);
          if (s.ok()) s = SetDeleted(name, false, &out);
          if (!s.ok()) fail(s, "delete/undelete");
        } else {
          std::vector<Activity> rows;
          for (int i = 0; i < 5; ++i) {
            Activity r = a;
            r.set_external_reference(absl::StrCat("w", w, "-", rng() % 8));
            r.mutable_training()->mutable_participant_groups(0)->set_headcount(
                1 + static_cast<int>(rng() % 9));
            bool repeated = false;
            for (const auto& earlier : rows)
              repeated |= earlier.external_reference() == r.external_reference();
            if (!repeated) rows.push_back(r);
          }
          v1::ImportActivitiesResponse resp;
          grpc::Status s = Import(rows, absl::StrCat("w", w, "-", op),
                                  v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp);
          if (!s.ok()) fail(s, "import");
          if (s.ok() && resp.rows_failed() > 0) {
            ++failures;
            errors[w] += absl::StrCat("import rows failed: ", resp.errors(0).reason(), "\n");
          }
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0) << absl::StrJoin(errors, "");
  const v1::VerifyStatisticsResponse verified = Verify();
  EXPECT_EQ(verified.mismatches_size(), 0) << verified.DebugString().substr(0, 3000);
  v1::GetActivityStatsRequest may;
  *may.mutable_start_date() = D(2024, 5, 1);
  *may.mutable_end_date() = D(2024, 5, 31);
  may.add_group_by(v1::GROUP_BY_INSTITUTION);
  ExpectServedAsFromActivities(may);
  may.clear_group_by();
  may.add_group_by(v1::GROUP_BY_MONTH);
  ExpectServedAsFromActivities(may);
}

// A write chosen as the victim of a deadlock on a rollup row is retried, not failed: another
// transaction (heavier, so InnoDB rolls the write back) holds the April rollup row and then
// waits for the activity the write has just inserted. The write's transaction is rolled back
// with error 1213, Database::InTransaction runs it again, and CreateActivity succeeds once the
// other transaction has ended.
TEST_F(StatsRollupTest, AWriteRolledBackByADeadlockOnARollupRowIsRetriedAndSucceeds) {
  Activity out;
  ASSERT_TRUE(Create(Training(1, 1, D(2024, 4, 3)), &out).ok());
  auto deadlocks = [&] {
    return std::stoll(
        activity_db_->QueryString("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                  "WHERE VARIABLE_NAME = 'INNODB_DEADLOCKS'"));
  };
  const int64_t deadlocks_before = deadlocks();
  RequestContext ctx;
  ctx.deadline = absl::Now() + absl::Seconds(30);
  auto held = raw_->Begin(ctx);
  ASSERT_TRUE(held.ok()) << held.status();
  // Weight (InnoDB rolls back the transaction that changed less), then the April row.
  ASSERT_TRUE((*held)
                  ->Run([](db::Connection& c) {
                    std::string values;
                    for (int i = 0; i < 200; ++i) {
                      absl::StrAppend(&values, i ? ", " : "",
                                      "('weight', 1, 'test', 'TEST', '', '{}', NOW(6))");
                    }
                    c.ExecuteDirect(absl::StrCat("INSERT INTO changes (resource_name, revision, "
                                                 "actor, action, changed_fields, snapshot, "
                                                 "change_time) VALUES ",
                                                 values)
                                        .c_str());
                    c.ExecuteDirect(
                        "UPDATE stats_months SET activities = activities WHERE month = "
                        "'2024-04-01'");
                    return absl::OkStatus();
                  })
                  .ok());
  grpc::Status created;
  std::thread writer([&] {
    Activity victim;
    created = Create(Training(2, 2, D(2024, 4, 20)), &victim, "deadlock-victim");
  });
  // Once the write waits for the April row (its upsert stays in the process list while the
  // row lock is held), wait for the activity it inserted: a cycle.
  auto write_waits = [&] {
    return activity_db_->QueryString(
               "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
               "AND INFO LIKE 'INSERT INTO stats_months%'") != "0";
  };
  for (int i = 0; i < 200 && !write_waits(); ++i) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_TRUE(write_waits()) << "the write never reached the April rollup row";
  absl::Status locked = (*held)->Run([](db::Connection& c) {
    c.ExecuteDirect("SELECT pk FROM activities WHERE id = 'deadlock-victim' FOR UPDATE");
    return absl::OkStatus();
  });
  EXPECT_TRUE(locked.ok()) << locked;  // the write was the victim, not this transaction
  held->reset();                       // rolls back: the retried write can go on
  writer.join();
  EXPECT_TRUE(created.ok()) << created.error_message();
  EXPECT_GT(deadlocks(), deadlocks_before);
  v1::GetActivityStatsRequest april;
  *april.mutable_start_date() = D(2024, 4, 1);
  *april.mutable_end_date() = D(2024, 4, 30);
  EXPECT_EQ(Served(april).totals().activities(), 2);
}

// The read path of a whole-month period does not touch the activity rows: a row written behind
// the service's back (as root, with SQL, so no rollup learns of it) does not change the answer
// for April 2024, while a period that cuts April (whose partial month IS read from the
// activity rows) sees it. VerifyStatistics reports exactly that row's month as missing.
TEST_F(StatsRollupTest, WholeMonthsAreAnsweredFromRollupsAndPartialMonthsFromActivityRows) {
  Activity out;
  for (int day : {1, 10, 30}) ASSERT_TRUE(Create(Training(4, 2, D(2024, 4, day)), &out).ok());
  v1::GetActivityStatsRequest april;
  *april.mutable_start_date() = D(2024, 4, 1);
  *april.mutable_end_date() = D(2024, 4, 30);
  const v1::ActivityTotals before = Served(april).totals();
  ASSERT_EQ(before.activities(), 3);
  ASSERT_EQ(before.participants(), 18);

  activity_db_->Execute(
      "INSERT INTO activities (id, kind, title, agreement_id, host_institution_id, start_date, "
      "end_date, country, region, city, direction, cooperation_area, notes, details, "
      "participants, doctors, operations, patients_treated, specialists, consultations, "
      "telemedicine_patients, revision, create_time, update_time) VALUES ('behind-the-back', "
      "'KIND_TRAINING', 'x', 'volyn-sussex', 'volyn', '2024-04-10', '2024-04-10', 'UA', "
      "'UA-07', 'Lutsk', 'DIRECTION_TO_UKRAINE', 'surgery', '', '{}', 100, 100, 0, 0, 0, 0, 0, "
      "1, NOW(6), NOW(6))");
  activity_db_->Execute(
      "INSERT INTO activity_institutions (activity_pk, institution_id, role, is_primary, "
      "start_date) SELECT pk, 'lille', 'HOST', 1, start_date FROM activities WHERE id = "
      "'behind-the-back'");

  // The whole month: the rollups, which know nothing of the row.
  const v1::ActivityTotals whole = Served(april).totals();
  EXPECT_EQ(whole.activities(), 3);
  EXPECT_EQ(whole.participants(), 18);
  april.add_group_by(v1::GROUP_BY_INSTITUTION);
  const v1::GetActivityStatsResponse by_institution = Served(april);
  // volyn, sussex and okhmatdyt: the loop below checks something only if there are groups.
  ASSERT_EQ(by_institution.groups_size(), 3) << by_institution.ShortDebugString();
  for (const auto& g : by_institution.groups()) EXPECT_NE(g.keys(0).value(), "institutions/lille");
  april.clear_group_by();
  // A partial month (2 to 30 April): read from the activity rows, it sees the row.
  *april.mutable_start_date() = D(2024, 4, 2);
  const v1::ActivityTotals partial = Served(april).totals();
  EXPECT_EQ(partial.activities(), 3);  // 10, 30 April and the row of 10 April
  EXPECT_EQ(partial.participants(), 112);
  // So does a filter that cuts the month.
  *april.mutable_start_date() = D(2024, 4, 1);
  april.set_filter(R"(start_date != "2024-04-30")");
  EXPECT_EQ(Served(april).totals().participants(), 112);

  const v1::VerifyStatisticsResponse verified = Verify();
  ASSERT_EQ(verified.mismatches_size(), 3) << verified.DebugString();
  EXPECT_EQ(verified.mismatches(0).rollup(), "stats_months");
  EXPECT_EQ(verified.mismatches(0).problem(), "differs");
  EXPECT_TRUE(absl::StartsWith(verified.mismatches(0).key(), "month=2024-04-01 kind=KIND_TRAINING"))
      << verified.mismatches(0).key();
  EXPECT_EQ(verified.mismatches(0).expected().participants(), 118);
  EXPECT_EQ(verified.mismatches(0).stored().participants(), 18);
  EXPECT_EQ(verified.mismatches(1).rollup(), "stats_teams");
  EXPECT_EQ(verified.mismatches(1).problem(), "missing");  // a team of lille alone
  EXPECT_EQ(verified.mismatches(2).rollup(), "stats_team_members");
  EXPECT_EQ(verified.mismatches(2).problem(), "missing");
  // Put things back for the fixture's final check.
  activity_db_->Execute(
      "DELETE ai FROM activity_institutions ai JOIN activities a ON a.pk = ai.activity_pk "
      "WHERE a.id = 'behind-the-back'");
  activity_db_->Execute("DELETE FROM activities WHERE id = 'behind-the-back'");
}

// VerifyStatistics lists at most what it is asked for and says when there was more.
TEST_F(StatsRollupTest, VerifyStatisticsIsBoundedAndSaysWhenItStopped) {
  Activity out;
  for (int month = 1; month <= 5; ++month)
    ASSERT_TRUE(Create(Training(1, 1, D(2024, month, 3)), &out).ok());
  activity_db_->Execute("UPDATE stats_months SET participants = participants + 1");
  v1::VerifyStatisticsRequest req;
  req.set_max_mismatches(2);
  v1::VerifyStatisticsResponse resp;
  ASSERT_TRUE(act_->VerifyStatistics(Ctx().get(), req, &resp).ok());
  EXPECT_EQ(resp.mismatches_size(), 2);
  EXPECT_TRUE(resp.more_mismatches());
  EXPECT_EQ(resp.activities_checked(), 5);
  req.set_max_mismatches(1001);
  grpc::Status s = act_->VerifyStatistics(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "max_mismatches: ")) << s.error_message();
  activity_db_->Execute("UPDATE stats_months SET participants = participants - 1");
}

// An existing database upgraded to the rollups reports the same figures: migration 0004 fills
// them from the activities stored before (here: emptied, then filled by its own statements).
TEST_F(StatsRollupTest, TheMigrationFillsTheRollupsFromTheActivitiesAlreadyStored) {
  std::mt19937 rng(4);
  std::vector<Activity> rows;
  for (int i = 0; i < 120; ++i) rows.push_back(RandomActivity(rng));
  v1::ImportActivitiesResponse resp;
  ASSERT_TRUE(
      Import(rows, "before-upgrade", v1::ImportActivitiesRequest::MODE_ALL_OR_NOTHING, &resp).ok());
  ASSERT_EQ(resp.rows_imported(), 120);
  Activity out;
  ASSERT_TRUE(SetDeleted(resp.activity_names(0), true, &out).ok());
  for (const char* table : {"stats_months", "stats_teams", "stats_team_members"})
    activity_db_->Execute(absl::StrCat("DELETE FROM ", table));
  EXPECT_GT(Verify().mismatches_size(), 0);

  const db::Migration* rollups = nullptr;
  for (const auto& m : Migrations())
    if (m.version == 4) rollups = &m;
  ASSERT_NE(rollups, nullptr);
  int fills = 0;
  for (const std::string& statement : db::SplitSqlStatements(rollups->sql)) {
    if (!absl::StartsWith(statement, "INSERT")) continue;
    activity_db_->Execute(statement);
    ++fills;
  }
  EXPECT_EQ(fills, 3);
  const v1::VerifyStatisticsResponse verified = Verify();
  EXPECT_EQ(verified.mismatches_size(), 0) << verified.DebugString().substr(0, 3000);
  EXPECT_EQ(verified.activities_checked(), 119);  // the refilled rollups hold every live row
  int counted = 0;
  for (int i = 0; i < 30; ++i) counted += ExpectServedAsFromActivities(RandomStatsRequest(rng)) > 0;
  EXPECT_GT(counted, 0) << "every random request matched nothing: the comparisons proved nothing";
}

// Regions are free text abroad and compare under the database collation: spellings it holds
// equal are one rollup row and one group, as they are one group over the activity rows.
TEST_F(StatsRollupTest, RegionSpellingsTheDatabaseHoldsEqualStayOneGroup) {
  Activity out;
  for (const char* region : {"Hauts-de-France", "hauts-de-france", "HAUTS-DE-FRANCE"}) {
    Activity a = Training(2, 1, D(2024, 3, 5));
    a.mutable_location()->set_country("FR");
    a.mutable_location()->set_region(region);
    ASSERT_TRUE(Create(a, &out).ok());
  }
  v1::GetActivityStatsRequest req;
  req.add_group_by(v1::GROUP_BY_REGION);
  const v1::GetActivityStatsResponse served = Served(req);
  const v1::GetActivityStatsResponse expected = FromActivities(req);
  ASSERT_EQ(served.groups_size(), 1);
  ASSERT_EQ(expected.groups_size(), 1);
  EXPECT_EQ(served.groups(0).totals().activities(), 3);
  EXPECT_EQ(served.groups(0).totals().DebugString(), expected.groups(0).totals().DebugString());
  // Which spelling names the group is the database's choice either way.
  EXPECT_TRUE(absl::EqualsIgnoreCase(served.groups(0).keys(0).value(), "Hauts-de-France"));
  req.set_filter(R"(region = "HAUTS-de-france")");
  req.clear_group_by();
  EXPECT_EQ(Served(req).totals().activities(), 3);
}

}  // namespace
}  // namespace imp::activity
