// impctl get, list, create, update, delete and undelete of institutions, agreements,
// activities and projects. Resources go in and come out as proto JSON; list prints a table unless
// --json.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/output.h"
#include "tools/impctl/paging.h"
#include "tools/impctl/table.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

int Usage(const std::string& message) {
  std::fprintf(stderr, "impctl: %s; see impctl --help\n", message.c_str());
  return kExitUsage;
}

// The text of FILE, or of standard input for "-".
absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
    text << in.rdbuf();
  }
  return text.str();
}

// What a call returns: the resource printed as JSON, or the error's exit code.
int Finish(const grpc::Status& s, const google::protobuf::Message& resource) {
  if (!s.ok()) return ReportError(s);
  PrintJson(resource);
  return kExitOk;
}

std::string Day(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(t.seconds()), absl::UTCTimeZone());
}

// Prints a table, or the whole result as one JSON document with --json.
template <typename Response, typename Each>
int PrintList(const grpc::Status& s, const Response& all, int count, const char* noun, Table& table,
              Each each) {
  if (!s.ok()) return ReportError(s);
  if (absl::GetFlag(FLAGS_json)) {
    PrintJson(all);
    return kExitOk;
  }
  each();
  std::printf("%s%d %s\n", table.Render().c_str(), count, noun);
  return kExitOk;
}

// Project columns: the status without its prefix, totals per currency ("35000000 EUR"),
// deliverables' units delivered of planned summed over deliverables.
std::string StatusWord(const reg::Project& p) {
  std::string s = reg::Project::Status_Name(p.status());
  return s.substr(s.find('_') + 1);
}

std::string MoneyText(const google::protobuf::RepeatedPtrField<google::type::Money>& totals) {
  std::vector<std::string> parts;
  for (const auto& m : totals) {
    std::string amount = absl::StrCat(m.units());
    if (m.nanos() != 0) absl::StrAppend(&amount, ".", absl::StrFormat("%09d", m.nanos()));
    parts.push_back(absl::StrCat(amount, " ", m.currency_code()));
  }
  return absl::StrJoin(parts, " + ");
}

std::string DeliveryText(const reg::Project& p) {
  if (p.deliverables_size() == 0) return "";
  int64_t planned = 0, delivered = 0;
  for (const auto& d : p.deliverables()) {
    planned += d.planned_quantity();
    delivered += d.delivered_quantity();
  }
  return absl::StrCat(delivered, "/", planned);
}

}  // namespace

int Get(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 2 || !ParseKind(args[0], &kind)) return Usage("usage: impctl get KIND NAME");
  const std::string name = FullName(kind, args[1]);
  if (kind == Kind::kInstitution) {
    reg::GetInstitutionRequest req;
    req.set_name(name);
    reg::Institution out;
    return Finish(client.registry().GetInstitution(client.Context().get(), req, &out), out);
  }
  if (kind == Kind::kAgreement) {
    reg::GetAgreementRequest req;
    req.set_name(name);
    reg::Agreement out;
    return Finish(client.registry().GetAgreement(client.Context().get(), req, &out), out);
  }
  if (kind == Kind::kProject) {
    reg::GetProjectRequest req;
    req.set_name(name);
    reg::Project out;
    return Finish(client.registry().GetProject(client.Context().get(), req, &out), out);
  }
  act::GetActivityRequest req;
  req.set_name(name);
  act::Activity out;
  return Finish(client.activity().GetActivity(client.Context().get(), req, &out), out);
}

