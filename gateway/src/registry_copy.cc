#include "gateway/src/registry_copy.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/server/request_context.h"
#include "common/status.h"
#include "gateway/src/async_call.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

// The actor the follower's calls are logged under at the registry.
constexpr char kFollowerActor[] = "gateway-read-model";
// The largest feed and List pages the registry serves.
constexpr int kPageSize = 1000;
// A refresh that would read more pages than this leaves the rest to the follower (the copy is
// then marked stale for that answer): a gateway far behind must not make one aggregation read
// a whole backlog.
constexpr int kMaxRefreshPages = 20;

// Waits for one non-blocking call (on the follower's thread, which may block).
template <typename Req, typename Resp, typename Invoke>
absl::StatusOr<Resp> Wait(grpc::ClientContext* ctx, const Req& req, Invoke invoke) {
  Resp resp;
  grpc::Status status;
  absl::Notification done;
  invoke(ctx, &req, &resp, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (!status.ok()) return FromGrpcStatus(status);
  return resp;
}

// One aggregation's refresh: reads the feed after the copy's sequence until the head, the
// deadline or kMaxRefreshPages, applying each page, then calls done once.
struct Refreshing : std::enable_shared_from_this<Refreshing> {
  RegistryReadModel* model;
  Backends* backends;
  grpc::CallbackServerContext* server_ctx;
  std::string actor;
  absl::Time deadline;
  int pages = 0;
  absl::Duration behind_reload_after;
  std::function<void()> kick;  // asks the follower to rebuild the copy
  std::function<void(RegistryView, absl::Status)> done;

  void Step() {
    std::unique_ptr<grpc::ClientContext> client = backends->ContextFor(server_ctx, actor);
    client->set_deadline(std::min(client->deadline(), absl::ToChronoTime(deadline)));
    reg::ListRegistryChangesRequest req;
    const int64_t after = model->sequence();
    req.set_after_sequence(after);
    req.set_page_size(kPageSize);
    const absl::Time sent = absl::Now();
    auto self = shared_from_this();
    CallAsync<reg::ListRegistryChangesRequest, reg::ListRegistryChangesResponse>(
        std::move(client), std::move(req),
        [b = backends](grpc::ClientContext* c, const reg::ListRegistryChangesRequest* r,
                       reg::ListRegistryChangesResponse* o, std::function<void(grpc::Status)> cb) {
          b->registry()->ListRegistryChanges(c, r, o, std::move(cb));
        },
        [self, after, sent](absl::StatusOr<reg::ListRegistryChangesResponse> page) {
          if (!page.ok()) return self->done(self->model->Read(), page.status());
          const bool more = self->model->ApplyChanges(after, *page, sent);
          const std::string reload =
              self->model->NeedsReload(absl::Now(), self->behind_reload_after);
          if (!reload.empty()) {
            self->kick();
            return self->done(self->model->Read(),
                              absl::UnavailableError(absl::StrCat(
                                  reload, "; the gateway is reloading its copy of the registry")));
          }
          if (!more) return self->done(self->model->Read(), absl::OkStatus());
          if (page->changes().empty() || ++self->pages >= kMaxRefreshPages) {
            return self->done(self->model->Read(),
                              absl::UnavailableError(absl::StrCat(
                                  "the gateway's copy is ", page->head_sequence() - after,
                                  " changes behind the registry and still catching up")));
          }
          self->Step();
        });
  }
};

}  // namespace

RegistryCopy::RegistryCopy(Backends* backends, RegistryCopyOptions options)
    : backends_(backends), options_(options) {
  metrics::Registry& registry = metrics::Registry::Default();
  auto gauge = [&](const char* name, const char* help, auto value) {
    metric_sources_.push_back(registry.AddSource(name, help, metrics::Type::kGauge, {},
                                                 [this, value](std::vector<metrics::Sample>& out) {
                                                   out.push_back({{}, value(model_.Read())});
                                                 }));
  };
  gauge("imp_registry_copy_sequence",
        "The registry change-feed sequence the gateway's copy of the registry has applied (0 "
        "until it is first loaded).",
        [](const RegistryView& v) { return static_cast<double>(v.sequence); });
  gauge("imp_registry_head_sequence",
        "The registry's change-feed head as the gateway last read it (its follower every "
        "poll interval, and each aggregation's refresh). Above imp_registry_copy_sequence: "
        "changes not yet in the copy.",
        [](const RegistryView& v) { return static_cast<double>(v.head_sequence); });
  gauge("imp_registry_copy_age_seconds",
        "Seconds since the gateway's copy of the registry was last known to hold every change "
        "the registry had committed (a feed read that reached the head); until the first load, "
        "seconds since the gateway started. Grows while the registry cannot be reached; "
        "aggregations then answer from the copy, marked stale.",
        [created = created_](const RegistryView& v) {
          const absl::Time since = v.snapshot != nullptr ? v.as_of : created;
          return std::max(0.0, absl::ToDoubleSeconds(absl::Now() - since));
        });
}

