// impctl export iati: an IATI Activity Standard 2.03 document, streamed. One iati-activity per
// agreement, then one per project; the sources are written one after the other through the same
// iati::Writer.
//
// Memory: one page of agreements or projects (--page_size, default 100), the institutions they
// name and one agreement's statistics at a time; nothing grows with the number exported.
#include <cstdio>
#include <map>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/proto_util.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/export_common.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/iati.h"
#include "tools/impctl/iati_agreement.h"
#include "tools/impctl/iati_codes.h"
#include "tools/impctl/iati_project.h"
#include "tools/impctl/output_file.h"
#include "tools/impctl/paging.h"

ABSL_FLAG(std::string, reporting_org_ref, "",
          "export iati: the publisher's IATI organisation identifier, e.g. UA-EDR-00012345 "
          "(prefixes every iati-identifier).");
ABSL_FLAG(std::string, reporting_org_name, "", "export iati: the publisher's name.");
ABSL_FLAG(std::string, reporting_org_type, "",
          "export iati: the publisher's IATI OrganisationType code, e.g. 10 (Government).");

ABSL_FLAG(bool, projects, true,
          "export iati: also export the projects (one iati-activity each, after the agreements).");
ABSL_FLAG(std::string, project_filter, "",
          "export iati: ListProjects' filter for the projects exported (--filter selects the "
          "agreements), e.g. 'agreement:\"agreements/x\"'.");

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

// An IATI organisation identifier: {registration agency}-{number}, letters, digits, '.', '_'
// and '-' only (it prefixes identifiers that end up in URLs and file names).
bool IsOrganisationIdentifier(const std::string& ref) {
  if (ref.size() < 3 || ref.size() > 100 || ref.front() == '-' || ref.back() == '-') return false;
  if (ref.find('-') == std::string::npos) return false;
  for (char c : ref) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

// The reporting organisation from the flags, or a usage message.
bool ReportingOrgFromFlags(iati::Organisation* org) {
  org->ref = absl::GetFlag(FLAGS_reporting_org_ref);
  org->type = absl::GetFlag(FLAGS_reporting_org_type);
  const std::string name(absl::StripAsciiWhitespace(absl::GetFlag(FLAGS_reporting_org_name)));
  if (!IsOrganisationIdentifier(org->ref)) {
    std::fprintf(stderr,
                 "impctl: --reporting_org_ref: %s is not an IATI organisation identifier "
                 "(AGENCY-NUMBER, e.g. UA-EDR-00012345: letters, digits, '.', '_', '-')\n",
                 org->ref.empty() ? "(empty)" : ("'" + org->ref.substr(0, 100) + "'").c_str());
    return false;
  }
  if (!iati::IsOrganisationType(org->type)) {
    std::fprintf(stderr, "impctl: --reporting_org_type: must be one of %s\n",
                 iati::OrganisationTypes().c_str());
    return false;
  }
  if (name.empty() || name.size() > 500) {
    std::fprintf(stderr, "impctl: --reporting_org_name: 1 to 500 bytes required\n");
    return false;
  }
  org->names.push_back({name, ""});
  return true;
}

// Source 1: every agreement (--filter narrows them) as an activity.
grpc::Status WriteAgreements(Client& client, const ExportContext& ctx,
                             const std::string& reporting_org_ref, iati::Writer* writer) {
  reg::ListAgreementsRequest req;
  req.set_filter(absl::GetFlag(FLAGS_filter));
  req.set_page_size(ExportPageSize());
  return ForEachPage<reg::ListAgreementsResponse>(
      client, req,
      [&](auto* c, const auto& r, auto* o) { return client.registry().ListAgreements(c, r, o); },
      [&](const reg::ListAgreementsResponse& page) -> grpc::Status {
        std::vector<std::string> names;
        for (const auto& a : page.agreements()) {
          for (const auto& p : a.parties()) names.push_back(p.institution());
        }
        absl::flat_hash_map<std::string, reg::Institution> institutions;
        grpc::Status s = GetInstitutions(client, names, &institutions);
        if (!s.ok()) return s;
        iati::AgreementContext context{reporting_org_ref, ctx.today, &institutions,
                                       &ctx.area_labels};
        for (const auto& a : page.agreements()) {
          act::GetActivityStatsRequest stats_req;
          stats_req.set_filter(absl::StrCat("agreement = \"", a.name(), "\""));
          *stats_req.mutable_end_date() = ctx.today;
          stats_req.add_group_by(act::GROUP_BY_YEAR);
          act::GetActivityStatsResponse stats;
          s = RetryRead(client, [&](grpc::ClientContext* c) {
            stats.Clear();
            return client.activity().GetActivityStats(c, stats_req, &stats);
          });
          if (!s.ok()) return s;
          writer->Write(iati::AgreementActivity(a, stats, context));
        }
        return WriteStatus(writer->stream());
      });
}

// Source 2: every project (--project_filter narrows them) as an activity.
grpc::Status WriteProjects(Client& client, const ExportContext& ctx,
                           const iati::Organisation& reporting_org, iati::Writer* writer) {
  reg::ListProjectsRequest req;
  req.set_filter(absl::GetFlag(FLAGS_project_filter));
  req.set_page_size(ExportPageSize());
  return ForEachPage<reg::ListProjectsResponse>(
      client, req,
      [&](auto* c, const auto& r, auto* o) { return client.registry().ListProjects(c, r, o); },
      [&](const reg::ListProjectsResponse& page) -> grpc::Status {
        std::vector<std::string> names;
        for (const auto& p : page.projects()) {
          for (const auto& participant : p.participants())
            names.push_back(participant.institution());
          for (const auto& l : p.locations()) {
            if (!l.site().empty()) names.push_back(l.site());
          }
          for (const auto& t : p.transactions()) {
            names.push_back(t.provider());
            names.push_back(t.receiver());
          }
        }
        absl::flat_hash_map<std::string, reg::Institution> institutions;
        grpc::Status s = GetInstitutions(client, names, &institutions);
        if (!s.ok()) return s;
        const iati::ProjectContext context{reporting_org.ref, reporting_org, ctx.today,
                                           &institutions, &ctx.area_labels};
        for (const auto& p : page.projects()) writer->Write(iati::ProjectActivity(p, context));
        return WriteStatus(writer->stream());
      });
}

}  // namespace

