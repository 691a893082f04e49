// Activities::VerifyStatistics: the rollups recomputed from the activity rows and compared with
// the stored ones, each comparison in one snapshot.
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "activity-service/src/activities.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/validation.h"

namespace imp::activity {
namespace {

constexpr int kDefaultMismatches = 100;
constexpr int kMaxMismatches = 1000;

// A rollup row's sums (prefix "e_" recomputed, "s_" stored) as ActivityTotals of its kind.
void ReadSums(sql::ResultSet& rs, const std::string& prefix, const std::string& kind,
              v1::ActivityTotals* t) {
  auto get = [&](const char* column) { return rs.getInt64(absl::StrCat(prefix, column)); };
  t->set_activities(get("activities"));
  t->set_trainings(kind == "KIND_TRAINING" ? t->activities() : 0);
  t->set_events(kind == "KIND_EVENT" ? t->activities() : 0);
  t->set_visits(kind == "KIND_VISIT" ? t->activities() : 0);
  t->set_participants(get("participants"));
  t->set_doctors(get("doctors"));
  t->set_operations(get("operations"));
  t->set_patients_treated(get("patients_treated"));
  t->set_specialists(get("specialists"));
  t->set_consultations(get("consultations"));
  t->set_telemedicine_patients(get("telemedicine_patients"));
}

// Runs one comparison (its last parameter is the LIMIT) and adds what it finds; returns false
// when it found more than `room`.
bool Compare(db::Connection& c, const db::Statement& statement, const char* rollup, int room,
             v1::VerifyStatisticsResponse* out) {
  auto& ps = c.Prepare(statement);
  ps.setInt(1, room + 1);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  int found = 0;
  const bool members = &statement == &stmt::kVerifyTeamMembers;
  while (rs->next()) {
    if (++found > room) return false;
    auto* m = out->add_mismatches();
    m->set_rollup(rollup);
    m->set_problem(rs->getString("problem"));
    if (members) {
      m->set_key(absl::StrCat("team_id=", std::string(rs->getString("team_id")),
                              " institution_id=", std::string(rs->getString("institution_id"))));
      m->mutable_expected();
      m->mutable_stored();
      continue;
    }
    const std::string kind = rs->getString("kind");
    std::string key = absl::StrCat("month=", std::string(rs->getString("month")));
    const std::string team = rs->getString("team_id");
    if (!team.empty()) absl::StrAppend(&key, " team_id=", team);
    for (const char* column :
         {"kind", "country", "region", "agreement_id", "cooperation_area", "direction"}) {
      absl::StrAppend(&key, " ", column, "=", std::string(rs->getString(column)));
    }
    m->set_key(key);
    ReadSums(*rs, "e_", kind, m->mutable_expected());
    ReadSums(*rs, "s_", kind, m->mutable_stored());
  }
  return true;
}

}  // namespace

absl::Status Activities::VerifyStatistics(const RequestContext& ctx,
                                          const v1::VerifyStatisticsRequest& req,
                                          v1::VerifyStatisticsResponse* out) {
  if (absl::Status b = CheckRequestBounds(ctx, req); !b.ok()) return b;
  if (req.max_mismatches() < 0 || req.max_mismatches() > kMaxMismatches) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_mismatches: must be between 0 and ", kMaxMismatches));
  }
  const int limit = req.max_mismatches() == 0 ? kDefaultMismatches : req.max_mismatches();
  // Each comparison is one statement, which reads one snapshot (even under READ COMMITTED): a
  // write committing meanwhile is seen in full or not at all, by the activity rows and the
  // rollups alike, so a check running beside writers reports no false mismatch.
  // activities_checked comes from a statement of its own and may count such a write or not.
  return db_->InTransaction(ctx.deadline, [&](db::Connection& c) -> absl::Status {
    out->Clear();
    {
      std::unique_ptr<sql::ResultSet> rs(c.Prepare(stmt::kCountLiveActivities).executeQuery());
      if (rs->next()) out->set_activities_checked(rs->getInt64("n"));
    }
    struct Check {
      const db::Statement& statement;
      const char* rollup;
    };
    for (const Check& check :
         {Check{stmt::kVerifyMonths, "stats_months"}, Check{stmt::kVerifyTeams, "stats_teams"},
          Check{stmt::kVerifyTeamMembers, "stats_team_members"}}) {
      if (!Compare(c, check.statement, check.rollup, limit - out->mismatches_size(), out)) {
        out->set_more_mismatches(true);
        break;
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace imp::activity