int List(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 1 || !ParseKind(args[0], &kind)) return Usage("usage: impctl list KIND");
  // A DELETED column only when deleted resources can be listed at all.
  const bool deleted_column = absl::GetFlag(FLAGS_show_deleted);
  auto header = [&](std::vector<std::string> columns) {
    if (deleted_column) columns.push_back("DELETED");
    return columns;
  };
  if (kind == Kind::kInstitution) {
    reg::ListInstitutionsResponse all;
    grpc::Status s = ListAllPages(
        client, ListRequestFromFlags<reg::ListInstitutionsRequest>(),
        [&](auto* c, const auto& r, auto* o) {
          return client.registry().ListInstitutions(c, r, o);
        },
        &all);
    Table table(header({"ID", "KIND", "COUNTRY", "REGION", "CITY", "DISPLAY NAME"}));
    return PrintList(s, all, all.institutions_size(), "institutions", table, [&] {
      for (const auto& i : all.institutions()) {
        auto csv = InstitutionToCsv(i);
        table.AddRow({csv[0], csv[4], i.country(), i.region(), i.city(), i.display_name(),
                      Day(i.delete_time())});
      }
    });
  }
  if (kind == Kind::kAgreement) {
    reg::ListAgreementsResponse all;
    grpc::Status s = ListAllPages(
        client, ListRequestFromFlags<reg::ListAgreementsRequest>(),
        [&](auto* c, const auto& r, auto* o) { return client.registry().ListAgreements(c, r, o); },
        &all);
    Table table(header({"ID", "STATE", "SIGNED ON", "PARTIES", "TITLE"}));
    return PrintList(s, all, all.agreements_size(), "agreements", table, [&] {
      for (const auto& a : all.agreements()) {
        std::vector<std::string> parties;
        for (const auto& p : a.parties()) parties.push_back(BareId(p.institution()));
        auto csv = AgreementToCsv(a);
        table.AddRow(
            {csv[0], csv[3], csv[5], absl::StrJoin(parties, " "), a.title(), Day(a.delete_time())});
      }
    });
  }
  if (kind == Kind::kProject) {
    reg::ListProjectsResponse all;
    grpc::Status s = ListAllPages(
        client, ListRequestFromFlags<reg::ListProjectsRequest>(),
        [&](auto* c, const auto& r, auto* o) { return client.registry().ListProjects(c, r, o); },
        &all);
    Table table(header({"ID", "STATUS", "BUDGET", "DELIVERED/PLANNED", "TITLE"}));
    return PrintList(s, all, all.projects_size(), "projects", table, [&] {
      for (const auto& p : all.projects()) {
        table.AddRow({BareId(p.name()), StatusWord(p), MoneyText(p.budget_totals()),
                      DeliveryText(p), p.title(), Day(p.delete_time())});
      }
    });
  }
  act::ListActivitiesResponse all;
  grpc::Status s = ListAllPages(
      client, ListRequestFromFlags<act::ListActivitiesRequest>(),
      [&](auto* c, const auto& r, auto* o) { return client.activity().ListActivities(c, r, o); },
      &all);
  Table table(header({"ID", "KIND", "START", "HOST", "COUNTRY", "TITLE"}));
  return PrintList(s, all, all.activities_size(), "activities", table, [&] {
    for (const auto& a : all.activities()) {
      auto csv = ActivityToCsv(a);
      table.AddRow({csv[0], csv[1], csv[6], csv[4], csv[8], a.title(), Day(a.delete_time())});
    }
  });
}

int Create(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() < 2 || args.size() > 3 || !ParseKind(args[0], &kind)) {
    return Usage("usage: impctl create KIND JSON_FILE|- [ID]");
  }
  auto json = ReadInput(args[1]);
  if (!json.ok()) return Usage(std::string(json.status().message()));
  const std::string id = args.size() == 3 ? args[2] : "";
  const std::string request_id = absl::GetFlag(FLAGS_request_id);
  if (kind == Kind::kInstitution) {
    reg::CreateInstitutionRequest req;
    if (!ParseJsonInto(*json, req.mutable_institution())) return kExitUsage;
    req.set_institution_id(id);
    req.set_request_id(request_id);
    reg::Institution out;
    return Finish(client.registry().CreateInstitution(client.Context().get(), req, &out), out);
  }
  if (kind == Kind::kAgreement) {
    reg::CreateAgreementRequest req;
    if (!ParseJsonInto(*json, req.mutable_agreement())) return kExitUsage;
    req.set_agreement_id(id);
    req.set_request_id(request_id);
    reg::Agreement out;
    return Finish(client.registry().CreateAgreement(client.Context().get(), req, &out), out);
  }
  if (kind == Kind::kProject) {
    reg::CreateProjectRequest req;
    if (!ParseJsonInto(*json, req.mutable_project())) return kExitUsage;
    req.set_project_id(id);
    req.set_request_id(request_id);
    reg::Project out;
    return Finish(client.registry().CreateProject(client.Context().get(), req, &out), out);
  }
  act::CreateActivityRequest req;
  if (!ParseJsonInto(*json, req.mutable_activity())) return kExitUsage;
  req.set_activity_id(id);
  req.set_request_id(request_id);
  act::Activity out;
  return Finish(client.activity().CreateActivity(client.Context().get(), req, &out), out);
}