void RegistryCopy::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  follower_ = std::thread([this] { Run(); });
}

void RegistryCopy::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
  }
  if (follower_.joinable()) follower_.join();
}

void RegistryCopy::Kick() {
  absl::MutexLock lock(&mu_);
  kicked_ = true;
}

void RegistryCopy::Refresh(grpc::CallbackServerContext* ctx, const std::string& actor,
                           std::function<void(RegistryView, absl::Status)> done) {
  if (!model_.loaded()) {
    Kick();
    return done(RegistryView{},
                absl::UnavailableError("the gateway has not loaded its copy of the registry yet"));
  }
  auto refreshing = std::make_shared<Refreshing>();
  refreshing->model = &model_;
  refreshing->backends = backends_;
  refreshing->server_ctx = ctx;
  refreshing->actor = actor;
  refreshing->deadline = absl::Now() + options_.refresh_timeout;
  refreshing->behind_reload_after = options_.behind_reload_after;
  refreshing->kick = [this] { Kick(); };
  refreshing->done = std::move(done);
  refreshing->Step();
}

void RegistryCopy::Run() {
  while (true) {
    const absl::Status status = Step();
    if (!status.ok() && !failing_) {
      Log(LogLevel::kWarning, "registry_feed_unavailable",
          {{"error", std::string(status.message())},
           {"sequence", absl::StrCat(model_.sequence())},
           {"loaded", model_.loaded() ? "true" : "false"}});
    } else if (status.ok() && failing_) {
      Log(LogLevel::kInfo, "registry_feed_recovered",
          {{"sequence", absl::StrCat(model_.sequence())}});
    }
    failing_ = !status.ok();
    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return kicked_ || stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), options_.poll_interval);
    if (stopping_) return;
    kicked_ = false;
  }
}

absl::Status RegistryCopy::Step() {
  if (!model_.loaded()) return Load(false);
  std::string reload = model_.NeedsReload(absl::Now(), options_.behind_reload_after);
  if (reload.empty()) {
    if (absl::Status s = FollowFeed(); !s.ok()) return s;
    reload = model_.NeedsReload(absl::Now(), options_.behind_reload_after);
    if (reload.empty()) return absl::OkStatus();
  }
  Log(LogLevel::kWarning, "registry_copy_reloading",
      {{"reason", reload},
       {"sequence", absl::StrCat(model_.sequence())},
       {"epoch", model_.epoch()}});
  return Load(true);
}

std::unique_ptr<grpc::ClientContext> RegistryCopy::FollowerContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + options_.call_timeout));
  ctx->AddMetadata(kActorMetadataKey, kFollowerActor);
  return ctx;
}

// Every call of the follower goes through here: `ctx` is registered so that Stop() can cancel it
// instead of waiting out its deadline.
template <typename Req, typename Resp, typename Invoke>
absl::StatusOr<Resp> RegistryCopy::Call(const Req& req, Invoke invoke) {
  std::unique_ptr<grpc::ClientContext> ctx = FollowerContext();
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("the gateway is stopping");
    in_flight_ = ctx.get();
  }
  absl::StatusOr<Resp> result = Wait<Req, Resp>(ctx.get(), req, invoke);
  absl::MutexLock lock(&mu_);
  in_flight_ = nullptr;
  return result;
}

absl::StatusOr<reg::ListRegistryChangesResponse> RegistryCopy::ReadFeed(int64_t after,
                                                                        int page_size) {
  reg::ListRegistryChangesRequest req;
  req.set_after_sequence(after);
  req.set_page_size(page_size);
  return Call<reg::ListRegistryChangesRequest, reg::ListRegistryChangesResponse>(
      req, [this](grpc::ClientContext* c, const reg::ListRegistryChangesRequest* r,
                  reg::ListRegistryChangesResponse* o, std::function<void(grpc::Status)> cb) {
        backends_->registry()->ListRegistryChanges(c, r, o, std::move(cb));
      });
}

