// libFuzzer harness: every ActivityService request through the activity service's own methods,
// up to the database. The methods run on an activity::Activities over a Database that was never
// migrated and a fake registry (ReferenceLookup), so everything they check before their first
// statement runs for real (request bounds, names, request ids, activity validation, references,
// update masks, order_by, filters compiled to SQL, page tokens, statistics dimensions and
// dates, an import's header and mode) and a request that passes answers UNAVAILABLE "database
// not ready". Imports also run with validate_only set, which checks every row (and its
// references) without the database. UpdateActivity's steps after reading the stored activity
// run as the plain functions it calls: the mask merged into a stored activity, its validation
// and its references.
//
// Properties: no crash, leak or undefined behaviour; every refusal INVALID_ARGUMENT naming a
// request field (FAILED_PRECONDITION for a reference the registry refuses), with a message of at
// most 2 KB; every import row error names a field and its row, briefly; no update changes an
// output-only field. Input format: tests/fuzz/request_fuzz.h.
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "activity-service/src/activities.h"
#include "activity-service/src/validation.h"
#include "common/api/page_token.h"
#include "common/api/proto_util.h"
#include "tests/fuzz/request_fuzz.h"

namespace {

using imp::activity::ReferenceFacts;
using imp::activity::References;
using imp::activity::ReferenceState;
using imp::fuzz::CheckAnswer;
using imp::fuzz::CheckRefusal;
using imp::fuzz::Fail;
using imp::fuzz::Method;
namespace v1 = imp::activity::v1;

// The registry, as far as the harness needs one: a name says what it is ("...deleted..." is
// deleted, "...unknown..." does not exist, an agreement "...proposed..." is not ACTIVE), and
// the cooperation-area codelist is a fixed subset of the real one.
class FakeRegistry : public imp::activity::ReferenceLookup {
 public:
  absl::StatusOr<ReferenceFacts> Lookup(const References& refs, absl::Time) override {
    ReferenceFacts facts;
    auto state = [](const std::string& name) {
      if (absl::StrContains(name, "deleted")) return ReferenceState::kDeleted;
      if (absl::StrContains(name, "unknown")) return ReferenceState::kUnknown;
      if (absl::StrContains(name, "proposed")) return ReferenceState::kNotActive;
      return ReferenceState::kOk;
    };
    for (const auto& n : refs.institutions) facts.institutions[n] = state(n);
    for (const auto& n : refs.agreements) facts.agreements[n] = state(n);
    for (const auto& code : refs.cooperation_areas) {
      const bool known = code == "oncology" || code == "surgery" || code == "rehabilitation" ||
                         code == "telemedicine";
      facts.cooperation_areas[code] = known ? ReferenceState::kOk : ReferenceState::kUnknown;
    }
    return facts;
  }
};

FakeRegistry& Registry() {
  static auto* const registry = new FakeRegistry;
  return *registry;
}

// What the database holds for the activity an update names: valid, output-only fields set.
v1::Activity StoredActivity() {
  v1::Activity a;
  a.set_name("activities/a1");
  a.set_title("Paediatric oncology internship");
  a.set_kind(v1::Activity::KIND_TRAINING);
  a.set_host_institution("institutions/hcl-lyon");
  a.add_partner_institutions("institutions/okhmatdyt");
  a.mutable_start_date()->set_year(2024);
  a.mutable_start_date()->set_month(3);
  a.mutable_start_date()->set_day(4);
  a.mutable_location()->set_country("FR");
  a.set_direction(v1::Activity::DIRECTION_TO_UKRAINE);
  auto* t = a.mutable_training();
  t->set_format(v1::TrainingDetails::FORMAT_INTERNSHIP);
  auto* g = t->add_participant_groups();
  g->set_institution("institutions/okhmatdyt");
  g->set_profession(v1::ParticipantGroup::PROFESSION_DOCTOR);
  g->set_headcount(3);
  a.set_etag("e1");
  a.mutable_create_time()->set_seconds(1700000000);
  a.mutable_update_time()->set_seconds(1700000001);
  return a;
}

// UpdateActivity after it has read the stored activity: merge, validate, check references.
void MergeAndValidate(const v1::UpdateActivityRequest& req) {
  auto paths = imp::api::ResolveUpdateMask(req.update_mask(), req.activity(),
                                           imp::activity::UpdatableActivityFields());
  if (!paths.ok()) Fail("a mask the method accepted does not resolve", "UpdateActivity");
  const v1::Activity stored = StoredActivity();
  const v1::Activity merged = imp::activity::MergeUpdate(stored, req.activity(), *paths);
  if (merged.name() != stored.name() || merged.etag() != stored.etag() ||
      merged.create_time().SerializeAsString() != stored.create_time().SerializeAsString() ||
      merged.update_time().SerializeAsString() != stored.update_time().SerializeAsString() ||
      merged.delete_time().SerializeAsString() != stored.delete_time().SerializeAsString()) {
    Fail("an update mask changed an output-only field", "UpdateActivity");
  }
  absl::Status s = imp::activity::ValidateActivity(merged);
  if (s.ok()) {
    References refs;
    imp::activity::CollectReferences(merged, refs);
    s = imp::activity::ReferenceProblem(merged, *Registry().Lookup(refs, absl::InfiniteFuture()));
  }
  if (!s.ok()) CheckRefusal(s, "UpdateActivity", /*precondition_ok=*/true);
}

// An import stream of one message, half-closed by the client.
class OneMessage : public imp::activity::ImportStream {
 public:
  explicit OneMessage(const v1::ImportActivitiesRequest& m) : message_(&m) {}
  absl::StatusOr<const v1::ImportActivitiesRequest*> Next() override {
    const auto* m = message_;
    message_ = nullptr;
    return m;
  }

