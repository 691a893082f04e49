// activity-service (with the registry it checks references against) under oversized and
// hostile input: capped groups, headcounts and text; sums that fit their INT columns; List pages
// bounded in bytes; and a sweep of every method of both services with hostile requests. Real
// servers on loopback, each over a MariaDB database of its own.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "activity-service/src/activity_server.h"
#include "activity-service/src/validation.h"
#include "common/api/bounds.h"
#include "common/api/page_budget.h"
#include "gtest/gtest.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"
#include "registry-service/src/registry_server.h"
#include "tests/support/test_database.h"

namespace imp::activity {
namespace {

using v1::Activity;
namespace reg = registry::v1;

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& actor = "tester") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("x-imp-actor", actor);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return ctx;
}

// Institution ids as long as ids may be (63 bytes), so that maximal activities are maximal.
std::string LongId(int i) {
  std::string id = absl::StrCat("institution-", i, "-");
  return id + std::string(63 - id.size(), 'x');
}

class ActivityBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_db_ = testing::TestDatabase::Create();
    activity_db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.readiness_interval = absl::Milliseconds(100);
    host.name = "registry-test";
    registry_ = std::make_unique<registry::RegistryServer>(host, registry_db_->pool_options());
    ASSERT_TRUE(registry_->Start().ok());
    host.name = "activity-test";
    activity_ = std::make_unique<ActivityServer>(host, activity_db_->pool_options(),
                                                 absl::StrCat("127.0.0.1:", registry_->port()));
    ASSERT_TRUE(activity_->Start().ok());
    registry_channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", registry_->port()),
                                            grpc::InsecureChannelCredentials());
    activity_channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", activity_->port()),
                                            grpc::InsecureChannelCredentials());
    reg_ = reg::RegistryService::NewStub(registry_channel_);
    act_ = v1::ActivityService::NewStub(activity_channel_);
    for (int i = 0; i < 100; ++i) {
      reg::ListCooperationAreasResponse areas;
      v1::ListActivitiesResponse list;
      if (reg_->ListCooperationAreas(Ctx().get(), {}, &areas).ok() &&
          act_->ListActivities(Ctx().get(), {}, &list).ok()) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "services never became ready";
  }

  void TearDown() override {
    activity_->Shutdown();
    registry_->Shutdown();
  }

  void Institution(const std::string& id, const std::string& country) {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.mutable_institution()->set_display_name(absl::StrCat("Institution ", id));
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country(country);
    reg::Institution out;
    grpc::Status s = reg_->CreateInstitution(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // `n` institutions with the longest ids: LongId(0) .. LongId(n - 1).
  void LongInstitutions(int n) {
    for (int i = 0; i < n; ++i) Institution(LongId(i), i == 0 ? "UA" : "FR");
  }

  static Activity Training(const std::string& host) {
    Activity a;
    a.set_title("Laparoscopic Training Week");
    a.set_host_institution("institutions/" + host);
    a.mutable_start_date()->set_year(2024);
    a.mutable_start_date()->set_month(4);
    a.mutable_start_date()->set_day(15);
    a.mutable_location()->set_country("UA");
    a.set_direction(Activity::DIRECTION_TO_UKRAINE);
    a.mutable_training()->set_format(v1::TrainingDetails::FORMAT_TRAINING_WEEK);
    return a;
  }

  static void AddGroups(Activity& a, int n, int headcount, const std::string& institution) {
    for (int i = 0; i < n; ++i) {
      auto* g = a.mutable_training()->add_participant_groups();
      g->set_institution("institutions/" + institution);
      g->set_profession(i % 2 ? v1::ParticipantGroup::PROFESSION_NURSE
                              : v1::ParticipantGroup::PROFESSION_DOCTOR);
      g->set_headcount(headcount);
    }
  }

  // The largest activity the limits allow (about 110 KB serialized), hosted by LongId(0) with
  // LongId(1..100) as partners: LongInstitutions(101) first.
  static Activity Maximal(int i) {
    Activity a = Training(LongId(0));
    a.set_title(absl::StrCat(i, " ", std::string(500, 't')).substr(0, 500));
    for (int p = 1; p <= 100; ++p) a.add_partner_institutions("institutions/" + LongId(p));
    for (int g = 0; g < 1000; ++g) {
      auto* group = a.mutable_training()->add_participant_groups();
      group->set_institution("institutions/" + LongId(g % 101));
      group->set_profession(v1::ParticipantGroup::PROFESSION_DOCTOR);
      group->set_headcount(limits::kMaxHeadcount);
    }
    a.mutable_location()->set_region("UA-07");
    a.mutable_location()->set_city(std::string(200, 'c'));
    a.set_notes(std::string(10000, 'n'));
    return a;
  }

  grpc::Status Create(const Activity& a, Activity* out = nullptr) {
    v1::CreateActivityRequest req;
    *req.mutable_activity() = a;
    Activity ignored;
    return act_->CreateActivity(Ctx().get(), req, out ? out : &ignored);
  }

  int CountActivities() {
    v1::ListActivitiesRequest req;
    req.set_page_size(1000);
    req.set_show_deleted(true);
    v1::ListActivitiesResponse resp;
    EXPECT_TRUE(act_->ListActivities(Ctx().get(), req, &resp).ok());
    return resp.activities_size();
  }

  std::unique_ptr<testing::TestDatabase> registry_db_, activity_db_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<ActivityServer> activity_;
  std::shared_ptr<grpc::Channel> registry_channel_, activity_channel_;
  std::unique_ptr<reg::RegistryService::Stub> reg_;
  std::unique_ptr<v1::ActivityService::Stub> act_;
};

void ExpectCapped(const grpc::Status& s, const std::string& field, const std::string& limit) {
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << field << ": " << s.error_message();
  EXPECT_TRUE(absl::StartsWith(s.error_message(), absl::StrCat(field, ": ")) &&
              absl::StrContains(s.error_message(), limit))
      << field << ": " << s.error_message();
  EXPECT_LT(s.error_message().size(), 200u);
}

TEST(ActivityLimits, EveryStringAndRepeatedFieldOfEveryRequestHasAChosenLimit) {
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      "imp.activity.v1.ActivityService");
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* input = service->method(i)->input_type();
    EXPECT_EQ(api::UnlistedFields(input, ActivityLimits()), std::vector<std::string>{})
        << input->full_name();
  }
}

