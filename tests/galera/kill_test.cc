// The suite as replicas over a 3-node Galera cluster, killed for real under a mixed load: kill -9
// of a Galera node (two replicas lose their database), then of one replica of each service (the
// gateway too), each restarted; then nothing acknowledged is lost, nothing is stored twice, every
// replica and every node agree, and the gateways' aggregations converge.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/fault/suite.h"
#include "tests/galera/environment.h"
#include "tests/galera/figures.h"
#include "tests/galera/load.h"

namespace imp::testing::galera {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
namespace gw = gateway::v1;
using fault::Context;
using fault::HealthProbe;
using fault::Seconds;

constexpr int kWriters = 6;

// Every institution (display name -> copies) a registry replica lists, page by page.
std::map<std::string, int> InstitutionsOn(reg::RegistryService::Stub& stub,
                                          const std::string& token, int page_size, bool* ok) {
  std::map<std::string, int> out;
  std::string page;
  *ok = true;
  do {
    reg::ListInstitutionsRequest req;
    req.set_page_size(page_size);
    req.set_page_token(page);
    req.set_show_deleted(true);
    reg::ListInstitutionsResponse resp;
    grpc::Status s = stub.ListInstitutions(Context(absl::Seconds(30), token).get(), req, &resp);
    if (!s.ok()) {
      ADD_FAILURE() << "listing institutions: " << s.error_code() << " " << s.error_message();
      *ok = false;
      return out;
    }
    for (const auto& i : resp.institutions()) ++out[i.display_name()];
    page = resp.next_page_token();
  } while (!page.empty());
  return out;
}

std::map<std::string, int> ActivitiesOn(act::ActivityService::Stub& stub, bool* ok) {
  std::map<std::string, int> out;
  std::string page;
  *ok = true;
  do {
    act::ListActivitiesRequest req;
    req.set_page_size(1000);
    req.set_page_token(page);
    req.set_show_deleted(true);
    act::ListActivitiesResponse resp;
    grpc::Status s = stub.ListActivities(Context(absl::Seconds(30)).get(), req, &resp);
    if (!s.ok()) {
      ADD_FAILURE() << "listing activities: " << s.error_code() << " " << s.error_message();
      *ok = false;
      return out;
    }
    for (const auto& a : resp.activities()) ++out[a.title()];
    page = resp.next_page_token();
  } while (!page.empty());
  return out;
}

// Seconds in which at least one call failed (100 ms buckets).
absl::Duration Degraded(const std::vector<absl::Time>& failures) {
  std::set<int64_t> buckets;
  for (absl::Time t : failures) buckets.insert(absl::ToUnixMillis(t) / 100);
  return absl::Milliseconds(100) * static_cast<int64_t>(buckets.size());
}

// Both gateways' answers to the two aggregations, serialized (deterministically).
std::string Aggregations(gw::GatewayService::Stub& stub, const std::string& token) {
  gw::GetProgramSummaryResponse summary;
  gw::GetPartnershipMapResponse map;
  grpc::Status s = stub.GetProgramSummary(Context(absl::Seconds(10), token).get(),
                                          gw::GetProgramSummaryRequest(), &summary);
  if (!s.ok()) return "error: " + s.error_message();
  s = stub.GetPartnershipMap(Context(absl::Seconds(10), token).get(),
                             gw::GetPartnershipMapRequest(), &map);
  if (!s.ok()) return "error: " + s.error_message();
  // The figures and the registry sequence they reflect must agree; the times at which each
  // gateway last saw the registry's head and read the activity data are its own.
  for (gw::DataFreshness* f : {summary.mutable_freshness(), map.mutable_freshness()}) {
    f->clear_registry_as_of();
    f->clear_activity_as_of();
  }
  return summary.ShortDebugString() + " | " + map.ShortDebugString();
}

bool RejoinedByIst(const std::string& error_log, std::streampos since) {
  std::ifstream in(error_log);
  in.seekg(since);
  std::stringstream rest;
  rest << in.rdbuf();
  return absl::StrContains(rest.str(), "IST received");
}

TEST(GaleraKill, NodeAndReplicasKilledUnderLoadLoseNothingAndEveryReplicaAgrees) {
  ASSERT_NE(shared().cluster, nullptr);
  GaleraCluster& cluster = *shared().cluster;
  // registry replicas on nodes 1 and 2, activity replicas on nodes 3 and 1, two gateways.
  Deployment suite(&cluster, shared().registry, shared().activity, Topology{{1, 2}, {3, 1}, 2});
  absl::Status started = suite.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  MixedLoad load(suite.GatewaysTarget(), suite.gateway_client_tls(), suite.admin_token(), kWriters);
  std::string error;
  ASSERT_TRUE(load.Prepare(&error)) << error;

  const absl::Time load_start = absl::Now();
  load.Start();
  // Phase 1: kill -9 Galera node 1. registry1 and activity2 stay up without their database.
  absl::SleepFor(absl::Seconds(4));
  const std::string node1_log = cluster.dir() + "/node1/error.log";
  const std::streampos log_before = std::ifstream(node1_log, std::ios::ate).tellg();
  const absl::Time node_killed = absl::Now();
  ASSERT_TRUE(cluster.KillNode(1).ok());
  HealthProbe registry1(suite.Channel(suite.registry(0)));
  absl::Duration to_not_serving = absl::InfiniteDuration();
  while (absl::Now() - node_killed < absl::Seconds(5)) {
    if (registry1.Check("") == "NOT_SERVING") {
      to_not_serving = absl::Now() - node_killed;
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  absl::SleepFor(absl::Seconds(2));
  const absl::Time node_restarting = absl::Now();
  absl::Status rejoined = cluster.StartNode(1);  // waits until Synced
  const absl::Duration rejoin = absl::Now() - node_restarting;
  ASSERT_TRUE(rejoined.ok()) << rejoined.message();
  for (Process* p : {&suite.registry(0), &suite.activity(1)}) {
    absl::Status s = suite.StartAndWait(*p);  // running: waits until SERVING again
    ASSERT_TRUE(s.ok()) << s.message();
  }
  const absl::Duration node_outage = absl::Now() - node_killed;

  // Phase 2: kill -9 registry2, activity1 and gateway1: the remaining registry and activity
  // replicas are those on the restarted node 1, so all writes now go through it.
  absl::SleepFor(absl::Seconds(1));
  const absl::Time replicas_killed = absl::Now();
  for (Process* p : {&suite.registry(1), &suite.activity(0), &suite.gateway(0)}) p->Kill();
  absl::SleepFor(absl::Seconds(3));
  for (Process* p : {&suite.registry(1), &suite.activity(0), &suite.gateway(0)}) {
    absl::Status s = suite.StartAndWait(*p);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  const absl::Time replicas_back = absl::Now();
  absl::SleepFor(absl::Seconds(2));
  load.Stop();
  const absl::Duration load_time = absl::Now() - load_start;
  const LoadResults& r = load.results();
  // Peak memory of the replicas that ran through the whole load (for the Kubernetes limits).
  auto peak_mb = [](const Process& p) { return absl::StrCat(p.PeakRssKb() / 1024); };
  const std::string peak_rss = absl::StrCat(
      peak_mb(suite.registry(0)), "/", peak_mb(suite.activity(1)), "/", peak_mb(suite.gateway(1)));
  std::vector<absl::Time> node_phase, replica_phase;
  for (absl::Time t : r.failures) {
    if (t >= node_killed && t < replicas_killed) node_phase.push_back(t);
    if (t >= replicas_killed) replica_phase.push_back(t);
  }

  // The cluster: three nodes, each Synced.
  for (int node = 1; node <= 3; ++node) {
    EXPECT_EQ(cluster.Status(node, "wsrep_local_state_comment"), "Synced") << "node " << node;
    EXPECT_EQ(cluster.Status(node, "wsrep_cluster_size"), "3") << "node " << node;
  }
  // Every acknowledged create, read from every replica of its service directly.
  std::vector<std::unique_ptr<reg::RegistryService::Stub>> registries;
  std::vector<std::unique_ptr<act::ActivityService::Stub>> activities;
  for (int i = 0; i < 2; ++i) {
    registries.push_back(reg::RegistryService::NewStub(suite.Channel(suite.registry(i))));
    activities.push_back(act::ActivityService::NewStub(suite.Channel(suite.activity(i))));
  }
  int acknowledged = 0, found = 0, lost = 0, unacknowledged = 0, retried = 0;
  int through_restarted_node = 0;
  std::vector<std::string> lost_examples;
  for (const CreateRecord& c : r.creates) {
    if (c.attempts > 1) ++retried;
    if (!c.acknowledged) {
      ++unacknowledged;
      continue;
    }
    ++acknowledged;
    if (c.acknowledged_at > replicas_killed && c.acknowledged_at < replicas_back) {
      ++through_restarted_node;
    }
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
    if (everywhere) {
      ++found;
    } else {
      ++lost;
      if (lost_examples.size() < 5) lost_examples.push_back(c.name);
    }
  }
  // Duplicates, and whether the replicas (and a listing through the gateways, whose pages
  // alternate between replicas) agree.
  bool ok = true;
  const auto on_registry1 = InstitutionsOn(*registries[0], "", 1000, &ok);
  const auto on_registry2 = InstitutionsOn(*registries[1], "", 1000, &ok);
  auto via_gateways = reg::RegistryService::NewStub(suite.Channel(suite.gateway(1)));
  const auto paged = InstitutionsOn(*via_gateways, suite.admin_token(), 50, &ok);
  const auto acts1 = ActivitiesOn(*activities[0], &ok);
  const auto acts2 = ActivitiesOn(*activities[1], &ok);
  int duplicates = 0;
  for (const auto* listing : {&on_registry1, &acts1}) {
    for (const auto& [key, copies] : *listing) duplicates += copies > 1 ? copies - 1 : 0;
  }
  EXPECT_EQ(on_registry1, on_registry2) << "the registry replicas list different institutions";
  EXPECT_EQ(on_registry1, paged) << "paging through the gateways differs from one replica's list";
  EXPECT_EQ(acts1, acts2) << "the activity replicas list different activities";
  // The updates: each writer's institution holds the last value it was told was stored.
  int stale_updates = 0, updates_acknowledged = 0;
  for (const UpdateRecord& u : r.updates) {
    updates_acknowledged += u.acknowledged;
    if (u.last_attempt_unacknowledged || u.acknowledged == 0) continue;
    for (auto& stub : registries) {
      reg::GetInstitutionRequest req;
      req.set_name(u.institution);
      reg::Institution out;
      grpc::Status s = stub->GetInstitution(Context(absl::Seconds(10)).get(), req, &out);
      if (!s.ok() || out.notes() != u.last_acknowledged_notes) ++stale_updates;
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
  EXPECT_EQ(per_node[0], per_node[1]);
  EXPECT_EQ(per_node[0], per_node[2]);
  if (r.imports_unacknowledged == 0) {
    EXPECT_EQ(per_node[0], absl::StrCat(r.imports_acknowledged * kImportRows));
  }
  // The gateways' aggregations converge: the same figures from each, within a bounded wait.
  auto gateway1 = gw::GatewayService::NewStub(suite.Channel(suite.gateway(0)));
  auto gateway2 = gw::GatewayService::NewStub(suite.Channel(suite.gateway(1)));
  const absl::Time converge_start = absl::Now();
  std::string from1, from2;
  do {
    from1 = Aggregations(*gateway1, suite.admin_token());
    from2 = Aggregations(*gateway2, suite.admin_token());
    if (from1 == from2 && !absl::StartsWith(from1, "error")) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() - converge_start < absl::Seconds(30));
  const absl::Duration converge = absl::Now() - converge_start;
  EXPECT_EQ(from1, from2) << "the gateways' aggregations did not converge within 30 s";
  EXPECT_FALSE(absl::StartsWith(from1, "error")) << from1;
  EXPECT_FALSE(absl::StrContains(from1, "missing_sources")) << from1;

  std::string codes;
  for (const auto& [code, n] : r.failed_attempt_codes) absl::StrAppend(&codes, code, "x", n, ",");
  const std::vector<std::pair<std::string, std::string>> figures = {
      {"load_s", Seconds(load_time)},
      {"writes", absl::StrCat(r.creates.size())},
      {"acknowledged", absl::StrCat(acknowledged)},
      {"found", absl::StrCat(found)},
      {"lost", absl::StrCat(lost)},
      {"duplicates", absl::StrCat(duplicates)},
      {"unacknowledged", absl::StrCat(unacknowledged)},
      {"retried_writes", absl::StrCat(retried)},
      {"read_after_write_misses", absl::StrCat(r.read_after_write_misses)},
      {"reads", absl::StrCat(r.reads)},
      {"updates_acknowledged", absl::StrCat(updates_acknowledged)},
      {"stale_updates", absl::StrCat(stale_updates)},
      {"imports_acknowledged", absl::StrCat(r.imports_acknowledged)},
      {"imported_rows_per_node", absl::StrJoin(per_node, "/")},
      {"writes_via_restarted_node", absl::StrCat(through_restarted_node)},
      {"failed_attempt_codes", codes.empty() ? "none" : codes},
      {"seconds_degraded", Seconds(Degraded(r.failures))},
      {"seconds_degraded_node_kill", Seconds(Degraded(node_phase))},
      {"seconds_degraded_replica_kills", Seconds(Degraded(replica_phase))},
      {"peak_rss_mb_registry/activity/gateway", peak_rss},
      {"slowest_attempt_s", Seconds(r.slowest_attempt)},
      {"replica_not_serving_after_node_kill_s", Seconds(to_not_serving)},
      {"node_rejoin_s", Seconds(rejoin)},
      {"node_rejoin", RejoinedByIst(node1_log, log_before) ? "IST" : "SST"},
      {"node_outage_until_replicas_serving_s", Seconds(node_outage)},
      {"aggregations_converged_s", Seconds(converge)}};
  fault::PrintFigures(figures);
  EXPECT_GT(retried, 0) << "no write was hit by the kills: the test proved nothing";
  EXPECT_GT(through_restarted_node, 0) << "no write went through the restarted node";
  EXPECT_EQ(lost, 0) << "acknowledged writes missing, e.g. " << absl::StrJoin(lost_examples, ", ");
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(r.read_after_write_misses, 0) << "an acknowledged write read back as NOT_FOUND";
  EXPECT_EQ(stale_updates, 0);
  EXPECT_EQ(unacknowledged, 0) << "writes that never succeeded within 20 s of retries";
  // Last: the file says whether the run passed. A run stopped by an ASSERT writes none.
  EXPECT_EQ(WriteGaleraFigures(figures), "");
}

}  // namespace
}  // namespace imp::testing::galera
