#include "tools/bench/raw_insert.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>
#include <google/protobuf/util/json_util.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace imp::bench {
namespace {

namespace act = imp::activity::v1;

constexpr char kScratch[] = "bench_raw_activities";
constexpr int kRowsPerStatement = 1000;
// The import's column list (activity-service's bulk insert), values bound.
constexpr char kInsert[] =
    "INSERT INTO bench_raw_activities (id, kind, title, agreement_id, host_institution_id, "
    "start_date, end_date, country, region, city, direction, cooperation_area, notes, details, "
    "participants, doctors, operations, patients_treated, specialists, consultations, "
    "telemedicine_patients, revision, create_time, update_time) VALUES ";
constexpr char kRow[] =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, UTC_TIMESTAMP(6), "
    "UTC_TIMESTAMP(6))";

std::string Date(const google::type::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string IdOf(const std::string& name) { return name.substr(name.find('/') + 1); }

// The kind-specific details as the service stores them: the oneof member as proto JSON.
std::string DetailsJson(const act::Activity& a) {
  act::Activity details = a;
  details.clear_title();
  details.clear_agreement();
  details.clear_host_institution();
  details.clear_partner_institutions();
  details.clear_start_date();
  details.clear_location();
  details.clear_direction();
  details.clear_cooperation_area();
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(details, &json);
  return json;
}

// Binds one activity's 21 values from `index` on.
void Bind(sql::PreparedStatement& ps, int index, const act::Activity& a, int64_t i) {
  int64_t participants = 0, doctors = 0;
  auto groups = [&](const auto& list) {
    for (const auto& g : list) {
      participants += g.headcount();
      if (g.profession() == act::ParticipantGroup::PROFESSION_DOCTOR) doctors += g.headcount();
    }
  };
  if (a.has_training()) groups(a.training().participant_groups());
  if (a.has_event()) groups(a.event().participant_groups());
  const int64_t values[] = {participants,
                            doctors,
                            a.operation().operations(),
                            a.operation().patients_treated(),
                            a.visit().specialists(),
                            a.telemedicine().consultations(),
                            a.telemedicine().patients()};
  const std::string kind = a.has_training()       ? "KIND_TRAINING"
                           : a.has_operation()    ? "KIND_OPERATION"
                           : a.has_visit()        ? "KIND_VISIT"
                           : a.has_telemedicine() ? "KIND_TELEMEDICINE"
                                                  : "KIND_EVENT";
  const std::string strings[] = {absl::StrCat("raw-", i),
                                 kind,
                                 a.title(),
                                 IdOf(a.agreement()),
                                 IdOf(a.host_institution()),
                                 Date(a.start_date()),
                                 Date(a.start_date()),
                                 a.location().country(),
                                 a.location().region(),
                                 a.location().city(),
                                 act::Activity::Direction_Name(a.direction()),
                                 a.cooperation_area(),
                                 a.notes(),
                                 DetailsJson(a)};
  for (const auto& s : strings) ps.setString(static_cast<unsigned>(index++), s);
  for (int64_t v : values) ps.setInt64(static_cast<unsigned>(index++), v);
}

}  // namespace

double RawInsertSeconds(const RawDatabase& db, const Programme& programme, int64_t first,
                        int64_t count, int64_t rows_per_transaction) {
  try {
    sql::ConnectOptionsMap props;
    props["hostName"] = sql::SQLString("localhost");
    props["socket"] = sql::SQLString(db.socket);
    props["userName"] = sql::SQLString(db.user);
    props["password"] = sql::SQLString(db.password);
    props["schema"] = sql::SQLString(db.schema);
    props["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    std::unique_ptr<sql::Connection> conn(sql::mysql::get_mysql_driver_instance()->connect(props));
    std::unique_ptr<sql::Statement> direct(conn->createStatement());
    direct->execute("SET SESSION time_zone = '+00:00', tx_isolation = 'READ-COMMITTED'");
    direct->execute(absl::StrCat("DROP TABLE IF EXISTS ", kScratch));
    direct->execute(absl::StrCat("CREATE TABLE ", kScratch, " LIKE activities"));

    std::string full = kInsert;
    for (int r = 0; r < kRowsPerStatement; ++r) absl::StrAppend(&full, r == 0 ? "" : ", ", kRow);
    std::unique_ptr<sql::PreparedStatement> batch(conn->prepareStatement(full));
    const absl::Time start = absl::Now();
    conn->setAutoCommit(false);
    int64_t in_transaction = 0;
    for (int64_t done = 0; done < count;) {
      const int rows = static_cast<int>(std::min<int64_t>(kRowsPerStatement, count - done));
      std::unique_ptr<sql::PreparedStatement> last;
      sql::PreparedStatement* ps = batch.get();
      if (rows < kRowsPerStatement) {  // the tail: a statement of its own length
        std::string sql = kInsert;
        for (int r = 0; r < rows; ++r) absl::StrAppend(&sql, r == 0 ? "" : ", ", kRow);
        last.reset(conn->prepareStatement(sql));
        ps = last.get();
      }
      for (int r = 0; r < rows; ++r) {
        const int64_t i = first + done + r;
        Bind(*ps, 1 + r * 21, MakeActivity(programme, i), i);
      }
      ps->executeUpdate();
      done += rows;
      in_transaction += rows;
      if (in_transaction >= rows_per_transaction || done == count) {
        conn->commit();
        in_transaction = 0;
      }
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    conn->setAutoCommit(true);
    direct->execute(absl::StrCat("DROP TABLE ", kScratch));
    return seconds;
  } catch (const sql::SQLException& e) {
    std::fprintf(stderr, "imp_bench: raw INSERT failed: %s (error %d)\n", e.what(),
                 e.getErrorCode());
    std::exit(1);
  }
}

}  // namespace imp::bench