 private:
  const v1::ImportActivitiesRequest* message_;
};

// Every row error names a field and a row of the import, and says why briefly.
void CheckImportAnswer(const v1::ImportActivitiesRequest& req,
                       const v1::ImportActivitiesResponse& out) {
  if (out.rows_received() != req.rows_size()) Fail("rows_received", out.DebugString());
  if (out.rows_failed() > req.rows_size() || out.errors_size() > out.rows_failed()) {
    Fail("more failed rows than rows", out.DebugString().substr(0, 4096));
  }
  if (out.rows_imported() != 0 || out.activity_names_size() != 0) {
    Fail("validate_only imported rows", out.DebugString().substr(0, 4096));
  }
  for (const auto& e : out.errors()) {
    bool known_row = false;
    for (const auto& row : req.rows()) known_row = known_row || row.row_number() == e.row_number();
    if (!known_row) Fail("a row error for a row not sent", e.DebugString());
    if (e.field().empty() || !imp::fuzz::IsFieldPath(e.field())) {
      Fail("a row error that names no field", e.DebugString().substr(0, 4096));
    }
    if (e.reason().empty() || e.reason().size() > imp::fuzz::kMaxErrorMessageBytes) {
      Fail("a row error reason empty or unbounded", e.DebugString().substr(0, 4096));
    }
  }
}

void Import(imp::activity::Activities& activities, const imp::RequestContext& ctx,
            const v1::ImportActivitiesRequest& req) {
  {
    OneMessage stream(req);
    v1::ImportActivitiesResponse out;
    const absl::Status s = activities.ImportActivities(ctx, stream, &out);
    if (!(s.ok() && req.validate_only())) {
      CheckAnswer(s, "ImportActivities", /*precondition_ok=*/true);
    } else {
      CheckImportAnswer(req, out);
    }
  }
  // The same rows checked without applying them: every row reaches validation.
  v1::ImportActivitiesRequest check = req;
  check.set_validate_only(true);
  OneMessage stream(check);
  v1::ImportActivitiesResponse out;
  const absl::Status s = activities.ImportActivities(ctx, stream, &out);
  if (s.ok()) {
    CheckImportAnswer(check, out);
  } else {
    CheckRefusal(s, "ImportActivities");
  }
}

const std::vector<Method>& Methods() {
  using imp::activity::Activities;
  static auto* const service = new Activities(&imp::fuzz::UnmigratedDatabase(), &Registry());
  const auto* ctx = imp::fuzz::FuzzContext();
  // FAILED_PRECONDITION is what a reference the registry refuses gets (CheckReferences).
  auto entry = [&](const char* name, auto method, auto... after) {
    return imp::fuzz::Entry(service, ctx, name, method, /*precondition_ok=*/true, after...);
  };
  static const auto* const methods = new std::vector<Method>{
      entry("GetActivity", &Activities::GetActivity),
      entry("ListActivities", &Activities::ListActivities),
      entry("CreateActivity", &Activities::CreateActivity),
      entry("UpdateActivity", &Activities::UpdateActivity, MergeAndValidate),
      entry("DeleteActivity", &Activities::DeleteActivity),
      entry("UndeleteActivity", &Activities::UndeleteActivity),
      entry("BatchGetActivities", &Activities::BatchGetActivities),
      Method{"ImportActivities", &v1::ImportActivitiesRequest::default_instance(),
             [ctx](const google::protobuf::Message& m) {
               Import(*service, *ctx, static_cast<const v1::ImportActivitiesRequest&>(m));
             }},
      entry("GetActivityStats", &Activities::GetActivityStats),
      entry("ListChanges", &Activities::ListChanges),
      entry("VerifyStatistics", &Activities::VerifyStatistics),
  };
  return *methods;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  imp::fuzz::InitializeHarness("imp.activity.v1.ActivityService", Methods());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  imp::fuzz::RunOneInput(data, size, Methods());
  return 0;
}
