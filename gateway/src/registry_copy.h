#ifndef IMP_GATEWAY_REGISTRY_COPY_H_
#define IMP_GATEWAY_REGISTRY_COPY_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "gateway/src/backends.h"
#include "gateway/src/read_model.h"

namespace imp::gateway {

struct RegistryCopyOptions {
  // How often the follower reads the feed when nothing asks it to sooner.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // Deadline of each of the follower's calls to the registry.
  absl::Duration call_timeout = absl::Seconds(2);
  // How long an aggregation waits for the registry to confirm the copy is current (Refresh)
  // before it answers from the copy as it is, marked stale.
  absl::Duration refresh_timeout = absl::Milliseconds(500);
  // How long the feed's head may stay below the copy's sequence, in the same feed epoch, before
  // the copy is rebuilt (a restore that did not change the epoch; a replica behind catches up
  // long before). A changed epoch rebuilds it at once.
  absl::Duration behind_reload_after = absl::Seconds(5);
};

// The gateway's copy of the registry (read_model.h), kept current from the registry's change
// feed (RegistryService.ListRegistryChanges) in two ways:
//
// - The follower, a thread of its own (never a gRPC callback thread; it blocks on its calls):
//   loads the copy once (the feed's head, then every institution, agreement and project,
//   deleted ones included), then reads the feed after the copy's sequence every poll_interval, so a
//   change made at the registry by anyone reaches the copy within that interval. While the registry
//   cannot be reached it keeps trying at the same pace, logging once when the feed is lost and
//   once when it is back.
// - Refresh, before each aggregation reads the copy: one ListRegistryChanges after the copy's
//   sequence (which usually answers "nothing new" from two indexed single-row reads), applying
//   what it returns. So an aggregation counts every change committed before it began, including
//   changes made through another gateway or straight at the registry; and it learns at once
//   when the registry cannot be reached, to answer from the copy and say so.
//
// A restore of the registry's database from a backup takes its feed numbers and revisions back
// to the backup's: the follower notices it by the feed's epoch (or by a head that stays below
// the copy's sequence) and rebuilds the copy as at start, replacing it (Reload); until then
// aggregations answer from the old copy marked stale, and ask the follower to rebuild at once.
//
// The facade applies the resource each registry write returns (RegistryReadModel::Observe), so a
// caller's own write is in the copy before the write's answer reaches it, even when the
// registry becomes unreachable right after.
class RegistryCopy {
 public:
  RegistryCopy(Backends* backends, RegistryCopyOptions options);
  ~RegistryCopy() { Stop(); }

  RegistryReadModel& model() { return model_; }
  const RegistryReadModel& model() const { return model_; }

  // Starts the follower (once); Stop() ends it and waits for it (within one call_timeout).
  void Start();
  void Stop();

  // For an aggregation (non-blocking; `done` runs on a gRPC thread or, when the copy is not
  // loaded yet, inline): brings the copy up to the registry's head with the caller's deadline
  // and cancellation (at most refresh_timeout), then calls done(view, status). OK: the view
  // holds every change committed before the call. Otherwise why it could not be confirmed (the
  // view then holds the copy as it is, as of view.as_of), or UNAVAILABLE with a null snapshot
  // when the copy is not loaded yet (the follower is asked to try again at once).
  void Refresh(grpc::CallbackServerContext* ctx, const std::string& actor,
               std::function<void(RegistryView, absl::Status)> done);

 private:
  void Run();
  // One round of the follower: the load when the copy has none, else the feed up to its head.
  absl::Status Step();
  // Lists the whole registry: merged into the copy (the first load) or replacing it (`reload`).
  absl::Status Load(bool reload);
  absl::Status FollowFeed();
  // The follower's blocking calls (on its own thread), cancelled by Stop().
  template <typename Req, typename Resp, typename Invoke>
  absl::StatusOr<Resp> Call(const Req& req, Invoke invoke);
  absl::StatusOr<registry::v1::ListRegistryChangesResponse> ReadFeed(int64_t after, int page_size);
  std::unique_ptr<grpc::ClientContext> FollowerContext() const;
  void Kick();

  Backends* const backends_;
  const RegistryCopyOptions options_;
  RegistryReadModel model_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* in_flight_ ABSL_GUARDED_BY(mu_) = nullptr;  // the follower's current call
  std::thread follower_;
  // Whether the last round failed (the follower thread's own; for logging transitions once).
  bool failing_ = false;
  // The copy's age is counted from here until it is first loaded.
  const absl::Time created_ = absl::Now();
  // imp_registry_copy_sequence, imp_registry_head_sequence, imp_registry_copy_age_seconds, read
  // from model_ at scrape time. Last, so that they are removed before model_ is destroyed.
  std::vector<metrics::SourceHandle> metric_sources_;
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_REGISTRY_COPY_H_