int ExportIati(Client& client, const std::vector<std::string>& args) {
  iati::Organisation reporting_org;
  if (args.size() != 1) {
    std::fprintf(
        stderr,
        "impctl: usage: impctl export iati --reporting_org_ref=REF "
        "--reporting_org_name=NAME --reporting_org_type=CODE [--filter] [--project_filter] "
        "[--projects=false] [--output]\n");
    return kExitUsage;
  }
  if (!ReportingOrgFromFlags(&reporting_org)) return kExitUsage;
  ExportContext ctx;
  grpc::Status s = LoadExportContext(client, &ctx);
  if (!s.ok()) return ReportError(s);
  OutputFile out(absl::GetFlag(FLAGS_output));
  if (!out.Open()) return kExitUsage;
  iati::Writer writer(&out.stream(), reporting_org,
                      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  s = WriteAgreements(client, ctx, reporting_org.ref, &writer);
  const int64_t agreements = writer.written();
  if (s.ok() && absl::GetFlag(FLAGS_projects))
    s = WriteProjects(client, ctx, reporting_org, &writer);
  if (!s.ok()) return out.stream() ? ReportError(s) : (out.Commit(), kExitFailed);
  if (!writer.End()) {
    // The schema wants at least one iati-activity; an empty document would not validate.
    std::fprintf(stderr,
                 "impctl: no agreement or project to export (IATI needs at least one "
                 "activity); "
                 "nothing written\n");
    return kExitNotFound;
  }
  if (!out.Commit()) return kExitFailed;
  std::fprintf(stderr, "exported %lld IATI activities (%lld agreements, %lld projects) to %s\n",
               static_cast<long long>(writer.written()), static_cast<long long>(agreements),
               static_cast<long long>(writer.written() - agreements), out.Describe().c_str());
  return kExitOk;
}

}  // namespace imp::impctl
