// impctl export KIND: every resource (or those --filter selects) as CSV in the import format, so
// that export -> import round-trips.
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/mapping_project.h"
#include "tools/impctl/paging.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

// The CSV text of every page of a List call; `rows(all, csv)` appends the records and returns
// how many.
template <typename Response, typename Request, typename Call, typename Rows>
grpc::Status ExportAll(Client& client, Call call, Rows rows,
                       const std::vector<std::string>& columns, std::string* csv, int* count) {
  Response all;
  grpc::Status s = ListAllPages(client, ListRequestFromFlags<Request>(), call, &all);
  if (!s.ok()) return s;
  *csv = FormatCsvRecord(columns);
  *count = rows(all, csv);
  return s;
}

}  // namespace

int Export(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 1 || !ParseKind(args[0], &kind)) {
    std::fprintf(stderr, "impctl: usage: impctl export KIND [--output=FILE]; see impctl --help\n");
    return kExitUsage;
  }
  std::string csv;
  int count = 0;
  grpc::Status s;
  if (kind == Kind::kInstitution) {
    s = ExportAll<reg::ListInstitutionsResponse, reg::ListInstitutionsRequest>(
        client,
        [&](auto* c, const auto& r, auto* o) {
          return client.registry().ListInstitutions(c, r, o);
        },
        [](const reg::ListInstitutionsResponse& all, std::string* out) {
          for (const auto& i : all.institutions()) *out += FormatCsvRecord(SpreadsheetSafe(InstitutionToCsv(i)));
          return all.institutions_size();
        },
        kInstitutionColumns, &csv, &count);
  } else if (kind == Kind::kAgreement) {
    s = ExportAll<reg::ListAgreementsResponse, reg::ListAgreementsRequest>(
        client,
        [&](auto* c, const auto& r, auto* o) { return client.registry().ListAgreements(c, r, o); },
        [](const reg::ListAgreementsResponse& all, std::string* out) {
          for (const auto& a : all.agreements()) *out += FormatCsvRecord(SpreadsheetSafe(AgreementToCsv(a)));
          return all.agreements_size();
        },
        kAgreementColumns, &csv, &count);
  } else if (kind == Kind::kProject) {
    s = ExportAll<reg::ListProjectsResponse, reg::ListProjectsRequest>(
        client,
        [&](auto* c, const auto& r, auto* o) { return client.registry().ListProjects(c, r, o); },
        [](const reg::ListProjectsResponse& all, std::string* out) {
          for (const auto& p : all.projects()) *out += FormatCsvRecord(SpreadsheetSafe(ProjectToCsv(p)));
          return all.projects_size();
        },
        kProjectColumns, &csv, &count);
  } else {
    s = ExportAll<act::ListActivitiesResponse, act::ListActivitiesRequest>(
        client,
        [&](auto* c, const auto& r, auto* o) { return client.activity().ListActivities(c, r, o); },
        [](const act::ListActivitiesResponse& all, std::string* out) {
          for (const auto& a : all.activities()) *out += FormatCsvRecord(SpreadsheetSafe(ActivityToCsv(a)));
          return all.activities_size();
        },
        kActivityColumns, &csv, &count);
  }
  if (!s.ok()) return ReportError(s);
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output.empty()) {
    std::fwrite(csv.data(), 1, csv.size(), stdout);
    return kExitOk;
  }
  std::ofstream out(output, std::ios::binary);
  out << csv;
  out.close();
  if (!out) {
    std::fprintf(stderr, "impctl: cannot write %s\n", output.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "exported %d %s to %s\n", count, Collection(kind), output.c_str());
  return kExitOk;
}

}  // namespace imp::impctl
