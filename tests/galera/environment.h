#ifndef IMP_TESTS_GALERA_ENVIRONMENT_H_
#define IMP_TESTS_GALERA_ENVIRONMENT_H_

#include "tests/galera/cluster.h"

namespace imp::testing::galera {

// The cluster every Galera test shares (starting one takes most of a minute): three nodes, the
// two service schemas provisioned on it and migrated by `--migrate_only`, as a deploy does.
// Started once per test binary; a test that kills a node restarts it before it ends.
struct Shared {
  GaleraCluster* cluster = nullptr;
  ServiceSchema registry;
  ServiceSchema activity;
};
const Shared& shared();

}  // namespace imp::testing::galera

#endif  // IMP_TESTS_GALERA_ENVIRONMENT_H_
