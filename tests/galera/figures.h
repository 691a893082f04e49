#ifndef IMP_TESTS_GALERA_FIGURES_H_
#define IMP_TESTS_GALERA_FIGURES_H_

#include <string>
#include <utility>
#include <vector>

namespace imp::testing::galera {

// Where the kill test's figures go: $IMP_REPORT_DIR/galera-figures.json, else
// <build dir>/reports/galera-figures.json (the fault suite's reports directory, fault::BuildDir).
std::string GaleraFiguresPath();

// Writes one JSON object to GaleraFiguresPath() (replacing the last run's), and prints the path:
// {"test", "utc", "git_commit" ($IMP_GIT_COMMIT, else `git -C $IMP_SOURCE_DIR rev-parse HEAD`,
// null when neither), "passed" (no failure recorded so far in this test), "figures": {key:
// number, or string when the value is not a number}}. The record format of the fault suite's
// fault-figures.jsonl. Returns an error message, "" on success.
std::string WriteGaleraFigures(const std::vector<std::pair<std::string, std::string>>& figures);

}  // namespace imp::testing::galera

#endif  // IMP_TESTS_GALERA_FIGURES_H_
