#include "tests/galera/environment.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace imp::testing::galera {
namespace {

Shared g_shared;

class GaleraEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const absl::Time start = absl::Now();
    cluster_ = std::make_unique<GaleraCluster>();
    absl::Status started = cluster_->Start();
    ASSERT_TRUE(started.ok()) << started.message();
    std::printf("galera: 3 nodes Synced in %.1f s (%s)\n",
                absl::ToDoubleSeconds(absl::Now() - start), cluster_->dir().c_str());
    auto registry = Provision(*cluster_, "galera_registry");
    ASSERT_TRUE(registry.ok()) << registry.status().message();
    auto activity = Provision(*cluster_, "galera_activity");
    ASSERT_TRUE(activity.ok()) << activity.status().message();
    // Migrations through one node reach every node (DDL replicates in total order).
    absl::Status migrated = Migrate(*cluster_, 2, "registry-service/registry_service", *registry);
    ASSERT_TRUE(migrated.ok()) << migrated.message();
    migrated = Migrate(*cluster_, 3, "activity-service/activity_service", *activity);
    ASSERT_TRUE(migrated.ok()) << migrated.message();
    g_shared = Shared{cluster_.get(), *registry, *activity};
  }
  void TearDown() override {
    g_shared = Shared{};
    cluster_.reset();
  }

 private:
  std::unique_ptr<GaleraCluster> cluster_;
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new GaleraEnvironment);

}  // namespace

const Shared& shared() { return g_shared; }

}  // namespace imp::testing::galera
