// impctl: health, whoami, get, list, create, update, delete, undelete, export.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/impctl/commands.h"
#include "tools/impctl/csv.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/mapping.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;

int Usage(const std::string& message) {
  std::fprintf(stderr, "impctl: %s; see impctl --help\n", message.c_str());
  return kExitUsage;
}

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
    text << in.rdbuf();
  }
  return text.str();
}

int ParseJsonInto(const std::string& json, google::protobuf::Message* message) {
  auto status = google::protobuf::util::JsonStringToMessage(json, message);
  if (!status.ok()) {
    std::fprintf(stderr, "impctl: the JSON is not a %s: %s\n", message->GetTypeName().c_str(),
                 status.ToString().c_str());
    return kExitUsage;
  }
  return kExitOk;
}

void PrintRow(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    std::string cell = cells[i].size() > 48 ? cells[i].substr(0, 45) + "..." : cells[i];
    absl::StrAppend(
        &line, i == 0 ? "" : "  ", cell,
        std::string(i + 1 < cells.size() && cell.size() < 24 ? 24 - cell.size() : 0, ' '));
  }
  std::printf("%s\n", line.c_str());
}

// Pages through a List method; `each` sees every page.
template <typename Req, typename Resp, typename Call, typename Each>
grpc::Status ListAll(Client& client, Req req, Call call, Each each, bool all_pages) {
  for (;;) {
    Resp resp;
    grpc::Status s = call(client.Context().get(), req, &resp);
    if (!s.ok()) return s;
    each(resp);
    if (resp.next_page_token().empty() || !all_pages) return grpc::Status::OK;
    req.set_page_token(resp.next_page_token());
  }
}

template <typename Req>
Req ListRequest() {
  Req req;
  req.set_filter(absl::GetFlag(FLAGS_filter));
  req.set_order_by(absl::GetFlag(FLAGS_order_by));
  req.set_page_size(absl::GetFlag(FLAGS_page_size));
  req.set_show_deleted(absl::GetFlag(FLAGS_show_deleted));
  return req;
}

}  // namespace

bool ParseKind(const std::string& word, Kind* kind) {
  if (word == "institution" || word == "institutions")
    *kind = Kind::kInstitution;
  else if (word == "agreement" || word == "agreements")
    *kind = Kind::kAgreement;
  else if (word == "activity" || word == "activities")
    *kind = Kind::kActivity;
  else
    return false;
  return true;
}

std::string FullName(Kind kind, const std::string& name_or_id) {
  if (absl::StrContains(name_or_id, '/')) return name_or_id;
  const char* collection = kind == Kind::kInstitution ? "institutions"
                           : kind == Kind::kAgreement ? "agreements"
                                                      : "activities";
  return absl::StrCat(collection, "/", name_or_id);
}

std::string Json(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

int Health(const std::vector<std::string>&) {
  using grpc::health::v1::HealthCheckRequest;
  using grpc::health::v1::HealthCheckResponse;
  const std::string target = TargetFromFlags();
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_wait_seconds));
  HealthCheckRequest req;
  req.set_service(absl::GetFlag(FLAGS_service));
  for (;;) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    const bool serving = s.ok() && resp.status() == HealthCheckResponse::SERVING;
    if (serving || absl::Now() >= give_up) {
      if (!s.ok()) return ReportError(s);
      std::printf("%s %s\n", target.c_str(),
                  HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
      return serving ? kExitOk : kExitNotServing;
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

int WhoAmI(Client& client, const std::vector<std::string>&) {
  gateway::v1::GetCallerResponse resp;
  grpc::Status s = client.gateway().GetCaller(client.Context().get(), {}, &resp);
  if (!s.ok()) return ReportError(s);
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("%s\n", Json(resp).c_str());
  } else {
    std::printf("%s (%s)", resp.actor().c_str(),
                gateway::v1::GetCallerResponse::Role_Name(resp.role()).c_str());
    for (const auto& i : resp.scoped_institutions()) std::printf(" %s", i.c_str());
    std::printf("\n");
  }
  return kExitOk;
}

int Get(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 2 || !ParseKind(args[0], &kind)) return Usage("usage: impctl get KIND NAME");
  const std::string name = FullName(kind, args[1]);
  grpc::Status s;
  std::unique_ptr<google::protobuf::Message> out;
  if (kind == Kind::kInstitution) {
    reg::GetInstitutionRequest req;
    req.set_name(name);
    auto* r = new reg::Institution;
    out.reset(r);
    s = client.registry().GetInstitution(client.Context().get(), req, r);
  } else if (kind == Kind::kAgreement) {
    reg::GetAgreementRequest req;
    req.set_name(name);
    auto* r = new reg::Agreement;
    out.reset(r);
    s = client.registry().GetAgreement(client.Context().get(), req, r);
  } else {
    act::GetActivityRequest req;
    req.set_name(name);
    auto* r = new act::Activity;
    out.reset(r);
    s = client.activity().GetActivity(client.Context().get(), req, r);
  }
  if (!s.ok()) return ReportError(s);
  std::printf("%s\n", Json(*out).c_str());
  return kExitOk;
}

