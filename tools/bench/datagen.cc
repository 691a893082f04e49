#include "tools/bench/datagen.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "tools/bench/report.h"

namespace imp::bench {
namespace {

namespace reg = imp::registry::v1;
namespace act = imp::activity::v1;

constexpr const char* kOblasts[] = {"UA-05", "UA-07", "UA-12", "UA-18", "UA-21", "UA-23",
                                    "UA-26", "UA-30", "UA-32", "UA-35", "UA-46", "UA-48",
                                    "UA-51", "UA-53", "UA-56", "UA-59", "UA-61", "UA-63",
                                    "UA-68", "UA-71", "UA-74", "UA-77"};
constexpr const char* kCountries[] = {"FR", "DE", "PL", "US", "GB", "IT", "ES", "NL",
                                      "CA", "LT", "SE", "CZ", "AT", "CH", "NO", "JP"};
constexpr const char* kAreas[] = {"oncology", "surgery", "reconstructive-plastic-surgery",
                                  "mental-health", "palliative-care"};
// The programme's period: activities start on one of these days after 2023-09-01.
constexpr int64_t kProgrammeDays = 853;

void Fail(const char* what, const grpc::Status& s) {
  std::fprintf(stderr, "imp_bench: %s failed: %d %s\n", what, s.error_code(),
               s.error_message().c_str());
  std::exit(1);
}

void SetDate(google::type::Date* date, absl::CivilDay day) {
  date->set_year(static_cast<int32_t>(day.year()));
  date->set_month(day.month());
  date->set_day(day.day());
}

std::string Name(const char* collection, const std::string& id) {
  return absl::StrCat(collection, "/", id);
}

// Calls `call` until it is not refused by admission control (RESOURCE_EXHAUSTED: nothing ran,
// retry after a while, as its RetryInfo says) or 50 refusals; exits on any other failure.
template <typename Call>
void WithRetries(const char* what, Call call) {
  for (int attempt = 1;; ++attempt) {
    grpc::Status s = call();
    if (s.ok()) return;
    if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED || attempt == 50) Fail(what, s);
    absl::SleepFor(absl::Milliseconds(100));
  }
}

// Runs f(k) for k in [0, n) on `threads` threads.
template <typename F>
void Parallel(int n, int threads, F f) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int k = next++; k < n; k = next++) f(k);
    });
  }
  for (auto& t : pool) t.join();
}

}  // namespace

void AddActor(grpc::ClientContext* ctx) { ctx->AddMetadata("x-imp-actor", "imp-bench"); }

Programme PlanProgramme(const std::string& prefix, int institutions, int agreements) {
  Programme p;
  p.prefix = prefix;
  const int ukrainian = std::max(1, institutions * 6 / 10);
  const int foreign = std::max(1, institutions - ukrainian);
  for (int k = 0; k < ukrainian; ++k) {
    p.ukrainian.push_back(absl::StrCat(prefix, "-ua", k));
    p.ukrainian_regions.push_back(kOblasts[k % std::size(kOblasts)]);
  }
  for (int k = 0; k < foreign; ++k) {
    p.foreign.push_back(absl::StrCat(prefix, "-f", k));
    p.foreign_countries.push_back(kCountries[k % std::size(kCountries)]);
  }
  for (int k = 0; k < agreements; ++k) {
    p.agreements.push_back({absl::StrCat(prefix, "-a", k), static_cast<size_t>(k % ukrainian),
                            static_cast<size_t>((k * 7) % foreign)});
  }
  return p;
}

void CreateProgramme(const std::shared_ptr<grpc::Channel>& channel, const Programme& p) {
  auto registry = reg::RegistryService::NewStub(channel);
  const int ukrainian = static_cast<int>(p.ukrainian.size());
  Parallel(ukrainian + static_cast<int>(p.foreign.size()), 8, [&](int k) {
    const bool ua = k < ukrainian;
    const size_t i = static_cast<size_t>(ua ? k : k - ukrainian);
    reg::CreateInstitutionRequest req;
    req.set_institution_id(ua ? p.ukrainian[i] : p.foreign[i]);
    auto* inst = req.mutable_institution();
    inst->set_display_name(absl::StrCat("Bench ", p.prefix, ua ? " hospital " : " clinic ", i));
    inst->set_kind(ua ? reg::Institution::KIND_HOSPITAL
                      : reg::Institution::KIND_UNIVERSITY_HOSPITAL);
    inst->set_country(ua ? "UA" : p.foreign_countries[i]);
    inst->set_region(ua ? p.ukrainian_regions[i] : "Region");
    inst->set_city(absl::StrCat("City ", i % 50));
    inst->set_website(absl::StrCat("https://", req.institution_id(), ".example.org/"));
    WithRetries("CreateInstitution", [&] {
      grpc::ClientContext ctx;
      AddActor(&ctx);
      reg::Institution out;
      return registry->CreateInstitution(&ctx, req, &out);
    });
  });
  Parallel(static_cast<int>(p.agreements.size()), 8, [&](int k) {
    const auto& a = p.agreements[static_cast<size_t>(k)];
    reg::CreateAgreementRequest req;
    req.set_agreement_id(a.id);
    auto* agreement = req.mutable_agreement();
    agreement->set_title(absl::StrCat("Bench memorandum ", k));
    agreement->set_kind(reg::Agreement::KIND_TWINNING_MEMORANDUM);
    agreement->set_state(reg::Agreement::STATE_ACTIVE);
    SetDate(agreement->mutable_signed_on(), absl::CivilDay(2023, 9, 1) + k % 700);
    agreement->add_cooperation_areas(kAreas[static_cast<size_t>(k) % std::size(kAreas)]);
    auto* ua = agreement->add_parties();
    ua->set_institution(Name("institutions", p.ukrainian[a.ukrainian]));
    ua->set_role(reg::Party::ROLE_UKRAINIAN_PARTNER);
    auto* foreign = agreement->add_parties();
    foreign->set_institution(Name("institutions", p.foreign[a.foreign]));
    foreign->set_role(reg::Party::ROLE_FOREIGN_PARTNER);
    WithRetries("CreateAgreement", [&] {
      grpc::ClientContext ctx;
      AddActor(&ctx);
      reg::Agreement out;
      return registry->CreateAgreement(&ctx, req, &out);
    });
  });
}