int Update(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 3 || !ParseKind(args[0], &kind)) {
    return Usage("usage: impctl update KIND NAME JSON_FILE|- [--update_mask=a,b] [--etag=E]");
  }
  auto json = ReadInput(args[2]);
  if (!json.ok()) return Usage(std::string(json.status().message()));
  google::protobuf::FieldMask mask;
  for (absl::string_view p :
       absl::StrSplit(absl::GetFlag(FLAGS_update_mask), ',', absl::SkipEmpty())) {
    mask.add_paths(std::string(absl::StripAsciiWhitespace(p)));
  }
  // The name comes from the command line and --etag, when given, overrides one in the JSON.
  auto prepare = [&](auto* resource) {
    if (!ParseJsonInto(*json, resource)) return false;
    resource->set_name(FullName(kind, args[1]));
    if (!absl::GetFlag(FLAGS_etag).empty()) resource->set_etag(absl::GetFlag(FLAGS_etag));
    return true;
  };
  if (kind == Kind::kInstitution) {
    reg::UpdateInstitutionRequest req;
    if (!prepare(req.mutable_institution())) return kExitUsage;
    *req.mutable_update_mask() = mask;
    reg::Institution out;
    return Finish(client.registry().UpdateInstitution(client.Context().get(), req, &out), out);
  }
  if (kind == Kind::kAgreement) {
    reg::UpdateAgreementRequest req;
    if (!prepare(req.mutable_agreement())) return kExitUsage;
    *req.mutable_update_mask() = mask;
    reg::Agreement out;
    return Finish(client.registry().UpdateAgreement(client.Context().get(), req, &out), out);
  }
  if (kind == Kind::kProject) {
    reg::UpdateProjectRequest req;
    if (!prepare(req.mutable_project())) return kExitUsage;
    *req.mutable_update_mask() = mask;
    reg::Project out;
    return Finish(client.registry().UpdateProject(client.Context().get(), req, &out), out);
  }
  act::UpdateActivityRequest req;
  if (!prepare(req.mutable_activity())) return kExitUsage;
  *req.mutable_update_mask() = mask;
  act::Activity out;
  return Finish(client.activity().UpdateActivity(client.Context().get(), req, &out), out);
}

namespace {

// Delete and Undelete requests share their shape: name and etag.
template <typename Request>
Request NameAndEtag(const std::string& name) {
  Request req;
  req.set_name(name);
  req.set_etag(absl::GetFlag(FLAGS_etag));
  return req;
}

}  // namespace

int Delete(Client& client, const std::vector<std::string>& args, bool undelete) {
  Kind kind;
  if (args.size() != 2 || !ParseKind(args[0], &kind)) {
    return Usage(
        absl::StrCat("usage: impctl ", undelete ? "undelete" : "delete", " KIND NAME [--etag=E]"));
  }
  const std::string name = FullName(kind, args[1]);
  auto& registry = client.registry();
  if (kind == Kind::kInstitution) {
    reg::Institution out;
    grpc::Status s =
        undelete
            ? registry.UndeleteInstitution(client.Context().get(),
                                           NameAndEtag<reg::UndeleteInstitutionRequest>(name), &out)
            : registry.DeleteInstitution(client.Context().get(),
                                         NameAndEtag<reg::DeleteInstitutionRequest>(name), &out);
    return Finish(s, out);
  }
  if (kind == Kind::kAgreement) {
    reg::Agreement out;
    grpc::Status s =
        undelete
            ? registry.UndeleteAgreement(client.Context().get(),
                                         NameAndEtag<reg::UndeleteAgreementRequest>(name), &out)
            : registry.DeleteAgreement(client.Context().get(),
                                       NameAndEtag<reg::DeleteAgreementRequest>(name), &out);
    return Finish(s, out);
  }
  if (kind == Kind::kProject) {
    reg::Project out;
    grpc::Status s =
        undelete ? registry.UndeleteProject(client.Context().get(),
                                            NameAndEtag<reg::UndeleteProjectRequest>(name), &out)
                 : registry.DeleteProject(client.Context().get(),
                                          NameAndEtag<reg::DeleteProjectRequest>(name), &out);
    return Finish(s, out);
  }
  auto& activities = client.activity();
  act::Activity out;
  grpc::Status s =
      undelete ? activities.UndeleteActivity(client.Context().get(),
                                             NameAndEtag<act::UndeleteActivityRequest>(name), &out)
               : activities.DeleteActivity(client.Context().get(),
                                           NameAndEtag<act::DeleteActivityRequest>(name), &out);
  return Finish(s, out);
}

}  // namespace imp::impctl
