// impctl import institutions|agreements|projects: one Create call per CSV row.
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "tools/impctl/import.h"
#include "tools/impctl/mapping.h"
#include "tools/impctl/mapping_project.h"
#include "tools/impctl/progress.h"

namespace imp::impctl {
namespace {

namespace reg = registry::v1;

// Errors after which no further row can succeed.
bool StopsTheImport(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAUTHENTICATED || code == grpc::StatusCode::UNAVAILABLE ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::UNIMPLEMENTED;
}

grpc::Status CreateInstitution(Client& client, const CsvRecord& rec, const std::string& request_id,
                               absl::Status* row_error) {
  auto row = InstitutionFromCsv(rec.fields);
  if (!row.ok()) {
    *row_error = row.status();
    return grpc::Status::OK;
  }
  reg::CreateInstitutionRequest req;
  req.set_institution_id(row->id);
  *req.mutable_institution() = row->institution;
  req.set_request_id(request_id);
  reg::Institution out;
  return client.registry().CreateInstitution(client.Context().get(), req, &out);
}

// Moves a created agreement on to the state its CSV row records. A replayed create (same
// request id, e.g. a re-run after an interruption) answers with the agreement as first created,
// so the current state is read before any transition: a re-run never repeats one.
grpc::Status ReachState(Client& client, const reg::Agreement& created,
                        reg::Agreement::State target) {
  if (created.state() == target) return grpc::Status::OK;
  reg::Agreement current;
  reg::GetAgreementRequest get;
  get.set_name(created.name());
  grpc::Status s = client.registry().GetAgreement(client.Context().get(), get, &current);
  if (!s.ok() || current.state() == target) return s;
  reg::Agreement out;
  switch (target) {
    case reg::Agreement::STATE_SUSPENDED: {
      reg::SuspendAgreementRequest r;
      r.set_name(created.name());
      r.set_reason("impctl import: the CSV records the agreement as SUSPENDED");
      return client.registry().SuspendAgreement(client.Context().get(), r, &out);
    }
    case reg::Agreement::STATE_EXPIRED: {
      reg::ExpireAgreementRequest r;
      r.set_name(created.name());
      return client.registry().ExpireAgreement(client.Context().get(), r, &out);
    }
    case reg::Agreement::STATE_TERMINATED: {
      reg::TerminateAgreementRequest r;
      r.set_name(created.name());
      r.set_reason("impctl import: the CSV records the agreement as TERMINATED");
      return client.registry().TerminateAgreement(client.Context().get(), r, &out);
    }
    default:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("state: ", created.name(), " is ",
                                       reg::Agreement::State_Name(current.state()),
                                       "; import does not move an agreement back to ",
                                       reg::Agreement::State_Name(target)));
  }
}

grpc::Status CreateAgreement(Client& client, const CsvRecord& rec, const std::string& request_id,
                             absl::Status* row_error) {
  auto row = AgreementFromCsv(rec.fields);
  if (!row.ok()) {
    *row_error = row.status();
    return grpc::Status::OK;
  }
  reg::CreateAgreementRequest req;
  req.set_agreement_id(row->id);
  *req.mutable_agreement() = row->agreement;
  req.set_request_id(request_id);
  reg::Agreement out;
  grpc::Status s = client.registry().CreateAgreement(client.Context().get(), req, &out);
  if (!s.ok()) return s;
  s = ReachState(client, out, row->target_state);
  if (!s.ok() && !StopsTheImport(s.error_code())) {
    // The agreement exists now; say so, so that nobody re-creates it by hand.
    RowError e = RowErrorFromStatus(rec.line, FromGrpcStatus(s));
    *row_error =
        absl::Status(FromGrpcStatus(s).code(),
                     absl::StrCat(e.field.empty() ? "state" : e.field, ": created ", out.name(),
                                  " but could not make it ",
                                  reg::Agreement::State_Name(row->target_state), ": ", e.reason));
    return grpc::Status::OK;
  }
  return s;
}

grpc::Status CreateProject(Client& client, const CsvRecord& rec, const std::string& request_id,
                           absl::Status* row_error) {
  auto row = ProjectFromCsv(rec.fields);
  if (!row.ok()) {
    *row_error = row.status();
    return grpc::Status::OK;
  }
  reg::CreateProjectRequest req;
  req.set_project_id(row->id);
  *req.mutable_project() = row->project;
  req.set_request_id(request_id);
  reg::Project out;
  return client.registry().CreateProject(client.Context().get(), req, &out);
}

}  // namespace

bool IsTheRowItself(const absl::Status& already_exists, const std::string& name) {
  if (!absl::IsAlreadyExists(already_exists)) return false;
  if (name.empty()) return true;
  // The ResourceInfo of the answer names the resource that exists (the message is not read).
  return api::ReasonOf(already_exists) == api::kReasonResourceExists &&
         api::ResourceNameOf(already_exists) == name;
}

grpc::Status ImportRegistryRows(Client& client, Kind kind, const CsvTable& table,
                                const ImportOptions& options, ImportReport* report) {
  const auto create = kind == Kind::kInstitution ? CreateInstitution
                      : kind == Kind::kProject   ? CreateProject
                                                 : CreateAgreement;
  Progress progress(report->kind, table.records.size(), Progress::StderrIsTty());
  for (size_t i = 0; i < table.records.size(); ++i) {
    const CsvRecord& rec = table.records[i];
    const std::string& id = rec.fields.front();  // the parser guarantees the header's width
    const std::string name = id.empty() ? "" : FullName(kind, id);
    absl::Status row_error;
    grpc::Status s =
        create(client, rec, absl::StrCat(options.request_id, "-", rec.line), &row_error);
    if (!s.ok() && StopsTheImport(s.error_code())) return s;
    if (!s.ok()) row_error = FromGrpcStatus(s);
    if (row_error.ok()) {
      ++report->imported;
    } else if (!options.strict && IsTheRowItself(row_error, name)) {
      ++report->existing;
    } else {
      report->errors.push_back(RowErrorFromStatus(rec.line, row_error));
    }
    progress.Update(i + 1);
  }
  return grpc::Status::OK;
}

}  // namespace imp::impctl
