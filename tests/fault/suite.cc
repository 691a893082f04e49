#include "tests/fault/suite.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/db/migrations.h"
#include "common/server/request_context.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/fault/rows.h"

namespace imp::testing::fault {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

std::string SourceDir() {
  const char* dir = std::getenv("IMP_SOURCE_DIR");
  return dir != nullptr && *dir != '\0' ? dir : IMP_SOURCE_DIR_DEFAULT;
}

std::string RandomHex() {
  static std::mt19937_64 rng{std::random_device{}()};
  return absl::StrCat(absl::Hex(rng(), absl::kZeroPad16));
}

std::string ShellQuote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

// Runs a shell command; returns its stdout, or fails the test (non-fatal) with its output.
std::string RunCommand(const std::string& command, bool* ok = nullptr) {
  std::string out;
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe != nullptr) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  }
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  const bool success = status == 0;
  if (ok != nullptr) *ok = success;
  if (!success && ok == nullptr)
    ADD_FAILURE() << "harness command failed: " << command << "\n" << out;
  return out;
}

bool PortAccepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

std::string BuildDir() {
  const char* dir = std::getenv("IMP_BUILD_DIR");
  return dir != nullptr && *dir != '\0' ? dir : IMP_BUILD_DIR_DEFAULT;
}

// ---- FaultDatabase ----

FaultDatabase::FaultDatabase() {
  db_.Start();
  dir_ = db_.socket().substr(0, db_.socket().rfind('/'));
}

FaultDatabase::~FaultDatabase() {
  if (stalled_) Resume();
  // PrivateMariaDb's destructor stops the server and removes its directory.
}

pid_t FaultDatabase::Pid() const {
  std::ifstream in(dir_ + "/mysqld.pid");
  long pid = -1;
  in >> pid;
  return in ? static_cast<pid_t>(pid) : -1;
}

