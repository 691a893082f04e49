// impctl export hxl: the "3W" sheet (who does what where) as HXL-tagged CSV, streamed: one row
// per activity, written page by page. The scope flags are those of `impctl summary` and mean the
// same, so the sheet's counts add up to the summary's figures for the same flags (--to defaults
// to today as the summary's period does; activities dated later are left out).
//
// Memory: one page of activities (--page_size, default 100) and their hosts at a time.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/proto_util.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/export_common.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/hxl.h"
#include "tools/impctl/kind.h"
#include "tools/impctl/output_file.h"
#include "tools/impctl/paging.h"

namespace imp::impctl {
namespace {

namespace act = activity::v1;

// Values go into the filter between quotes: only the characters codes and names are made of
// (the service checks the value itself and names the field when it is wrong).
bool IsPlainValue(const std::string& value) {
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '/') return false;
  }
  return !value.empty() && value.size() <= 200;
}

// The ListActivities filter for the summary's scope flags and --filter; false (with a message)
// on a bad flag.
bool ActivityFilter(const ExportContext& ctx, std::string* filter) {
  std::vector<std::string> terms;
  const std::string from = absl::GetFlag(FLAGS_from), to = absl::GetFlag(FLAGS_to);
  for (auto [text, flag, op] : {std::tuple{from, "--from", ">="}, std::tuple{to, "--to", "<="}}) {
    if (text.empty()) continue;
    auto date = api::DateFromString(text, flag);
    if (!date.ok()) {
      std::fprintf(stderr, "impctl: %s\n", std::string(date.status().message()).c_str());
      return false;
    }
    terms.push_back(absl::StrCat("start_date ", op, " \"", text, "\""));
  }
  if (to.empty()) {
    terms.push_back(absl::StrCat("start_date <= \"", api::DateToString(ctx.today), "\""));
  }
  const std::string institution = absl::GetFlag(FLAGS_institution);
  for (auto [value, flag, field] :
       {std::tuple{absl::GetFlag(FLAGS_country), "--country", "country"},
        std::tuple{absl::GetFlag(FLAGS_oblast), "--oblast", "region"},
        std::tuple{absl::GetFlag(FLAGS_area), "--area", "cooperation_area"},
        std::tuple{institution.empty() ? "" : FullName(Kind::kInstitution, institution),
                   "--institution", "institution"}}) {
    if (value.empty()) continue;
    if (!IsPlainValue(value)) {
      std::fprintf(stderr, "impctl: %s: letters, digits, '-', '_' and '/' only\n", flag);
      return false;
    }
    terms.push_back(absl::StrCat(field, " = \"", value, "\""));
  }
  const std::string extra = absl::GetFlag(FLAGS_filter);
  if (!extra.empty()) terms.push_back(extra);
  *filter = absl::StrJoin(terms, " AND ");
  return true;
}

}  // namespace

int ExportHxl(Client& client, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr,
                 "impctl: usage: impctl export hxl [--from --to --country --oblast --area "
                 "--institution] [--filter] [--output]\n");
    return kExitUsage;
  }
  ExportContext ctx;
  grpc::Status s = LoadExportContext(client, &ctx);
  if (!s.ok()) return ReportError(s);
  act::ListActivitiesRequest req;
  std::string filter;
  if (!ActivityFilter(ctx, &filter)) return kExitUsage;
  req.set_filter(filter);
  req.set_page_size(ExportPageSize());
  OutputFile out(absl::GetFlag(FLAGS_output));
  if (!out.Open()) return kExitUsage;
  std::vector<std::string> headers, hashtags;
  for (const auto& c : hxl::Columns()) {
    headers.push_back(c.header);
    hashtags.push_back(c.hashtag);
  }
  out.stream() << FormatCsvRecord(headers) << FormatCsvRecord(hashtags);
  int64_t rows = 0;
  s = ForEachPage<act::ListActivitiesResponse>(
      client, req,
      [&](auto* c, const auto& r, auto* o) { return client.activity().ListActivities(c, r, o); },
      [&](const act::ListActivitiesResponse& page) -> grpc::Status {
        std::vector<std::string> hosts;
        for (const auto& a : page.activities()) hosts.push_back(a.host_institution());
        absl::flat_hash_map<std::string, registry::v1::Institution> institutions;
        grpc::Status got = GetInstitutions(client, hosts, &institutions);
        if (!got.ok()) return got;
        std::string text;
        for (const auto& a : page.activities()) {
          auto host = institutions.find(a.host_institution());
          text += FormatCsvRecord(
              hxl::Row(a, host == institutions.end() ? nullptr : &host->second, ctx.area_labels));
        }
        out.stream() << text;
        rows += page.activities_size();
        return WriteStatus(out.stream());
      });
  if (!s.ok()) return out.stream() ? ReportError(s) : (out.Commit(), kExitFailed);
  if (!out.Commit()) return kExitFailed;
  std::fprintf(stderr, "exported %lld activities as HXL to %s\n", static_cast<long long>(rows),
               out.Describe().c_str());
  return kExitOk;
}

}  // namespace imp::impctl
