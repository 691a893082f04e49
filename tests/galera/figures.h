#ifndef IMP_TESTS_GALERA_FIGURES_H_
#define IMP_TESTS_GALERA_FIGURES_H_

#include <string>
#include <utility>
#include <vector>

namespace imp::testing::galera {

// Where a Galera test's figures go: $IMP_REPORT_DIR/<file>, else <build dir>/reports/<file> (the
// fault suite's reports directory, fault::BuildDir). The kill test's file is galera-figures.json.
std::string GaleraFiguresPath(const std::string& file = "galera-figures.json");

// Writes one JSON object to GaleraFiguresPath(file) (replacing the last run's), and prints the
// path:
// {"test", "utc", "git_commit" ($IMP_GIT_COMMIT, else `git -C $IMP_SOURCE_DIR rev-parse HEAD`,
// null when neither), "passed" (no failure recorded so far in this test), "figures": {key:
// number, or string when the value is not a number}}. The record format of the fault suite's
// fault-figures.jsonl. Returns an error message, "" on success.
std::string WriteGaleraFigures(const std::vector<std::pair<std::string, std::string>>& figures,
                               const std::string& file = "galera-figures.json");

}  // namespace imp::testing::galera

#endif  // IMP_TESTS_GALERA_FIGURES_H_
