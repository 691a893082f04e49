#ifndef IMP_GATEWAY_READ_MODEL_H_
#define IMP_GATEWAY_READ_MODEL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "imp/registry/v1/registry.pb.h"

// The gateway's copy of the registry (its "read model"): every institution, agreement and
// project, deleted ones included, kept current from the registry's change feed (registry_copy.h)
// and read by the aggregations instead of paging through the registry on every call. Plain classes
// without a network, so tests can drive them directly.
namespace imp::gateway {

// The revision a registry etag names ("r<revision>", registry-service store::Etag); nullopt for
// anything else. The copy orders the versions of a resource by it.
std::optional<int64_t> RevisionOfEtag(absl::string_view etag);

// One immutable version of the copy. Once published it never changes, so any number of
// readers may use it at once without a lock, for as long as they hold it.
class RegistrySnapshot {
 public:
  // By name, deleted ones included (as the registry's Get and BatchGet answer); null if unknown.
  const registry::v1::Institution* FindInstitution(const std::string& name) const;
  const registry::v1::Agreement* FindAgreement(const std::string& name) const;
  const registry::v1::Project* FindProject(const std::string& name) const;
  // The same, but null for a deleted institution (what the registry's List shows).
  const registry::v1::Institution* FindLiveInstitution(const std::string& name) const;

  // The agreements that are not deleted, in creation order (as the registry lists them).
  const std::vector<const registry::v1::Agreement*>& live_agreements() const {
    return live_agreements_;
  }
  // The agreements that are not deleted and have `institution` as a party, in creation order.
  const std::vector<const registry::v1::Agreement*>& LiveAgreementsOf(
      const std::string& institution) const;

  // The projects that are not deleted, in creation order (as the registry lists them).
  const std::vector<const registry::v1::Project*>& live_projects() const { return live_projects_; }
  // The projects that are not deleted in which `institution` takes part, in creation order: as
  // a participant in any role, as a location's site, or as a transaction's provider or receiver
  // (the registry's ListProjects filter `institution:`).
  const std::vector<const registry::v1::Project*>& LiveProjectsOf(
      const std::string& institution) const;
  // The projects that are not deleted carried out under `agreement`, in creation order.
  const std::vector<const registry::v1::Project*>& LiveProjectsUnder(
      const std::string& agreement) const;

  // Every resource (deleted ones included) and its revision, by name: what tests compare with
  // the registry.
  std::map<std::string, int64_t> Revisions() const;

 private:
  friend class RegistryReadModel;

  template <typename Resource>
  struct Entry {
    int64_t revision = 0;
    // Shared between successive snapshots: an update copies pointers, not resources.
    std::shared_ptr<const Resource> resource;
  };

  // Rebuilds the derived indexes (live agreements and projects, by party, by institution, by
  // agreement) from the maps.
  void Index();

  absl::flat_hash_map<std::string, Entry<registry::v1::Institution>> institutions_;
  absl::flat_hash_map<std::string, Entry<registry::v1::Agreement>> agreements_;
  std::vector<const registry::v1::Agreement*> live_agreements_;
  absl::flat_hash_map<std::string, std::vector<const registry::v1::Agreement*>> live_by_party_;
  absl::flat_hash_map<std::string, Entry<registry::v1::Project>> projects_;
  std::vector<const registry::v1::Project*> live_projects_;
  absl::flat_hash_map<std::string, std::vector<const registry::v1::Project*>> projects_of_;
  absl::flat_hash_map<std::string, std::vector<const registry::v1::Project*>> projects_under_;
};

// What an aggregation reads: the current snapshot and how current it is.
struct RegistryView {
  // Null until the copy is first loaded.
  std::shared_ptr<const RegistrySnapshot> snapshot;
  // Every change of the registry's feed up to this number is in the snapshot (and perhaps some
  // later ones: resources are applied as they were when read, see ListRegistryChanges).
  int64_t sequence = 0;
  // The last time the copy was known to hold every change the registry had committed: when the
  // last read of the feed that reached its head was sent.
  absl::Time as_of = absl::InfinitePast();
  // The registry's feed head as last read (by the latest-sent feed read or load of this
  // numbering): sequence below it means changes the copy has yet to apply.
  int64_t head_sequence = 0;
};

// The copy: the published snapshot, and the ways it is updated. Thread-safe.
//
// Concurrency: readers (aggregations, on gRPC's callback threads) take `mu_` only to copy the
// shared_ptr of the published snapshot and the two freshness fields, and then compute without
// any lock; they never wait for an update in progress. Updaters (the follower's thread, an
// aggregation applying what its catch-up read returned, the facade applying a write's answer)
// are serialised by `update_mu_`: each checks its resources against the published snapshot,
// and only when one is newer copies the snapshot (pointers, not resources), applies them,
// rebuilds the indexes and publishes the copy under `mu_`, together with the new sequence. That
// costs O(resources): microseconds at the programme's scale (hundreds of resources), about a
// millisecond at ten thousand. A feed page with nothing new only moves the sequence and the
// time. Lock order: update_mu_ before mu_.
class RegistryReadModel {
 public:
  RegistryView Read() const ABSL_LOCKS_EXCLUDED(mu_);
  bool loaded() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t sequence() const ABSL_LOCKS_EXCLUDED(mu_);
  // The feed epoch (ListRegistryChangesResponse.feed_epoch) the copy was last loaded from.
  std::string epoch() const ABSL_LOCKS_EXCLUDED(mu_);