int List(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 1 || !ParseKind(args[0], &kind)) return Usage("usage: impctl list KIND");
  const bool json = absl::GetFlag(FLAGS_json);
  grpc::Status s;
  if (kind == Kind::kInstitution) {
    if (!json) PrintRow({"NAME", "DISPLAY NAME", "COUNTRY", "REGION", "KIND"});
    s = ListAll<reg::ListInstitutionsRequest, reg::ListInstitutionsResponse>(
        client, ListRequest<reg::ListInstitutionsRequest>(),
        [&](grpc::ClientContext* c, const auto& r, auto* o) {
          return client.registry().ListInstitutions(c, r, o);
        },
        [&](const reg::ListInstitutionsResponse& page) {
          if (json) return (void)std::printf("%s\n", Json(page).c_str());
          for (const auto& i : page.institutions()) {
            PrintRow({i.name(), i.display_name(), i.country(), i.region(),
                      reg::Institution::Kind_Name(i.kind())});
          }
        },
        !json);
  } else if (kind == Kind::kAgreement) {
    if (!json) PrintRow({"NAME", "TITLE", "STATE", "SIGNED ON", "PARTIES"});
    s = ListAll<reg::ListAgreementsRequest, reg::ListAgreementsResponse>(
        client, ListRequest<reg::ListAgreementsRequest>(),
        [&](grpc::ClientContext* c, const auto& r, auto* o) {
          return client.registry().ListAgreements(c, r, o);
        },
        [&](const reg::ListAgreementsResponse& page) {
          if (json) return (void)std::printf("%s\n", Json(page).c_str());
          for (const auto& a : page.agreements()) {
            auto row = AgreementToCsv(a);
            PrintRow({a.name(), a.title(), row[3], row[5], row[4]});
          }
        },
        !json);
  } else {
    if (!json) PrintRow({"NAME", "KIND", "START", "HOST", "TITLE"});
    s = ListAll<act::ListActivitiesRequest, act::ListActivitiesResponse>(
        client, ListRequest<act::ListActivitiesRequest>(),
        [&](grpc::ClientContext* c, const auto& r, auto* o) {
          return client.activity().ListActivities(c, r, o);
        },
        [&](const act::ListActivitiesResponse& page) {
          if (json) return (void)std::printf("%s\n", Json(page).c_str());
          for (const auto& a : page.activities()) {
            auto row = ActivityToCsv(a);
            PrintRow({a.name(), row[1], row[6], a.host_institution(), a.title()});
          }
        },
        !json);
  }
  return s.ok() ? kExitOk : ReportError(s);
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
  grpc::Status s;
  std::unique_ptr<google::protobuf::Message> out;
  if (kind == Kind::kInstitution) {
    reg::CreateInstitutionRequest req;
    if (int rc = ParseJsonInto(*json, req.mutable_institution()); rc != kExitOk) return rc;
    req.set_institution_id(id);
    req.set_request_id(request_id);
    auto* r = new reg::Institution;
    out.reset(r);
    s = client.registry().CreateInstitution(client.Context().get(), req, r);
  } else if (kind == Kind::kAgreement) {
    reg::CreateAgreementRequest req;
    if (int rc = ParseJsonInto(*json, req.mutable_agreement()); rc != kExitOk) return rc;
    req.set_agreement_id(id);
    req.set_request_id(request_id);
    auto* r = new reg::Agreement;
    out.reset(r);
    s = client.registry().CreateAgreement(client.Context().get(), req, r);
  } else {
    act::CreateActivityRequest req;
    if (int rc = ParseJsonInto(*json, req.mutable_activity()); rc != kExitOk) return rc;
    req.set_activity_id(id);
    req.set_request_id(request_id);
    auto* r = new act::Activity;
    out.reset(r);
    s = client.activity().CreateActivity(client.Context().get(), req, r);
  }
  if (!s.ok()) return ReportError(s);
  std::printf("%s\n", Json(*out).c_str());
  return kExitOk;
}

int Update(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 3 || !ParseKind(args[0], &kind)) {
    return Usage("usage: impctl update KIND NAME JSON_FILE|- [--update_mask=a,b] [--etag=E]");
  }
  auto json = ReadInput(args[2]);
  if (!json.ok()) return Usage(std::string(json.status().message()));
  const std::string name = FullName(kind, args[1]);
  google::protobuf::FieldMask mask;
  for (absl::string_view p :
       absl::StrSplit(absl::GetFlag(FLAGS_update_mask), ',', absl::SkipEmpty())) {
    mask.add_paths(std::string(p));
  }
  grpc::Status s;
  std::unique_ptr<google::protobuf::Message> out;
  auto prepare = [&](auto* resource) {
    int rc = ParseJsonInto(*json, resource);
    resource->set_name(name);
    if (!absl::GetFlag(FLAGS_etag).empty()) resource->set_etag(absl::GetFlag(FLAGS_etag));
    return rc;
  };
  if (kind == Kind::kInstitution) {
    reg::UpdateInstitutionRequest req;
    if (int rc = prepare(req.mutable_institution()); rc != kExitOk) return rc;
    *req.mutable_update_mask() = mask;
    auto* r = new reg::Institution;
    out.reset(r);
    s = client.registry().UpdateInstitution(client.Context().get(), req, r);
  } else if (kind == Kind::kAgreement) {
    reg::UpdateAgreementRequest req;
    if (int rc = prepare(req.mutable_agreement()); rc != kExitOk) return rc;
    *req.mutable_update_mask() = mask;
    auto* r = new reg::Agreement;
    out.reset(r);
    s = client.registry().UpdateAgreement(client.Context().get(), req, r);
  } else {
    act::UpdateActivityRequest req;
    if (int rc = prepare(req.mutable_activity()); rc != kExitOk) return rc;
    *req.mutable_update_mask() = mask;
    auto* r = new act::Activity;
    out.reset(r);
    s = client.activity().UpdateActivity(client.Context().get(), req, r);
  }
  if (!s.ok()) return ReportError(s);
  std::printf("%s\n", Json(*out).c_str());
  return kExitOk;
}

