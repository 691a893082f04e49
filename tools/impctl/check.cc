// impctl check statistics: asks the activity service (through the gateway, admin only) to
// recompute its statistics rollups from the activity rows and lists what differs. Exit 0 when
// everything agrees, 9 with the mismatches otherwise: a figure the programme publishes may be
// wrong, and the operator must know before it is quoted.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/output.h"
#include "tools/impctl/table.h"

namespace imp::impctl {
namespace {

namespace act = activity::v1;

// "activities 4 (stored 3), participants 118 (stored 18)": the sums that differ.
std::string Differences(const act::ActivityTotals& expected, const act::ActivityTotals& stored) {
  const auto* descriptor = act::ActivityTotals::descriptor();
  const auto* reflection = act::ActivityTotals::GetReflection();
  std::vector<std::string> out;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    const int64_t want = reflection->GetInt64(expected, field);
    const int64_t have = reflection->GetInt64(stored, field);
    if (want != have) out.push_back(absl::StrCat(field->name(), " ", want, " (stored ", have, ")"));
  }
  return absl::StrJoin(out, ", ");
}

}  // namespace

int Check(Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] != "statistics") {
    std::fprintf(stderr, "impctl: usage: impctl check statistics [--max_mismatches=N]\n");
    return kExitUsage;
  }
  act::VerifyStatisticsRequest req;
  req.set_max_mismatches(absl::GetFlag(FLAGS_max_mismatches));
  act::VerifyStatisticsResponse resp;
  // It reads every activity: allow it the time a large database needs.
  grpc::Status s =
      client.activity().VerifyStatistics(client.Context(absl::Minutes(10)).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  const bool consistent = resp.mismatches().empty();
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(resp);
  } else if (consistent) {
    std::printf("statistics: consistent with the activities (%lld activities checked)\n",
                static_cast<long long>(resp.activities_checked()));
  } else {
    Table table({"rollup", "problem", "key", "recomputed vs stored"});
    for (const auto& m : resp.mismatches())
      table.AddRow({m.rollup(), m.problem(), m.key(), Differences(m.expected(), m.stored())});
    std::printf("%s", table.Render("", 120).c_str());
  }
  if (consistent) return kExitOk;
  std::fprintf(stderr,
               "impctl: statistics: %d%s rollup rows disagree with the %lld activities: "
               "figures served for the months they cover differ from the activities\n",
               resp.mismatches_size(), resp.more_mismatches() ? "+" : "",
               static_cast<long long>(resp.activities_checked()));
  return kExitInconsistent;
}

}  // namespace imp::impctl