act::Activity MakeActivity(const Programme& p, int64_t i) {
  const auto& agreement = p.agreements[static_cast<size_t>(i) % p.agreements.size()];
  const std::string host = Name("institutions", p.ukrainian[agreement.ukrainian]);
  act::Activity a;
  a.set_title(absl::StrCat("Bench activity ", i));
  a.set_agreement(Name("agreements", agreement.id));
  a.set_host_institution(host);
  a.add_partner_institutions(Name("institutions", p.foreign[agreement.foreign]));
  // Days are spread evenly but not in row order (7919 is prime to the period's length).
  SetDate(a.mutable_start_date(), absl::CivilDay(2023, 9, 1) + (i * 7919) % kProgrammeDays);
  a.mutable_location()->set_country("UA");
  a.mutable_location()->set_region(p.ukrainian_regions[agreement.ukrainian]);
  a.mutable_location()->set_city("Kyiv");
  a.set_cooperation_area(kAreas[static_cast<size_t>(i) % std::size(kAreas)]);
  a.set_direction(act::Activity::DIRECTION_TO_UKRAINE);
  const int32_t n = static_cast<int32_t>(1 + i % 7);
  auto group = [&](act::ParticipantGroup* g, act::ParticipantGroup::Profession profession) {
    g->set_institution(host);
    g->set_profession(profession);
    g->set_headcount(n);
  };
  switch (i % 5) {
    case 0: {
      auto* t = a.mutable_training();
      t->set_format(act::TrainingDetails::FORMAT_COURSE);
      t->set_hours(8 * n);
      group(t->add_participant_groups(), act::ParticipantGroup::PROFESSION_DOCTOR);
      break;
    }
    case 1:
      a.mutable_operation()->set_operations(n);
      a.mutable_operation()->set_patients_treated(n + 1);
      a.mutable_operation()->set_specialty("surgery");
      break;
    case 2:
      a.mutable_visit()->set_type(act::VisitDetails::TYPE_MISSION_TO_UKRAINE);
      a.mutable_visit()->set_specialists(n);
      break;
    case 3:
      a.set_direction(act::Activity::DIRECTION_REMOTE);
      a.mutable_telemedicine()->set_consultations(n * 3);
      a.mutable_telemedicine()->set_patients(n * 2);
      break;
    default:
      a.set_direction(act::Activity::DIRECTION_WITHIN_UKRAINE);
      a.mutable_event()->set_type(act::EventDetails::TYPE_CONFERENCE);
      group(a.mutable_event()->add_participant_groups(), act::ParticipantGroup::PROFESSION_NURSE);
      break;
  }
  return a;
}

act::CreateActivityRequest MakeCreateRequest(const Programme& p, int64_t seq) {
  act::CreateActivityRequest req;
  *req.mutable_activity() = MakeActivity(p, seq);
  req.mutable_activity()->set_title(absl::StrCat("Bench created activity ", seq));
  req.set_request_id(absl::StrCat(p.prefix, "-create-", seq));
  return req;
}

ImportFigures ImportActivities(const std::shared_ptr<grpc::Channel>& channel, const Programme& p,
                               int64_t first, int64_t count, int64_t rows_per_call, int rss_pid) {
  auto activity = act::ActivityService::NewStub(channel);
  ImportFigures figures;
  absl::Notification stop;
  std::atomic<double> peak{0};
  std::thread sampler;
  if (rss_pid > 0) {
    sampler = std::thread([&] {
      do {
        const double mb = ProcStatusMb(rss_pid, "VmRSS");
        if (mb > peak.load()) peak.store(mb);
      } while (!stop.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
    });
  }
  const absl::Time start = absl::Now();
  for (int64_t done = 0; done < count;) {
    const int64_t rows = std::min(rows_per_call, count - done);
    grpc::ClientContext ctx;
    AddActor(&ctx);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(30)));
    act::ImportActivitiesResponse response;
    auto writer = activity->ImportActivities(&ctx, &response);
    act::ImportActivitiesRequest msg;
    msg.set_request_id(absl::StrCat(p.prefix, "-import-", first + done));
    msg.set_mode(act::ImportActivitiesRequest::MODE_ALL_OR_NOTHING);
    for (int64_t r = 0; r < rows; ++r) {
      auto* row = msg.add_rows();
      row->set_row_number(r + 1);
      *row->mutable_activity() = MakeActivity(p, first + done + r);
      if (msg.rows_size() == 1000 || r + 1 == rows) {
        if (!writer->Write(msg)) break;  // the server answered early: Finish says why
        msg.Clear();
      }
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    if (!s.ok()) Fail("ImportActivities", s);
    if (response.rows_imported() != rows) {
      std::fprintf(stderr, "imp_bench: ImportActivities imported %lld of %lld rows (%s)\n",
                   static_cast<long long>(response.rows_imported()), static_cast<long long>(rows),
                   response.errors_size() > 0 ? response.errors(0).reason().c_str() : "");
      std::exit(1);
    }
    done += rows;
    ++figures.calls;
  }
  figures.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  figures.rows = count;
  stop.Notify();
  if (sampler.joinable()) sampler.join();
  figures.peak_rss_mb = peak.load();
  return figures;
}

}  // namespace imp::bench