int Delete(Client& client, const std::vector<std::string>& args, bool undelete) {
  Kind kind;
  if (args.size() != 2 || !ParseKind(args[0], &kind)) {
    return Usage(
        absl::StrCat("usage: impctl ", undelete ? "undelete" : "delete", " KIND NAME [--etag=E]"));
  }
  const std::string name = FullName(kind, args[1]);
  const std::string etag = absl::GetFlag(FLAGS_etag);
  grpc::Status s;
  std::unique_ptr<google::protobuf::Message> out;
#define IMP_SOFT_DELETE(Stub, Type, Resource)                           \
  {                                                                     \
    auto* r = new Resource;                                             \
    out.reset(r);                                                       \
    if (undelete) {                                                     \
      Undelete##Type##Request req;                                      \
      req.set_name(name);                                               \
      req.set_etag(etag);                                               \
      s = client.Stub().Undelete##Type(client.Context().get(), req, r); \
    } else {                                                            \
      Delete##Type##Request req;                                        \
      req.set_name(name);                                               \
      req.set_etag(etag);                                               \
      s = client.Stub().Delete##Type(client.Context().get(), req, r);   \
    }                                                                   \
  }
  if (kind == Kind::kInstitution) {
    using namespace reg;  // NOLINT: the macro names the request types
    IMP_SOFT_DELETE(registry, Institution, reg::Institution)
  } else if (kind == Kind::kAgreement) {
    using namespace reg;  // NOLINT
    IMP_SOFT_DELETE(registry, Agreement, reg::Agreement)
  } else {
    using namespace act;  // NOLINT
    IMP_SOFT_DELETE(activity, Activity, act::Activity)
  }
#undef IMP_SOFT_DELETE
  if (!s.ok()) return ReportError(s);
  std::printf("%s\n", Json(*out).c_str());
  return kExitOk;
}

int Export(Client& client, const std::vector<std::string>& args) {
  Kind kind;
  if (args.size() != 1 || !ParseKind(args[0], &kind))
    return Usage("usage: impctl export KIND [--output=FILE]");
  std::string csv;
  grpc::Status s;
  if (kind == Kind::kInstitution) {
    csv = FormatCsvRecord(kInstitutionColumns);
    s = ListAll<reg::ListInstitutionsRequest, reg::ListInstitutionsResponse>(
        client, ListRequest<reg::ListInstitutionsRequest>(),
        [&](grpc::ClientContext* c, const auto& r, auto* o) {
          return client.registry().ListInstitutions(c, r, o);
        },
        [&](const reg::ListInstitutionsResponse& page) {
          for (const auto& i : page.institutions()) csv += FormatCsvRecord(InstitutionToCsv(i));
        },
        true);
  } else if (kind == Kind::kAgreement) {
    csv = FormatCsvRecord(kAgreementColumns);
    s = ListAll<reg::ListAgreementsRequest, reg::ListAgreementsResponse>(
        client, ListRequest<reg::ListAgreementsRequest>(),
        [&](grpc::ClientContext* c, const auto& r, auto* o) {
          return client.registry().ListAgreements(c, r, o);
        },
        [&](const reg::ListAgreementsResponse& page) {
          for (const auto& a : page.agreements()) csv += FormatCsvRecord(AgreementToCsv(a));
        },
        true);
  } else {
    csv = FormatCsvRecord(kActivityColumns);
    s = ListAll<act::ListActivitiesRequest, act::ListActivitiesResponse>(
        client, ListRequest<act::ListActivitiesRequest>(),
        [&](grpc::ClientContext* c, const auto& r, auto* o) {
          return client.activity().ListActivities(c, r, o);
        },
        [&](const act::ListActivitiesResponse& page) {
          for (const auto& a : page.activities()) csv += FormatCsvRecord(ActivityToCsv(a));
        },
        true);
  }
  if (!s.ok()) return ReportError(s);
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output.empty()) {
    std::fwrite(csv.data(), 1, csv.size(), stdout);
  } else {
    std::ofstream(output) << csv;
  }
  return kExitOk;
}

}  // namespace imp::impctl
