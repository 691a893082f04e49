// An upgrade without an outage: deploy/galera/rolling-restart.sh restarts every replica and both
// gateways, one at a time, under a steady mixed load through the gateways. No call fails with a
// status the README does not tell clients to retry, every acknowledged write is there afterwards,
// and each process was drained, came back under a new pid and was SERVING before the next went.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/fault/suite.h"
#include "tests/galera/environment.h"
#include "tests/galera/figures.h"
#include "tests/galera/load.h"
#include "tests/galera/restart_monitor.h"

namespace imp::testing::galera {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
using fault::Context;
using fault::Seconds;

constexpr int kWriters = 4;

std::string Quote(const std::string& s) { return "'" + s + "'"; }  // paths from mkdtemp

// The script under test; IMP_ROLLING_RESTART_SCRIPT runs another (e.g. a broken copy, to see this
// test fail).
std::string Script() {
  if (const char* s = std::getenv("IMP_ROLLING_RESTART_SCRIPT"); s != nullptr && *s != '\0') {
    return s;
  }
  const char* src = std::getenv("IMP_SOURCE_DIR");
  return std::string(src != nullptr && *src != '\0' ? src : IMP_SOURCE_DIR_DEFAULT) +
         "/deploy/galera/rolling-restart.sh";
}

pid_t PidIn(const std::string& file) {
  long pid = -1;
  std::ifstream(file) >> pid;
  return static_cast<pid_t>(pid);
}

// The acknowledged writes that a replica of their service does not return (each is asked).
struct Ledger {
  int acknowledged = 0;
  int unacknowledged = 0;
  int retried = 0;  // writes that took more than one attempt
  int lost = 0;
  int stale_updates = 0;
  int updates_acknowledged = 0;
  std::vector<std::string> lost_examples;
};

Ledger Check(Deployment& suite, const LoadResults& r) {
  std::vector<std::unique_ptr<reg::RegistryService::Stub>> registries;
  std::vector<std::unique_ptr<act::ActivityService::Stub>> activities;
  for (int i = 0; i < 2; ++i) {
    registries.push_back(reg::RegistryService::NewStub(suite.Channel(suite.registry(i))));
    activities.push_back(act::ActivityService::NewStub(suite.Channel(suite.activity(i))));
  }
  Ledger l;
  for (const CreateRecord& c : r.creates) {
    l.retried += c.attempts > 1 ? 1 : 0;
    if (!c.acknowledged) {
      ++l.unacknowledged;
      continue;
    }
    ++l.acknowledged;
    bool everywhere = true;
    for (int i = 0; i < 2; ++i) {
      grpc::Status s;
      if (c.institution) {
        reg::GetInstitutionRequest req;
        req.set_name(c.name);
        reg::Institution out;
        s = registries[i]->GetInstitution(Context(absl::Seconds(10)).get(), req, &out);
      } else {
        act::GetActivityRequest req;
        req.set_name(c.name);
        act::Activity out;
        s = activities[i]->GetActivity(Context(absl::Seconds(10)).get(), req, &out);
      }
      everywhere = everywhere && s.ok();
    }
    if (!everywhere) {
      ++l.lost;
      if (l.lost_examples.size() < 5) l.lost_examples.push_back(c.name);
    }
  }
  for (const UpdateRecord& u : r.updates) {
    l.updates_acknowledged += u.acknowledged;
    if (u.last_attempt_unacknowledged || u.acknowledged == 0) continue;
    for (auto& stub : registries) {
      reg::GetInstitutionRequest req;
      req.set_name(u.institution);
      reg::Institution out;
      grpc::Status s = stub->GetInstitution(Context(absl::Seconds(10)).get(), req, &out);
      if (!s.ok() || out.notes() != u.last_acknowledged_notes) ++l.stale_updates;
    }
  }
  return l;
}

pid_t NodePid(const GaleraCluster& cluster, int node) {
  return PidIn(absl::StrCat(cluster.dir(), "/node", node, "/mysqld.pid"));
}

// The script run with `mode` under the load. `restarted`: the processes it must restart, in the
// order it must; `one_at_a_time`: no two of them down at once (else: no two replicas of one
// service, e.g. the replicas of two services that share a restarted node go together).
void RollUnderLoad(const std::string& mode, const std::vector<std::string>& restarted,
                   bool one_at_a_time) {
  ASSERT_NE(shared().cluster, nullptr);
  GaleraCluster& cluster = *shared().cluster;
  Deployment suite(&cluster, shared().registry, shared().activity, Topology{{1, 2}, {3, 1}, 2});
  absl::Status started = suite.Start();
  ASSERT_TRUE(started.ok()) << started.message();

  // The state directory the script reads, laid out as deploy/galera/up.sh leaves it: run/NAME.pid
  // for each of the six processes (the same names).
  std::string state = "/tmp/imp-galera-rolling.XXXXXX";
  ASSERT_NE(mkdtemp(state.data()), nullptr);
  ASSERT_TRUE(RunCommand("mkdir -p " + Quote(state + "/run") + " " + Quote(state + "/logs")).ok());
  std::vector<Watched> watched;
  for (Process* p : suite.all()) {
    const std::string pid_file = state + "/run/" + p->spec().name + ".pid";
    std::ofstream(pid_file) << p->pid() << "\n";
    watched.push_back(Watched{p->spec().name, pid_file, [&suite, p] { return suite.Channel(*p); }});
  }
  // The restarted processes are the script's, not this binary's children: they do not die with
  // it. A watchdog kills them if this binary dies, and so does the end of the test.
  const std::string kill_restarted =
      "for f in " + state + "/run/*.pid; do kill -9 $(cat $f) 2>/dev/null; done; true";
  ASSERT_TRUE(RunWhenThisProcessEnds(kill_restarted).ok());
  absl::Cleanup stop_restarted = [&] {
    (void)RunCommand(kill_restarted);
    if (!::testing::Test::HasFailure()) (void)RunCommand("rm -rf " + Quote(state));
  };

  MixedLoad load(suite.GatewaysTarget(), suite.gateway_client_tls(), suite.admin_token(), kWriters);
  std::string error;
  ASSERT_TRUE(load.Prepare(&error)) << error;
  RestartMonitor monitor(std::move(watched), absl::Milliseconds(100));
  std::vector<pid_t> node_pids;
  for (int node = 1; node <= 3; ++node) node_pids.push_back(NodePid(cluster, node));
  const absl::Time load_start = absl::Now();
  load.Start();
  monitor.Start();
  absl::SleepFor(absl::Seconds(3));  // the load in its steady state before anything restarts

  const absl::Time script_start = absl::Now();
  auto out = RunCommand(absl::StrCat(
      "IMP_GALERA_STATE_DIR=", Quote(state), " IMP_GALERA_CLUSTER_DIR=", Quote(cluster.dir()),
      " IMP_BUILD_DIR=", Quote(fault::BuildDir()), " timeout 240 ", Quote(Script()), " ", mode));
  const absl::Time script_end = absl::Now();
  std::printf("%s\n", out.ok() ? out->c_str() : std::string(out.status().message()).c_str());
  absl::SleepFor(absl::Seconds(3));  // the load after the last restart
  load.Stop();
  monitor.Stop();
  const absl::Duration load_time = absl::Now() - load_start;
  EXPECT_TRUE(out.ok()) << "the rolling restart failed";

  // Each process restarted: a new pid, drained (it answered NOT_SERVING before it went, rather
  // than vanishing), SERVING again, and SERVING before the next one (of its service, or at all)
  // stopped SERVING. The others: the same pid, never down.
  const std::vector<Restart> all = monitor.Restarts();
  std::vector<Restart> restarts;
  std::vector<std::string> timeline;
  for (const Restart& r : all) {
    timeline.push_back(absl::StrCat(r.name, " ", r.old_pid, "->", r.new_pid, " down@",
                                    Seconds(r.down - script_start), " back@",
                                    Seconds(r.back - script_start)));
    if (std::find(restarted.begin(), restarted.end(), r.name) == restarted.end()) {
      EXPECT_EQ(r.new_pid, r.old_pid) << r.name << " was restarted";
      EXPECT_EQ(r.down, absl::InfiniteFuture()) << r.name << " stopped SERVING";
      continue;
    }
    restarts.push_back(r);
    EXPECT_NE(r.new_pid, r.old_pid) << r.name << " was not restarted";
    EXPECT_EQ(PidIn(state + "/run/" + r.name + ".pid"), r.new_pid);
    EXPECT_EQ(kill(r.new_pid, 0), 0) << r.name << "'s new process is not running";
    EXPECT_TRUE(r.answered_not_serving) << r.name << " was not drained (never NOT_SERVING)";
    EXPECT_LT(r.back, absl::InfiniteFuture()) << r.name << " never SERVING again";
  }
  auto service = [](const std::string& name) {
    return name.substr(0, name.find_first_of("0123456789"));
  };
  for (size_t i = 0; i < restarts.size(); ++i) {
    for (size_t j = i + 1; j < restarts.size(); ++j) {
      if (!one_at_a_time && service(restarts[i].name) != service(restarts[j].name)) continue;
      EXPECT_LT(restarts[i].back, restarts[j].down)
          << restarts[j].name << " stopped SERVING before " << restarts[i].name
          << " was SERVING again";
    }
  }
  // No service was without a SERVING replica at any sample (nor were both gateways down).
  std::vector<std::string> outages;
  for (const std::string& name : {"registry", "activity", "gateway"}) {
    for (std::string& round : monitor.RoundsAllDown({name + "1", name + "2"})) {
      outages.push_back(std::move(round));
    }
  }
  // Restarting processes: asserted. Restarting nodes: recorded (see the nodes test's comment).
  if (mode == "processes") {
    EXPECT_TRUE(outages.empty()) << outages.size()
                                 << " samples with no replica of a service SERVING: "
                                 << absl::StrJoin(
                                        outages.begin(),
                                        outages.begin() + std::min<size_t>(outages.size(), 10),
                                        "; ");
  } else if (!outages.empty()) {
    std::printf("samples with no replica of a service SERVING: %s\n",
                absl::StrJoin(outages, "; ").c_str());
  }
  std::vector<std::string> order;
  for (const Restart& r : restarts) order.push_back(r.name);
  EXPECT_EQ(order, restarted) << "not restarted in the script's order";
  if (mode != "processes") {
    for (int node = 1; node <= 3; ++node) {
      EXPECT_NE(NodePid(cluster, node), node_pids[node - 1]) << "node " << node << " not restarted";
      EXPECT_EQ(cluster.Status(node, "wsrep_local_state_comment"), "Synced") << "node " << node;
      EXPECT_EQ(cluster.Status(node, "wsrep_cluster_size"), "3") << "node " << node;
    }
  }
  std::printf("restarts (s from the script's start): %s\n", absl::StrJoin(timeline, "; ").c_str());

  const LoadResults& r = load.results();
  const Ledger l = Check(suite, r);
  int acknowledged_during = 0;
  for (const CreateRecord& c : r.creates) {
    if (c.acknowledged && c.acknowledged_at > script_start && c.acknowledged_at < script_end) {
      ++acknowledged_during;
    }
  }
  // The imports: exactly the acknowledged rows, the same on every node.
  const std::string count_imported =
      absl::StrCat("SELECT COUNT(*) FROM ", suite.activity_schema().name,
                   ".activities WHERE YEAR(start_date) = ", kImportYear);
  std::vector<std::string> per_node;
  for (int node = 1; node <= 3; ++node) {
    auto n = cluster.Query(node, count_imported);
    per_node.push_back(n.ok() ? *n : "error");
  }
  std::string codes, not_retryable;
  for (const auto& [code, n] : r.failed_attempt_codes) absl::StrAppend(&codes, code, "x", n, ",");
  for (const auto& [code, n] : r.not_retryable_codes) {
    absl::StrAppend(&not_retryable, code, " x", n, "; ");
  }
  // Failed attempts (all retried) before the first restart, and what they were.
  int failures_before = 0;
  for (absl::Time t : r.failures) failures_before += t < script_start ? 1 : 0;
  for (const auto& [what, n] : r.failure_messages)
    std::printf("failed attempts: %d x %s\n", n, what.c_str());
  const std::vector<std::pair<std::string, std::string>> figures = {
      {"load_s", Seconds(load_time)},
      {"rolling_restart_s", Seconds(script_end - script_start)},
      {"mode", mode},
      {"processes_restarted", absl::StrCat(restarts.size())},
      {"most_not_serving_at_once", absl::StrCat(monitor.MostDownAtOnce())},
      {"samples_with_a_service_without_serving_replica", absl::StrCat(outages.size())},
      {"monitor_rounds", absl::StrCat(monitor.rounds())},
      {"writes", absl::StrCat(r.creates.size())},
      {"acknowledged", absl::StrCat(l.acknowledged)},
      {"acknowledged_during_restart", absl::StrCat(acknowledged_during)},
      {"lost", absl::StrCat(l.lost)},
      {"unacknowledged", absl::StrCat(l.unacknowledged)},
      {"retried_writes", absl::StrCat(l.retried)},
      {"reads", absl::StrCat(r.reads)},
      {"read_after_write_misses", absl::StrCat(r.read_after_write_misses)},
      {"updates_acknowledged", absl::StrCat(l.updates_acknowledged)},
      {"stale_updates", absl::StrCat(l.stale_updates)},
      {"imports_acknowledged", absl::StrCat(r.imports_acknowledged)},
      {"imported_rows_per_node", absl::StrJoin(per_node, "/")},
      {"failed_attempt_codes", codes.empty() ? "none" : codes},
      {"failed_attempts_in_the_3_s_before_the_restart", absl::StrCat(failures_before)},
      {"not_retryable_failures", not_retryable.empty() ? "none" : not_retryable},
      {"slowest_attempt_s", Seconds(r.slowest_attempt)},
      {"timeline", absl::StrJoin(timeline, "; ")}};
  fault::PrintFigures(figures);
  EXPECT_TRUE(r.not_retryable_codes.empty())
      << "calls failed with a status clients are not told to retry: " << not_retryable;
  EXPECT_GT(acknowledged_during, 0) << "no write was acknowledged during the restart";
  EXPECT_EQ(l.lost, 0) << "acknowledged writes missing, e.g. "
                       << absl::StrJoin(l.lost_examples, ", ");
  EXPECT_EQ(l.unacknowledged, 0) << "writes that never succeeded within 20 s of retries";
  EXPECT_EQ(r.read_after_write_misses, 0) << "an acknowledged write read back as NOT_FOUND";
  EXPECT_EQ(l.stale_updates, 0);
  EXPECT_EQ(per_node[0], per_node[1]);
  EXPECT_EQ(per_node[0], per_node[2]);
  if (r.imports_unacknowledged == 0) {
    EXPECT_EQ(per_node[0], absl::StrCat(r.imports_acknowledged * kImportRows));
  }
  EXPECT_EQ(WriteGaleraFigures(figures, "galera-rolling-restart-" + mode + "-figures.json"), "");
}

TEST(RollingRestart, EveryProcessRestartedUnderLoadFailsNoCallAndLosesNoWrite) {
  RollUnderLoad("processes",
                {"registry1", "registry2", "activity1", "activity2", "gateway1", "gateway2"},
                /*one_at_a_time=*/true);
}

// Node 1 serves registry1 and activity2 (drained together: each has a partner elsewhere), node 2
// registry2, node 3 activity1. The gateways are not restarted. Not asserted here: that a service
// always has a SERVING replica. When a restarted node rejoins, the other nodes stall for up to
// about a second (measured: readiness "database not answering (error 2013)" on every replica at
// once, 0.5-0.9 s), so the partner of a replica whose node is restarting drops out too and
// clients are told UNAVAILABLE (which they retry) for that long.
TEST(RollingRestart, EveryGaleraNodeRestartedUnderLoadFailsNoCallAndLosesNoWrite) {
  RollUnderLoad("nodes", {"registry1", "activity2", "registry2", "activity1"},
                /*one_at_a_time=*/false);
}

}  // namespace
}  // namespace imp::testing::galera
