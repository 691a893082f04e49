#include "tests/galera/load.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/net/channel.h"
#include "common/status.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/rpc/error_details.pb.h"
#include "tests/fault/rows.h"
#include "tests/fault/suite.h"

namespace imp::testing::galera {
namespace {

namespace reg = registry::v1;
namespace act = activity::v1;
using fault::Context;

constexpr absl::Duration kCallTimeout = absl::Seconds(5);
constexpr absl::Duration kRetryPause = absl::Milliseconds(100);

}  // namespace

bool ClientsRetry(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::ABORTED: return true;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return api::GetDetail<google::rpc::RetryInfo>(FromGrpcStatus(status)).has_value();
    default: return false;
  }
}

MixedLoad::MixedLoad(const std::string& gateways_target, const TlsOptions& tls, std::string token,
                     int writers)
    : token_(std::move(token)), writers_(writers) {
  // The product's own channel: round-robin over the gateway replicas, and only to those that
  // report SERVING.
  ChannelOptions options;
  options.health_check_service = "";
  options.tls = tls;
  channel_ = MakeChannel(gateways_target, options);
  registry_ = reg::RegistryService::NewStub(channel_);
  activity_ = act::ActivityService::NewStub(channel_);
  gateway_ = gateway::v1::GatewayService::NewStub(channel_);
}

MixedLoad::~MixedLoad() { Stop(); }

void MixedLoad::RecordFailure(const char* what, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  ++results_.failed_attempt_codes[absl::StrCat(what, ":", status.error_code())];
  const std::string described =
      absl::StrCat(what, ":", status.error_code(), " ", status.error_message());
  ++results_.failure_messages[described];
  if (!ClientsRetry(status)) ++results_.not_retryable_codes[described];
  results_.failures.push_back(absl::Now());
}

bool MixedLoad::Retry(const char* what,
                      const std::function<grpc::Status(grpc::ClientContext*)>& call, int* attempts,
                      absl::Duration give_up) {
  const absl::Time first = absl::Now();
  while (absl::Now() - first < give_up) {
    ++*attempts;
    auto ctx = Context(kCallTimeout, token_);
    const absl::Time start = absl::Now();
    grpc::Status s = call(ctx.get());
    {
      absl::MutexLock lock(&mu_);
      results_.slowest_attempt = std::max(results_.slowest_attempt, absl::Now() - start);
    }
    if (s.ok()) return true;
    RecordFailure(what, s);
    absl::SleepFor(kRetryPause);
  }
  return false;
}

bool MixedLoad::Prepare(std::string* error) {
  auto create = [&](const std::string& id, const std::string& request_id) {
    reg::CreateInstitutionRequest req;
    req.set_institution_id(id);
    req.set_request_id(request_id);
    req.mutable_institution()->set_display_name("Galera test " + id);
    req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
    req.mutable_institution()->set_country("UA");
    req.mutable_institution()->set_region("UA-07");
    reg::Institution out;
    int attempts = 0;
    return Retry(
        "prepare",
        [&](grpc::ClientContext* ctx) { return registry_->CreateInstitution(ctx, req, &out); },
        &attempts, absl::Seconds(30));
  };
  const std::string seed = std::string(fault::kSeedHost).substr(sizeof("institutions/") - 1);
  if (!create(seed, "galera-seed")) {
    *error = "cannot create the seed institution through the gateways";
    return false;
  }
  std::vector<UpdateRecord> updates;
  for (int w = 0; w < writers_; ++w) {
    if (!create(absl::StrCat("galera-writer-", w), absl::StrCat("galera-writer-", w))) {
      *error = "cannot create the writers' institutions";
      return false;
    }
    UpdateRecord u;
    u.institution = absl::StrCat("institutions/galera-writer-", w);
    updates.push_back(std::move(u));
  }
  // Preparing is not part of the measured load.
  absl::MutexLock lock(&mu_);
  results_ = LoadResults{};
  results_.updates = std::move(updates);
  return true;
}

void MixedLoad::Start() {
  for (int w = 0; w < writers_; ++w) threads_.emplace_back([this, w] { Writer(w); });
  threads_.emplace_back([this] { Importer(); });
}

void MixedLoad::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void MixedLoad::ReadBack(const CreateRecord& record) {
  // Through the gateways, so most likely on another replica and another node than the write.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  bool missed = false;
  while (absl::Now() < give_up) {
    auto ctx = Context(kCallTimeout, token_);
    grpc::Status s;
    if (record.institution) {
      reg::GetInstitutionRequest req;
      req.set_name(record.name);
      reg::Institution out;
      s = registry_->GetInstitution(ctx.get(), req, &out);
    } else {
      act::GetActivityRequest req;
      req.set_name(record.name);
      act::Activity out;
      s = activity_->GetActivity(ctx.get(), req, &out);
    }
    {
      absl::MutexLock lock(&mu_);
      ++results_.reads;
      if (s.ok()) return;
      if (s.error_code() == grpc::StatusCode::NOT_FOUND && !missed) {
        ++results_.read_after_write_misses;
      }
    }
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      missed = true;
    } else {
      RecordFailure("read", s);
    }
    absl::SleepFor(kRetryPause);
  }
}