void FaultDatabase::Kill9() {
  const pid_t pid = Pid();
  ASSERT_GT(pid, 0) << "no mariadbd pid in " << dir_;
  if (stalled_) Resume();
  kill(pid, SIGKILL);
  for (int i = 0; i < 1000 && kill(pid, 0) == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_NE(kill(pid, 0), 0) << "mariadbd survived SIGKILL";
}

void FaultDatabase::Stall() {
  const pid_t pid = Pid();
  ASSERT_GT(pid, 0) << "no mariadbd pid in " << dir_;
  stalled_ = true;
  kill(pid, SIGSTOP);
}

void FaultDatabase::Resume() {
  const pid_t pid = Pid();
  if (pid > 0) kill(pid, SIGCONT);
  stalled_ = false;
}

void FaultDatabase::Restart() { db_.Start(); }

std::string FaultDatabase::Query(const std::string& sql) const {
  bool ok = false;
  std::string out = RunCommand(absl::StrCat("mariadb --no-defaults --socket=", ShellQuote(socket()),
                                            " -uroot -N -B -e ", ShellQuote(sql)),
                               &ok);
  EXPECT_TRUE(ok) << "harness query failed: " << sql << "\n" << out;
  if (!ok) return "";
  const size_t end = out.find_first_of("\t\n");
  return end == std::string::npos ? out : out.substr(0, end);
}

// ---- provisioning ----

ServiceDatabase ProvisionServiceDatabase(const FaultDatabase& db, const std::string& name) {
  const std::string password = RandomHex();
  const std::string migration_password = RandomHex();
  RunCommand(absl::StrCat(ShellQuote(SourceDir() + "/deploy/provision-db.sh"), " ",
                          ShellQuote(db.socket()), " ", name, " ", password, " ",
                          migration_password));
  ServiceDatabase out;
  out.database = name;
  // The service runs as its DML-only user and migrates as <name>_migrate, as deploy/local/up.sh
  // starts it.
  out.flags = {absl::StrCat("--db_socket=", db.socket()), absl::StrCat("--db_user=", name),
               absl::StrCat("--db_migration_user=", name, "_migrate"),
               absl::StrCat("--db_name=", name)};
  out.env = {{"IMP_DB_PASSWORD", password}, {"IMP_DB_MIGRATION_PASSWORD", migration_password}};
  return out;
}

// ---- health, channels, contexts ----

HealthProbe::HealthProbe(const std::string& target)
    : stub_(grpc::health::v1::Health::NewStub(TestChannel(target))) {}

HealthProbe::HealthProbe(std::shared_ptr<grpc::Channel> channel)
    : stub_(grpc::health::v1::Health::NewStub(std::move(channel))) {}

std::string HealthProbe::Check(const std::string& service, absl::Duration timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse resp;
  grpc::Status s = stub_->Check(&ctx, req, &resp);
  if (!s.ok()) {
    static const char* const kCodes[] = {"OK",
                                         "CANCELLED",
                                         "UNKNOWN",
                                         "INVALID_ARGUMENT",
                                         "DEADLINE_EXCEEDED",
                                         "NOT_FOUND",
                                         "ALREADY_EXISTS",
                                         "PERMISSION_DENIED",
                                         "RESOURCE_EXHAUSTED",
                                         "FAILED_PRECONDITION",
                                         "ABORTED",
                                         "OUT_OF_RANGE",
                                         "UNIMPLEMENTED",
                                         "INTERNAL",
                                         "UNAVAILABLE",
                                         "DATA_LOSS",
                                         "UNAUTHENTICATED"};
    const int code = static_cast<int>(s.error_code());
    return code >= 0 && code <= 16 ? kCodes[code] : "ERROR";
  }
  return HealthCheckResponse::ServingStatus_Name(resp.status());
}

namespace {

grpc::ChannelArguments TestChannelArguments() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  args.SetMaxReceiveMessageSize(64 << 20);
  // Each channel its own connection: tests that compare callers must not share one by accident.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

}  // namespace

std::shared_ptr<grpc::Channel> TestChannel(const std::string& target) {
  return grpc::CreateCustomChannel("ipv4:" + target, grpc::InsecureChannelCredentials(),
                                   TestChannelArguments());
}

std::shared_ptr<grpc::Channel> TestChannel(const std::string& target, const TlsOptions& tls) {
  grpc::ChannelArguments args = TestChannelArguments();
  args.SetSslTargetNameOverride(target.substr(0, target.rfind(':')));
  return grpc::CreateCustomChannel("ipv4:" + target, MakeChannelCredentials(tls), args);
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout, const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (token.empty()) {
    ctx->AddMetadata(kActorMetadataKey, "fault-test");
  } else {
    ctx->AddMetadata("authorization", "Bearer " + token);
  }
  return ctx;
}

// ---- Suite ----

Suite::Suite(SuiteOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/imp-fault.XXXXXX";
  if (mkdtemp(tmpl) != nullptr) dir_ = tmpl;
}

Suite::~Suite() {
  // Clients first, then the servers, then the database they use.
  registry_stub_.reset();
  gateway_registry_.reset();
  activity_stub_.reset();
  gateway_activity_.reset();
  for (auto* p : {&gateway_, &activity_, &registry_}) {
    if (*p) (*p)->Kill();
  }
  db_.reset();
  const bool failed = ::testing::Test::HasFailure();
  if (failed) {
    std::printf("fault suite logs kept in %s\n", dir_.c_str());
  } else if (!dir_.empty()) {
    RunCommand(absl::StrCat("rm -rf ", ShellQuote(dir_)));
  }
}

std::unique_ptr<Process> Suite::MakeProcess(const std::string& name, const std::string& binary,
                                            std::vector<std::string> args,
                                            std::vector<std::pair<std::string, std::string>> env) {
  ProcessSpec spec;
  spec.name = name;
  spec.binary = absl::StrCat(BuildDir(), "/", binary);
  spec.args = std::move(args);
  spec.env = std::move(env);
  spec.log_path = absl::StrCat(dir_, "/", name, ".log");
  return std::make_unique<Process>(std::move(spec));
}

void Suite::Start() {
  ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
  db_ = std::make_unique<FaultDatabase>();
  registry_db_ = ProvisionServiceDatabase(*db_, "fault_registry");
  activity_db_ = ProvisionServiceDatabase(*db_, "fault_activity");
  ASSERT_FALSE(::testing::Test::HasFailure()) << "provisioning failed";
  registry_port_ = PickFreePort();
  activity_port_ = PickFreePort();
  gateway_port_ = PickFreePort();
  while (activity_port_ == registry_port_) activity_port_ = PickFreePort();
  while (gateway_port_ == registry_port_ || gateway_port_ == activity_port_) {
    gateway_port_ = PickFreePort();
  }

  admin_token_ = RandomHex() + RandomHex();
  const std::string tokens = dir_ + "/tokens.txt";
  std::ofstream(tokens) << "# sha256(token) role actor\n"
                        << db::Sha256Hex(admin_token_) << " admin fault-admin\n";

  std::vector<std::string> args = {absl::StrCat("--port=", registry_port_)};
  args.insert(args.end(), registry_db_.flags.begin(), registry_db_.flags.end());
  args.insert(args.end(), options_.registry_flags.begin(), options_.registry_flags.end());
  registry_ = MakeProcess("registry", "registry-service/registry_service", args, registry_db_.env);

  args = {absl::StrCat("--port=", activity_port_),
          absl::StrCat("--registry_target=", registry_target())};
  args.insert(args.end(), activity_db_.flags.begin(), activity_db_.flags.end());
  args.insert(args.end(), options_.activity_flags.begin(), options_.activity_flags.end());
  activity_ = MakeProcess("activity", "activity-service/activity_service", args, activity_db_.env);

  args = {absl::StrCat("--port=", gateway_port_), absl::StrCat("--tokens_file=", tokens),
          absl::StrCat("--registry_target=", registry_target()),
          absl::StrCat("--activity_target=", activity_target())};
  args.insert(args.end(), options_.gateway_flags.begin(), options_.gateway_flags.end());
  gateway_ = MakeProcess("gateway", "gateway/gateway", args, {});

  for (Process* p : {registry_.get(), activity_.get(), gateway_.get()}) {
    absl::Status started = p->Start();
    ASSERT_TRUE(started.ok()) << started.message();
  }
  for (Process* p : {registry_.get(), activity_.get(), gateway_.get()}) {
    ASSERT_NO_FATAL_FAILURE(StartAndWait(*p));
  }
  MakeStubs(nullptr);
  ASSERT_NO_FATAL_FAILURE(Seed());
}

void Suite::StartAndWait(Process& process, absl::Duration timeout) {
  const bool starting = !process.Running();
  if (starting) {
    absl::Status started = process.Start();
    ASSERT_TRUE(started.ok()) << started.message();
  }
  const int port = &process == registry_.get()   ? registry_port_
                   : &process == activity_.get() ? activity_port_
                                                 : gateway_port_;
  const absl::Time give_up = absl::Now() + timeout;
  auto exited = [&] {
    return absl::StrCat(
        process.spec().name, " exited at start-up with code ", process.exit_code().value_or(-1),
        " (", absl::StrJoin(process.spec().args, " "), "); its log ends:\n", process.LogTail());
  };
  // A gRPC channel whose first connection is refused retries only seconds later (gRPC 1.51), so
  // the probe is created once the port accepts connections.
  while (!PortAccepts(port)) {
    ASSERT_TRUE(process.Running()) << exited();
    ASSERT_LT(absl::Now(), give_up) << process.spec().name << " did not listen on port " << port
                                    << " within " << timeout << "; its log ends:\n"
                                    << process.LogTail();
    absl::SleepFor(absl::Milliseconds(10));
  }
  HealthProbe probe(Target(port));
  // The gateway's facades are healthy when their backends are: wait for those names too.
  std::vector<std::string> names = {""};
  if (&process == gateway_.get()) {
    names.push_back(registry::v1::RegistryService::service_full_name());
    names.push_back(activity::v1::ActivityService::service_full_name());
  }
  for (const std::string& name : names) {
    std::string last;
    for (;;) {
      ASSERT_TRUE(process.Running()) << exited();
      last = probe.Check(name);
      if (last == "SERVING") break;
      ASSERT_LT(absl::Now(), give_up)
          << process.spec().name << " was not SERVING (" << name << ") within " << timeout
          << " (last: " << last << "); its log ends:\n"
          << process.LogTail();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  // The tests' own channels to a restarted process are replaced, for the same reason.
  if (starting && registry_stub_ != nullptr) MakeStubs(&process);
}

void Suite::MakeStubs(const Process* restarted) {
  if (restarted == nullptr || restarted == registry_.get()) {
    registry_stub_ = registry::v1::RegistryService::NewStub(TestChannel(registry_target()));
  }
  if (restarted == nullptr || restarted == activity_.get()) {
    activity_stub_ = activity::v1::ActivityService::NewStub(TestChannel(activity_target()));
  }
  if (restarted == nullptr || restarted == gateway_.get()) {
    gateway_registry_ = registry::v1::RegistryService::NewStub(TestChannel(gateway_target()));
    gateway_activity_ = activity::v1::ActivityService::NewStub(TestChannel(gateway_target()));
  }
}

void Suite::Seed() {
  registry::v1::CreateInstitutionRequest req;
  req.set_institution_id(std::string(kSeedHost).substr(sizeof("institutions/") - 1));
  req.mutable_institution()->set_display_name("Fault Test Regional Hospital");
  req.mutable_institution()->set_kind(registry::v1::Institution::KIND_HOSPITAL);
  req.mutable_institution()->set_country("UA");
  req.mutable_institution()->set_region("UA-07");
  registry::v1::Institution out;
  grpc::Status s = registry_stub_->CreateInstitution(Context(absl::Seconds(10)).get(), req, &out);
  ASSERT_TRUE(s.ok()) << "seeding the registry failed: " << s.error_message();
}

long Suite::StoredActivities(const std::string& where) const {
  const std::string sql = absl::StrCat("SELECT COUNT(*) FROM ", activity_db_.database,
                                       ".activities", where.empty() ? "" : " WHERE ", where);
  long n = -1;
  const std::string out = db_->Query(sql);
  if (!absl::SimpleAtoi(out, &n)) ADD_FAILURE() << "cannot count activities: " << out;
  return n;
}

long Suite::UncommittedActivities(const std::string& where) const {
  const std::string sql = absl::StrCat(
      "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED; SELECT COUNT(*) FROM ",
      activity_db_.database, ".activities", where.empty() ? "" : " WHERE ", where);
  long n = -1;
  const std::string out = db_->Query(sql);
  if (!absl::SimpleAtoi(out, &n)) ADD_FAILURE() << "cannot count uncommitted activities: " << out;
  return n;
}

long Suite::OpenWriteTransactions() const {
  long n = -1;
  const std::string out =
      db_->Query("SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_rows_modified > 0");
  if (!absl::SimpleAtoi(out, &n)) ADD_FAILURE() << "cannot count transactions: " << out;
  return n;
}

long Suite::StoredActivitiesAfterRestart(const std::string& where) {
  if (!activity_->Running()) StartAndWait(*activity_);
  return StoredActivities(where);
}

// ---- waiting ----

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout, absl::Duration every) {
  const absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    if (done()) return true;
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(every);
  }
}

std::string LogOf(const Process& process) {
  std::ifstream in(process.spec().log_path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> RpcStatusesLogged(const Process& process, const std::string& method) {
  std::vector<std::string> statuses;
  const std::string method_field = absl::StrCat("/", method, " ");
  for (absl::string_view line : absl::StrSplit(LogOf(process), '\n')) {
    if (!absl::StrContains(line, " event=rpc ") || !absl::StrContains(line, method_field)) {
      continue;
    }
    const size_t at = line.find(" status=");
    if (at == absl::string_view::npos) continue;
    absl::string_view status = line.substr(at + 8);
    statuses.emplace_back(status.substr(0, status.find(' ')));
  }
  return statuses;
}

int RpcLogLines(const Process& process, const std::string& method, const std::string& status) {
  const std::vector<std::string> statuses = RpcStatusesLogged(process, method);
  return static_cast<int>(std::count(statuses.begin(), statuses.end(), status));
}

// ---- figures ----

namespace {

std::string GitCommit() {
  if (const char* env = std::getenv("IMP_GIT_COMMIT"); env != nullptr && *env != '\0') return env;
  bool ok = false;
  std::string out = RunCommand(
      absl::StrCat("git -C ", ShellQuote(SourceDir()), " rev-parse HEAD 2>/dev/null"), &ok);
  out = std::string(absl::StripAsciiWhitespace(out));
  return ok ? out : "";
}

}  // namespace

std::string FiguresPath() {
  const char* dir = std::getenv("IMP_REPORT_DIR");
  const std::string base =
      dir != nullptr && *dir != '\0' ? std::string(dir) : BuildDir() + "/reports";
  return base + "/fault-figures.jsonl";
}

namespace {

// The head of every line of the figures file: which test, when, at which commit.
google::protobuf::Struct RecordOf(const std::string& test) {
  google::protobuf::Struct record;
  auto& fields = *record.mutable_fields();
  fields["test"].set_string_value(test);
  fields["utc"].set_string_value(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  const std::string commit = GitCommit();
  if (commit.empty()) {
    fields["git_commit"].set_null_value(google::protobuf::NULL_VALUE);
  } else {
    fields["git_commit"].set_string_value(commit);
  }
  return record;
}

}  // namespace

void PrintFigures(const std::vector<std::pair<std::string, std::string>>& figures) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string test =
      info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name()) : "?";
  std::vector<std::string> parts;
  google::protobuf::Struct record = RecordOf(test);
  auto& fields = *record.mutable_fields();
  auto& values = *fields["figures"].mutable_struct_value()->mutable_fields();
  for (const auto& [key, value] : figures) {
    parts.push_back(absl::StrCat(key, "=", value));
    ::testing::Test::RecordProperty(key, value);
    double number = 0;
    if (absl::SimpleAtod(value, &number) && std::isfinite(number)) {
      values[key].set_number_value(number);
    } else {
      values[key].set_string_value(value);
    }
  }
  std::printf("FIGURES %s: %s\n", info != nullptr ? info->name() : "?",
              absl::StrJoin(parts, " ").c_str());
  std::string json;
  const std::string path = FiguresPath();
  RunCommand(absl::StrCat("mkdir -p ", ShellQuote(path.substr(0, path.rfind('/')))));
  if (!google::protobuf::util::MessageToJsonString(record, &json).ok()) {
    ADD_FAILURE() << "cannot write the figures as JSON";
  } else if (std::ofstream out(path, std::ios::app); !(out << json << "\n")) {
    ADD_FAILURE() << "cannot append the figures to " << path;
  } else {
    std::printf("FIGURES written to %s\n", path.c_str());
  }
  std::fflush(stdout);
}

namespace {

// Appends each fault test's outcome to the figures file after it ends: {"test", "utc",
// "git_commit", "passed"}. Figures are printed before the checks that judge them, so a reader of
// the file takes a test's figures only when the outcome line that follows them says it passed.
class OutcomeRecorder : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& info) override {
    google::protobuf::Struct record =
        RecordOf(absl::StrCat(info.test_suite_name(), ".", info.name()));
    auto& fields = *record.mutable_fields();
    fields["passed"].set_bool_value(info.result() != nullptr && info.result()->Passed());
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(record, &json).ok()) return;
    std::ofstream(FiguresPath(), std::ios::app) << json << "\n";
  }
};

// Registered when the fault suite is linked in, before main() runs the tests.
[[maybe_unused]] const bool kOutcomeRecorderRegistered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new OutcomeRecorder);
  return true;
}();

}  // namespace

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) {
    ADD_FAILURE() << "a percentile of no values: the measurement it bounds did not happen";
    return std::nan("");
  }
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const size_t index = static_cast<size_t>(std::max(1.0, rank)) - 1;
  return values[std::min(index, values.size() - 1)];
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.2f", absl::ToDoubleSeconds(d)); }
std::string Millis(double ms) { return absl::StrFormat("%.1f", ms); }

}  // namespace imp::testing::fault