absl::Status RegistryCopy::Load(bool reload) {
  // The head first, then the lists: whatever changes while the lists are read has a number
  // above the head, and FollowFeed applies it afterwards (see ListRegistryChanges).
  const absl::Time head_read_at = absl::Now();
  auto head = ReadFeed(0, 1);
  if (!head.ok()) return head.status();

  std::vector<reg::Institution> institutions;
  reg::ListInstitutionsRequest list_institutions;
  list_institutions.set_show_deleted(true);
  list_institutions.set_page_size(kPageSize);
  do {
    auto page = Call<reg::ListInstitutionsRequest, reg::ListInstitutionsResponse>(
        list_institutions,
        [this](grpc::ClientContext* c, const reg::ListInstitutionsRequest* r,
               reg::ListInstitutionsResponse* o, std::function<void(grpc::Status)> cb) {
          backends_->registry()->ListInstitutions(c, r, o, std::move(cb));
        });
    if (!page.ok()) return page.status();
    for (auto& in : *page->mutable_institutions()) institutions.push_back(std::move(in));
    list_institutions.set_page_token(page->next_page_token());
  } while (!list_institutions.page_token().empty());

  std::vector<reg::Agreement> agreements;
  reg::ListAgreementsRequest list_agreements;
  list_agreements.set_show_deleted(true);
  list_agreements.set_page_size(kPageSize);
  do {
    auto page = Call<reg::ListAgreementsRequest, reg::ListAgreementsResponse>(
        list_agreements,
        [this](grpc::ClientContext* c, const reg::ListAgreementsRequest* r,
               reg::ListAgreementsResponse* o, std::function<void(grpc::Status)> cb) {
          backends_->registry()->ListAgreements(c, r, o, std::move(cb));
        });
    if (!page.ok()) return page.status();
    for (auto& a : *page->mutable_agreements()) agreements.push_back(std::move(a));
    list_agreements.set_page_token(page->next_page_token());
  } while (!list_agreements.page_token().empty());

  // Projects are up to 1 MiB each: a page holds fewer than kPageSize when they are large (the
  // registry bounds each page to 3 MiB).
  std::vector<reg::Project> projects;
  reg::ListProjectsRequest list_projects;
  list_projects.set_show_deleted(true);
  list_projects.set_page_size(kPageSize);
  do {
    auto page = Call<reg::ListProjectsRequest, reg::ListProjectsResponse>(
        list_projects, [this](grpc::ClientContext* c, const reg::ListProjectsRequest* r,
                              reg::ListProjectsResponse* o, std::function<void(grpc::Status)> cb) {
          backends_->registry()->ListProjects(c, r, o, std::move(cb));
        });
    if (!page.ok()) return page.status();
    for (auto& p : *page->mutable_projects()) projects.push_back(std::move(p));
    list_projects.set_page_token(page->next_page_token());
  } while (!list_projects.page_token().empty());

  if (reload) {
    model_.Reload(head->head_sequence(), head_read_at, institutions, agreements, projects,
                  head->feed_epoch());
  } else {
    model_.Load(head->head_sequence(), head_read_at, institutions, agreements, projects,
                head->feed_epoch());
  }
  Log(LogLevel::kInfo, reload ? "registry_copy_reloaded" : "registry_copy_loaded",
      {{"sequence", absl::StrCat(head->head_sequence())},
       {"epoch", head->feed_epoch()},
       {"institutions", absl::StrCat(institutions.size())},
       {"agreements", absl::StrCat(agreements.size())},
       {"projects", absl::StrCat(projects.size())}});
  return FollowFeed();
}

absl::Status RegistryCopy::FollowFeed() {
  while (true) {
    const int64_t after = model_.sequence();
    const absl::Time sent = absl::Now();
    auto page = ReadFeed(after, kPageSize);
    if (!page.ok()) return page.status();
    if (!model_.ApplyChanges(after, *page, sent)) return absl::OkStatus();
    if (page->changes().empty()) {
      return absl::InternalError("the registry's feed answered no change below its head");
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
  }
}

}  // namespace imp::gateway