void MixedLoad::Writer(int w) {
  for (int i = 0; !stop_; ++i) {
    const int op = i % 5;
    if (op == 2) {  // update the writer's own institution
      reg::UpdateInstitutionRequest req;
      std::string institution;
      {
        absl::MutexLock lock(&mu_);
        institution = results_.updates[w].institution;
      }
      req.mutable_institution()->set_name(institution);
      const std::string notes = absl::StrCat("writer ", w, " update ", i);
      req.mutable_institution()->set_notes(notes);
      req.mutable_update_mask()->add_paths("notes");
      reg::Institution out;
      int attempts = 0;
      const bool ok = Retry(
          "update",
          [&](grpc::ClientContext* ctx) { return registry_->UpdateInstitution(ctx, req, &out); },
          &attempts);
      absl::MutexLock lock(&mu_);
      UpdateRecord& u = results_.updates[w];
      u.last_attempt_unacknowledged = !ok;
      if (ok) {
        ++u.acknowledged;
        u.last_acknowledged_notes = notes;
      }
      continue;
    }
    if (op == 4 && i % 10 == 4) {  // a read of the aggregations
      gateway::v1::GetProgramSummaryRequest req;
      gateway::v1::GetProgramSummaryResponse out;
      int attempts = 0;
      Retry(
          "summary",
          [&](grpc::ClientContext* ctx) { return gateway_->GetProgramSummary(ctx, req, &out); },
          &attempts);
      absl::MutexLock lock(&mu_);
      ++results_.reads;
      continue;
    }
    CreateRecord record;
    record.institution = op == 0;
    record.key = absl::StrCat("Galera writer ", w, " record ", i);
    const std::string request_id = absl::StrCat("galera-w", w, "-", i);
    if (record.institution) {
      reg::CreateInstitutionRequest req;
      req.set_request_id(request_id);
      req.mutable_institution()->set_display_name(record.key);
      req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
      req.mutable_institution()->set_country("PL");
      reg::Institution out;
      record.acknowledged = Retry(
          "create_institution",
          [&](grpc::ClientContext* ctx) { return registry_->CreateInstitution(ctx, req, &out); },
          &record.attempts);
      record.name = out.name();
    } else {
      act::CreateActivityRequest req;
      req.set_request_id(request_id);
      *req.mutable_activity() = fault::ImportableActivity(i, kWriteYear);
      req.mutable_activity()->set_title(record.key);
      act::Activity out;
      record.acknowledged = Retry(
          "create_activity",
          [&](grpc::ClientContext* ctx) { return activity_->CreateActivity(ctx, req, &out); },
          &record.attempts);
      record.name = out.name();
    }
    record.acknowledged_at = absl::Now();
    if (record.acknowledged) ReadBack(record);
    absl::MutexLock lock(&mu_);
    results_.creates.push_back(std::move(record));
  }
}

void MixedLoad::Importer() {
  for (int k = 0; !stop_; ++k) {
    const std::string request_id = absl::StrCat("galera-import-", k);
    const absl::Time first = absl::Now();
    bool ok = false;
    int attempts = 0;
    // Rows of import k are numbered k * 1000 + r: their titles differ from every other import's.
    while (!ok && absl::Now() - first < absl::Seconds(30)) {
      ++attempts;
      auto ctx = Context(absl::Seconds(20), token_);
      act::ImportActivitiesResponse response;
      auto writer = activity_->ImportActivities(ctx.get(), &response);
      for (int first_row = 0; first_row < kImportRows; first_row += 50) {
        auto message = fault::ImportMessage(request_id, 0, 50, kImportYear);
        if (first_row > 0) {
          message.clear_request_id();
          message.clear_mode();
        }
        for (int r = 0; r < message.rows_size(); ++r) {
          const int index = k * 1000 + first_row + r;
          message.mutable_rows(r)->set_row_number(first_row + r + 1);
          *message.mutable_rows(r)->mutable_activity() =
              fault::ImportableActivity(index, kImportYear);
        }
        if (!writer->Write(message)) break;
      }
      writer->WritesDone();
      grpc::Status s = writer->Finish();
      ok = s.ok();
      if (!ok) {
        RecordFailure("import", s);
        absl::SleepFor(kRetryPause);
      }
    }
    absl::MutexLock lock(&mu_);
    ++(ok ? results_.imports_acknowledged : results_.imports_unacknowledged);
  }
}

}  // namespace imp::testing::galera