TEST_F(ActivityBoundsTest,
       HeadcountsGroupsPartnersAndTextAreCappedNamingTheFieldAndNothingIsStored) {
  Institution("volyn", "UA");
  Institution("sussex", "GB");
  struct Case {
    std::string field;
    std::string limit;
    std::function<void(Activity&)> oversize;
  };
  const std::vector<Case> cases = {
      {"activity.training.participant_groups[0].headcount", "between 1 and 100000",
       [](Activity& a) { AddGroups(a, 1, 100001, "volyn"); }},
      {"activity.training.participant_groups", "at most 1000 entries",
       [](Activity& a) { AddGroups(a, 1001, 1, "volyn"); }},
      // The combination that overflowed activities.participants (an INT column): 2,200 groups
      // of 1,000,000.
      {"activity.training.participant_groups", "at most 1000 entries",
       [](Activity& a) { AddGroups(a, 2200, 1000000, "volyn"); }},
      {"activity.partner_institutions", "at most 100 entries",
       [](Activity& a) {
         AddGroups(a, 1, 1, "volyn");
         for (int i = 0; i < 101; ++i)
           a.add_partner_institutions(absl::StrCat("institutions/p", i));
       }},
      {"activity.title", "at most 500 bytes",
       [](Activity& a) {
         AddGroups(a, 1, 1, "volyn");
         a.set_title(std::string(501, 't'));
       }},
      {"activity.notes", "at most 10000 bytes",
       [](Activity& a) {
         AddGroups(a, 1, 1, "volyn");
         a.set_notes(std::string(10001, 'n'));
       }},
      {"activity.host_institution", "at most 200 bytes",
       [](Activity& a) {
         AddGroups(a, 1, 1, "volyn");
         a.set_host_institution(std::string(15 << 10, 'h'));
       }},
      {"activity.location.city", "at most 200 bytes",
       [](Activity& a) {
         AddGroups(a, 1, 1, "volyn");
         a.mutable_location()->set_city(std::string(201, 'c'));
       }},
      {"activity.operation.specialty", "at most 200 bytes",
       [](Activity& a) {
         a.mutable_operation()->set_operations(1);
         a.mutable_operation()->set_specialty(std::string(201, 's'));
       }},
      {"activity.operation.patients_treated", "between 0 and 1000000",
       [](Activity& a) {
         a.mutable_operation()->set_operations(1);
         a.mutable_operation()->set_patients_treated(std::numeric_limits<int32_t>::max());
       }},
      {"activity.visit.specialists", "between 0 and 1000000",
       [](Activity& a) {
         a.mutable_visit()->set_type(v1::VisitDetails::TYPE_MISSION_TO_UKRAINE);
         a.mutable_visit()->set_specialists(-1);
       }},
      {"activity.telemedicine.patients", "between 0 and 1000000",
       [](Activity& a) {
         a.mutable_telemedicine()->set_consultations(1);
         a.mutable_telemedicine()->set_patients(-5);
       }},
  };
  for (const auto& c : cases) {
    Activity a = Training("volyn");
    c.oversize(a);
    ExpectCapped(Create(a), c.field, c.limit);
  }
  EXPECT_EQ(CountActivities(), 0) << "a refused create must not write anything";

  // An import row is held to the same limits: a row error naming the field, nothing imported.
  Activity too_many = Training("volyn");
  AddGroups(too_many, 1001, 1, "volyn");
  v1::ImportActivitiesResponse resp;
  {
    auto ctx = Ctx("importer");
    auto writer = act_->ImportActivities(ctx.get(), &resp);
    v1::ImportActivitiesRequest msg;
    auto* row = msg.add_rows();
    row->set_row_number(7);
    *row->mutable_activity() = too_many;
    ASSERT_TRUE(writer->Write(msg));
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(resp.rows_imported(), 0);
  ASSERT_EQ(resp.errors_size(), 1);
  EXPECT_EQ(resp.errors(0).field(), "activity.training.participant_groups");
  EXPECT_EQ(resp.errors(0).reason(), "at most 1000 entries (got 1001)");
  EXPECT_EQ(CountActivities(), 0);
}

TEST_F(ActivityBoundsTest, OversizedRequestFieldsAreRefusedNamingTheField) {
  v1::ListActivitiesRequest list;
  list.set_filter(std::string(1 << 20, 'f'));
  v1::ListActivitiesResponse list_resp;
  ExpectCapped(act_->ListActivities(Ctx().get(), list, &list_resp), "filter", absl::StrCat("at most ", api::kMaxFilterBytes, " bytes"));
  v1::GetActivityStatsRequest stats;
  for (int i = 0; i < 4; ++i) stats.add_group_by(v1::GROUP_BY_MONTH);
  v1::GetActivityStatsResponse stats_resp;
  ExpectCapped(act_->GetActivityStats(Ctx().get(), stats, &stats_resp), "group_by",
               "at most 3 entries");
  v1::BatchGetActivitiesRequest batch;
  batch.add_names(std::string(15 << 10, 'n'));
  v1::BatchGetActivitiesResponse batch_resp;
  ExpectCapped(act_->BatchGetActivities(Ctx().get(), batch, &batch_resp), "names[0]",
               "at most 200 bytes");
  v1::DeleteActivityRequest del;
  del.set_name(std::string(1 << 20, 'n'));
  Activity deleted;
  ExpectCapped(act_->DeleteActivity(Ctx().get(), del, &deleted), "name", "at most 200 bytes");
}

TEST_F(ActivityBoundsTest,
       TheActivityWithTheMostGroupsAndLargestHeadcountsIsStoredListedAndCounted) {
  LongInstitutions(101);
  Activity created;
  grpc::Status s = Create(Maximal(0), &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.training().participant_groups_size(), 1000);

  v1::GetActivityRequest get;
  get.set_name(created.name());
  Activity got;
  ASSERT_TRUE(act_->GetActivity(Ctx().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());

  v1::ListActivitiesResponse list;
  ASSERT_TRUE(act_->ListActivities(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.activities_size(), 1);
  EXPECT_EQ(list.activities(0).training().participant_groups_size(), 1000);

  v1::GetActivityStatsResponse stats;
  ASSERT_TRUE(act_->GetActivityStats(Ctx().get(), {}, &stats).ok());
  EXPECT_EQ(stats.totals().participants(), int64_t{1000} * limits::kMaxHeadcount);
  EXPECT_EQ(stats.totals().doctors(), int64_t{1000} * limits::kMaxHeadcount);
}

TEST_F(ActivityBoundsTest, AListPageOfMaximalActivitiesStaysUnderTheByteBudget) {
  LongInstitutions(101);
  constexpr int kCount = 45;  // about 4.9 MB in all: more than a client accepts in one message
  std::string last;
  for (int i = 0; i < kCount; ++i) {
    Activity created;
    grpc::Status s = Create(Maximal(i), &created);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
    last = created.name();
  }
  std::set<std::string> seen;
  v1::ListActivitiesRequest req;
  req.set_page_size(1000);
  int pages = 0;
  do {
    v1::ListActivitiesResponse resp;
    grpc::Status s = act_->ListActivities(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(resp.ByteSizeLong(), api::kMaxPageBytes);
    EXPECT_GT(resp.activities_size(), 0);
    for (const auto& a : resp.activities()) EXPECT_TRUE(seen.insert(a.name()).second);
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 2) << "fewer than page_size results, and the rest on the next page";
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount)) << "every activity exactly once";

  // The history of a maximal activity (a snapshot per change) is paged the same way.
  for (int i = 0; i < 35; ++i) {
    v1::UpdateActivityRequest update;
    update.mutable_activity()->set_name(last);
    update.mutable_activity()->set_notes(absl::StrCat(i, std::string(9990, 'u')));
    update.mutable_update_mask()->add_paths("notes");
    Activity updated;
    grpc::Status s = act_->UpdateActivity(Ctx().get(), update, &updated);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  v1::ListChangesRequest changes;
  changes.set_name(last);
  changes.set_page_size(1000);
  v1::ListChangesResponse history;
  grpc::Status s = act_->ListChanges(Ctx().get(), changes, &history);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_LE(history.ByteSizeLong(), api::kMaxPageBytes);
  EXPECT_LT(history.changes_size(), 36);
  EXPECT_FALSE(history.next_page_token().empty());
}

// One way of filling a request with hostile values.
struct Hostility {
  std::string name;
  std::string text;   // every string field
  int entries;        // elements of every repeated field (one below the top level)
  int64_t number;     // every integer field
  std::string actor;  // x-imp-actor metadata
};

// Sets every field of `m` (and of the messages inside it) by reflection: every member of a
// oneof is set in turn, so the last one stays.
void Fill(google::protobuf::Message* m, const Hostility& h, int depth) {
  using google::protobuf::FieldDescriptor;
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const int n = f->is_repeated() ? (depth > 1 ? 1 : h.entries) : 1;
    for (int k = 0; k < n; ++k) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          f->is_repeated() ? r->AddString(m, f, h.text) : r->SetString(m, f, h.text);
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          if (depth < 4)
            Fill(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f), h, depth + 1);
          break;
        case FieldDescriptor::CPPTYPE_INT32: {
          const auto v = static_cast<int32_t>(std::clamp<int64_t>(
              h.number, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
          f->is_repeated() ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(m, f, h.number) : r->SetInt64(m, f, h.number);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          f->is_repeated() ? r->AddEnumValue(m, f, 9999) : r->SetEnumValue(m, f, 9999);
          break;
        default: break;
      }
    }
  }
}

std::vector<Hostility> Hostilities() {
  std::string mixed;
  while (mixed.size() < (20 << 10))
    mixed += "Лікарня \r\n\t\x1b[31m'\"=\\ \u202Ejavascript:alert(1)";
  return {
      {"20 KB of control characters and Cyrillic", mixed, 1, 1, "tester"},
      {"a megabyte per string", std::string(1 << 20, 'A'), 1, 1, "tester"},
      {"5000 entries per list", "x", 5000, 1, "tester"},
      {"hostile short text", "javascript:alert(1)\r\nX-Injected: 1", 2, -1, "tester"},
      {"largest numbers", "UA", 3, std::numeric_limits<int64_t>::max(), "tester"},
      {"smallest numbers", "", 1, std::numeric_limits<int64_t>::min(), "tester"},
      {"invalid UTF-8", "\xff\xfe", 1, 1, "tester"},
      {"a long actor", "x", 1, 1, std::string(1000, 'a')},
  };
}

// Every unary method of both services with each kind of hostile request, sent as bytes (so even
// strings that are not UTF-8 reach the server): the answer is never INTERNAL, UNKNOWN,
// RESOURCE_EXHAUSTED or UNIMPLEMENTED, its message is short, nothing is stored, both servers go
// on serving and every log line they write stays one bounded line.
TEST_F(ActivityBoundsTest, EveryMethodOfBothServicesAnswersHostileRequestsCleanly) {
  Institution("volyn", "UA");
  Institution("sussex", "GB");
  const std::vector<std::pair<const char*, std::shared_ptr<grpc::Channel>>> services = {
      {"imp.registry.v1.RegistryService", registry_channel_},
      {"imp.activity.v1.ActivityService", activity_channel_}};
  google::protobuf::DynamicMessageFactory factory;
  int calls = 0;
  ::testing::internal::CaptureStderr();
  for (const auto& [service_name, channel] : services) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
    ASSERT_NE(service, nullptr);
    grpc::GenericStub generic(channel);
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      if (method->client_streaming()) continue;  // ImportActivities: below
      for (const Hostility& h : Hostilities()) {
        std::unique_ptr<google::protobuf::Message> request(
            factory.GetPrototype(method->input_type())->New());
        Fill(request.get(), h, 0);
        const std::string bytes = request->SerializeAsString();
        grpc::Slice slice(bytes);
        grpc::ByteBuffer buffer(&slice, 1);
        grpc::ByteBuffer response;
        auto ctx = Ctx(h.actor);
        absl::Notification done;
        grpc::Status status;
        generic.UnaryCall(ctx.get(), absl::StrCat("/", service_name, "/", method->name()),
                          grpc::StubOptions(), &buffer, &response, [&](grpc::Status s) {
                            status = std::move(s);
                            done.Notify();
                          });
        done.WaitForNotification();
        ++calls;
        const std::string what =
            absl::StrCat(method->full_name(), " with ", h.name, ": ", status.error_code(), " ",
                         status.error_message().substr(0, 300));
        EXPECT_NE(status.error_code(), grpc::StatusCode::INTERNAL) << what;
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNKNOWN) << what;
        EXPECT_NE(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << what;
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << what;
        EXPECT_LT(status.error_message().size(), 200u) << what;
      }
    }
  }
  // The import stream, with each kind of hostile row (a stream message that cannot be parsed
  // is not covered here: see docs/design/h-bounds.md).
  for (const Hostility& h : Hostilities()) {
    if (h.name == "invalid UTF-8") continue;
    v1::ImportActivitiesRequest msg;
    Fill(&msg, h, 0);
    v1::ImportActivitiesResponse resp;
    auto ctx = Ctx(h.actor);
    auto writer = act_->ImportActivities(ctx.get(), &resp);
    writer->Write(msg);
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    const std::string what = absl::StrCat("ImportActivities with ", h.name, ": ",
                                          status.error_code(), " ", status.error_message());
    EXPECT_NE(status.error_code(), grpc::StatusCode::INTERNAL) << what;
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNKNOWN) << what;
    EXPECT_NE(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << what;
    EXPECT_LT(status.error_message().size(), 200u) << what;
    EXPECT_EQ(resp.rows_imported(), 0) << what;
    for (const auto& e : resp.errors()) EXPECT_LT(e.reason().size(), 200u) << what;
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_GT(calls, 150);
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    EXPECT_LT(line.size(), 8u << 10) << line.substr(0, 300);
    EXPECT_EQ(line.find('\r'), absl::string_view::npos) << line.substr(0, 300);
  }

  EXPECT_EQ(CountActivities(), 0) << "no hostile request stored anything";
  reg::ListInstitutionsRequest institutions;
  institutions.set_show_deleted(true);
  reg::ListInstitutionsResponse listed;
  ASSERT_TRUE(reg_->ListInstitutions(Ctx().get(), institutions, &listed).ok());
  EXPECT_EQ(listed.institutions_size(), 2);
  reg::ListAgreementsResponse agreements;
  ASSERT_TRUE(reg_->ListAgreements(Ctx().get(), {}, &agreements).ok());
  EXPECT_EQ(agreements.agreements_size(), 0);
}

}  // namespace
}  // namespace imp::activity