  // The first load: the registry's feed head `head` of epoch `epoch` (read at `head_read_at`),
  // then every institution, agreement and project, deleted ones included, listed after it. Merged
  // with what the copy may hold already (resources the facade applied meanwhile), each resource
  // keeping its latest revision. The copy is loaded from then on.
  void Load(int64_t head, absl::Time head_read_at,
            const std::vector<registry::v1::Institution>& institutions,
            const std::vector<registry::v1::Agreement>& agreements,
            const std::vector<registry::v1::Project>& projects = {}, const std::string& epoch = "")
      ABSL_LOCKS_EXCLUDED(mu_);

  // A load that replaces the copy instead of merging with it, after the registry's database was
  // restored (NeedsReload): what the copy holds may no longer exist (records written after the
  // backup), and revisions and feed numbers start again from the backup's, so nothing of the old
  // copy can be kept or compared. Sequence, as_of and epoch become the load's, even if lower.
  // A write the facade applied (Observe) while the lists were read is dropped with the rest; the
  // feed brings it back, as its number is above `head`.
  void Reload(int64_t head, absl::Time head_read_at,
              const std::vector<registry::v1::Institution>& institutions,
              const std::vector<registry::v1::Agreement>& agreements,
              const std::vector<registry::v1::Project>& projects, const std::string& epoch)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Applies one page of ListRegistryChanges asked for after `after` at time `sent`: each
  // change's resource replaces the copy's when its revision is higher (a removed one is
  // dropped). When the page continues the copy (after <= sequence) the sequence moves to its
  // last change, and when it also reached the feed's head the copy is current as of `sent`.
  // Returns whether the feed has more changes after this page.
  //
  // A page of another feed epoch than the copy's is not applied (false): it numbers other
  // changes. Asked for after the copy's last load, it means the registry was restored, and
  // NeedsReload says so from then on. A page whose head is below the copy's sequence in the same
  // epoch is applied as usual (a replica behind catches up), and remembered: see NeedsReload.
  bool ApplyChanges(int64_t after, const registry::v1::ListRegistryChangesResponse& page,
                    absl::Time sent) ABSL_LOCKS_EXCLUDED(mu_);

  // Why the copy must be rebuilt with Reload, or empty: the feed's epoch changed (the registry
  // was restored from a backup), or its head has stayed below the copy's sequence in every page
  // read since `behind_for` before `now` (a restore by other means: a replica that is behind
  // catches up within moments, and a page at or above the sequence clears it).
  std::string NeedsReload(absl::Time now, absl::Duration behind_for) const ABSL_LOCKS_EXCLUDED(mu_);

  // Applies a resource the registry returned to a call (the facade's writes, so that a caller's
  // next aggregation counts its own write): it replaces the copy's when its revision is higher.
  // The sequence does not move; the feed delivers the same change later, harmlessly.
  void Observe(const registry::v1::Institution& institution) ABSL_LOCKS_EXCLUDED(mu_);
  void Observe(const registry::v1::Agreement& agreement) ABSL_LOCKS_EXCLUDED(mu_);
  void Observe(const registry::v1::Project& project) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Resources to apply, each with its revision.
  struct Batch {
    std::vector<std::pair<int64_t, std::shared_ptr<const registry::v1::Institution>>> institutions;
    std::vector<std::pair<int64_t, std::shared_ptr<const registry::v1::Agreement>>> agreements;
    std::vector<std::pair<int64_t, std::shared_ptr<const registry::v1::Project>>> projects;
    std::vector<std::pair<std::string, int64_t>> removed;  // name, revision of the removal
    void Add(const registry::v1::Institution& institution);
    void Add(const registry::v1::Agreement& agreement);
    void Add(const registry::v1::Project& project);
    bool empty() const {
      return institutions.empty() && agreements.empty() && projects.empty() && removed.empty();
    }
  };
  // How the sequence moves: to `to` when `after` <= the current sequence (the batch continues the
  // copy), and then as_of to `as_of` when set. Sequence and as_of only ever move forward.
  struct Advance {
    int64_t after = INT64_MAX;
    int64_t to = 0;
    std::optional<absl::Time> as_of;
    bool load = false;
    // A load: the epoch it was read in, and whether it replaces the copy (Reload).
    std::optional<std::string> epoch;
    bool replace = false;
    // A feed page: its epoch and head, and when it was asked for.
    const registry::v1::ListRegistryChangesResponse* page = nullptr;
    absl::Time sent;
  };

  void Apply(const Batch& batch, const Advance& advance) ABSL_LOCKS_EXCLUDED(mu_);
  // Load and Reload: the whole registry as one batch, merged with the copy or replacing it.
  void LoadAll(int64_t head, absl::Time head_read_at,
               const std::vector<registry::v1::Institution>& institutions,
               const std::vector<registry::v1::Agreement>& agreements,
               const std::vector<registry::v1::Project>& projects, const std::string& epoch,
               bool replace) ABSL_LOCKS_EXCLUDED(mu_);
  bool EpochDiffers(const registry::v1::ListRegistryChangesResponse& page) const
      ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex update_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(update_mu_);
  std::shared_ptr<const RegistrySnapshot> published_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const RegistrySnapshot>();
  int64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time as_of_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The numbering the copy follows: the epoch of its last load, and when that load read the head.
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  absl::Time loaded_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Set when a page read after the last load had another epoch; cleared by the next load.
  bool epoch_changed_ ABSL_GUARDED_BY(mu_) = false;
  // When the feed's head was first seen below the sequence (pages since all below it).
  std::optional<absl::Time> behind_since_ ABSL_GUARDED_BY(mu_);
  // The feed head the latest-sent read of this numbering answered, and when it was sent.
  int64_t head_seen_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time head_seen_sent_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace imp::gateway

#endif  // IMP_GATEWAY_READ_MODEL_H_
