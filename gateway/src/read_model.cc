#include "gateway/src/read_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

// Creation order, as the registry lists agreements (by their row's key): by create time, then
// by name for agreements created in the same microsecond.
bool CreatedBefore(const reg::Agreement* a, const reg::Agreement* b) {
  const auto& ta = a->create_time();
  const auto& tb = b->create_time();
  if (ta.seconds() != tb.seconds()) return ta.seconds() < tb.seconds();
  if (ta.nanos() != tb.nanos()) return ta.nanos() < tb.nanos();
  return a->name() < b->name();
}

const std::vector<const reg::Agreement*>& NoAgreements() {
  static const auto* const none = new std::vector<const reg::Agreement*>();
  return *none;
}

// Puts `resource` at `revision` into `map` when it is newer than what the map holds.
template <typename Map, typename Resource>
bool Upsert(Map& map, int64_t revision, const std::shared_ptr<const Resource>& resource) {
  auto [it, inserted] = map.try_emplace(resource->name());
  if (!inserted && it->second.revision >= revision) return false;
  it->second.revision = revision;
  it->second.resource = resource;
  return true;
}

// Whether `map` lacks `name` at `revision` or later.
template <typename Map>
bool Newer(const Map& map, const std::string& name, int64_t revision) {
  auto it = map.find(name);
  return it == map.end() || it->second.revision < revision;
}

}  // namespace

std::optional<int64_t> RevisionOfEtag(absl::string_view etag) {
  int64_t revision = 0;
  if (!absl::ConsumePrefix(&etag, "r") || !absl::SimpleAtoi(etag, &revision) || revision <= 0) {
    return std::nullopt;
  }
  return revision;
}

const reg::Institution* RegistrySnapshot::FindInstitution(const std::string& name) const {
  auto it = institutions_.find(name);
  return it == institutions_.end() ? nullptr : it->second.resource.get();
}

const reg::Institution* RegistrySnapshot::FindLiveInstitution(const std::string& name) const {
  const reg::Institution* found = FindInstitution(name);
  return found != nullptr && !found->has_delete_time() ? found : nullptr;
}

const reg::Agreement* RegistrySnapshot::FindAgreement(const std::string& name) const {
  auto it = agreements_.find(name);
  return it == agreements_.end() ? nullptr : it->second.resource.get();
}

const std::vector<const reg::Agreement*>& RegistrySnapshot::LiveAgreementsOf(
    const std::string& institution) const {
  auto it = live_by_party_.find(institution);
  return it == live_by_party_.end() ? NoAgreements() : it->second;
}

std::map<std::string, int64_t> RegistrySnapshot::Revisions() const {
  std::map<std::string, int64_t> out;
  for (const auto& [name, entry] : institutions_) out[name] = entry.revision;
  for (const auto& [name, entry] : agreements_) out[name] = entry.revision;
  return out;
}

void RegistrySnapshot::Index() {
  live_agreements_.clear();
  live_by_party_.clear();
  for (const auto& [name, entry] : agreements_) {
    if (!entry.resource->has_delete_time()) live_agreements_.push_back(entry.resource.get());
  }
  std::sort(live_agreements_.begin(), live_agreements_.end(), CreatedBefore);
  for (const reg::Agreement* a : live_agreements_) {
    for (const auto& party : a->parties()) {
      auto& of_party = live_by_party_[party.institution()];
      // The same institution twice in one agreement counts the agreement once.
      if (of_party.empty() || of_party.back() != a) of_party.push_back(a);
    }
  }
}

void RegistryReadModel::Batch::Add(const reg::Institution& institution) {
  if (auto revision = RevisionOfEtag(institution.etag())) {
    institutions.emplace_back(*revision, std::make_shared<const reg::Institution>(institution));
  }
}

void RegistryReadModel::Batch::Add(const reg::Agreement& agreement) {
  if (auto revision = RevisionOfEtag(agreement.etag())) {
    agreements.emplace_back(*revision, std::make_shared<const reg::Agreement>(agreement));
  }
}

RegistryView RegistryReadModel::Read() const {
  absl::MutexLock lock(&mu_);
  RegistryView view;
  if (loaded_) view.snapshot = published_;
  view.sequence = sequence_;
  view.as_of = as_of_;
  return view;
}

bool RegistryReadModel::loaded() const {
  absl::MutexLock lock(&mu_);
  return loaded_;
}

int64_t RegistryReadModel::sequence() const {
  absl::MutexLock lock(&mu_);
  return sequence_;
}

void RegistryReadModel::Apply(const Batch& batch, const Advance& advance) {
  absl::MutexLock updating(&update_mu_);
  std::shared_ptr<const RegistrySnapshot> base;
  {
    absl::MutexLock lock(&mu_);
    base = published_;
  }
  // Only `update_mu_` holders publish, so `base` stays the published snapshot until we do.
  bool newer = false;
  for (const auto& [revision, in] : batch.institutions) {
    newer = newer || Newer(base->institutions_, in->name(), revision);
  }
  for (const auto& [revision, a] : batch.agreements) {
    newer = newer || Newer(base->agreements_, a->name(), revision);
  }
  for (const auto& [name, revision] : batch.removed) {
    auto in = base->institutions_.find(name);
    auto a = base->agreements_.find(name);
    newer = newer || (in != base->institutions_.end() && in->second.revision <= revision) ||
            (a != base->agreements_.end() && a->second.revision <= revision);
  }
  std::shared_ptr<RegistrySnapshot> next;
  if (newer) {
    next = std::make_shared<RegistrySnapshot>();
    next->institutions_ = base->institutions_;
    next->agreements_ = base->agreements_;
    for (const auto& [revision, in] : batch.institutions) Upsert(next->institutions_, revision, in);
    for (const auto& [revision, a] : batch.agreements) Upsert(next->agreements_, revision, a);
    for (const auto& [name, revision] : batch.removed) {
      auto in = next->institutions_.find(name);
      if (in != next->institutions_.end() && in->second.revision <= revision) {
        next->institutions_.erase(in);
      }
      auto a = next->agreements_.find(name);
      if (a != next->agreements_.end() && a->second.revision <= revision) {
        next->agreements_.erase(a);
      }
    }
    next->Index();
  }
  absl::MutexLock lock(&mu_);
  if (next != nullptr) published_ = std::move(next);
  if (advance.after <= sequence_) {
    sequence_ = std::max(sequence_, advance.to);
    if (advance.as_of.has_value()) as_of_ = std::max(as_of_, *advance.as_of);
  }
  if (advance.load) loaded_ = true;
}

void RegistryReadModel::Load(int64_t head, absl::Time head_read_at,
                             const std::vector<reg::Institution>& institutions,
                             const std::vector<reg::Agreement>& agreements) {
  Batch batch;
  for (const auto& in : institutions) batch.Add(in);
  for (const auto& a : agreements) batch.Add(a);
  Apply(batch, Advance{0, head, head_read_at, true});
}

bool RegistryReadModel::ApplyChanges(int64_t after, const reg::ListRegistryChangesResponse& page,
                                     absl::Time sent) {
  Batch batch;
  int64_t last = after;
  for (const auto& change : page.changes()) {
    last = std::max(last, change.sequence());
    if (change.removed()) {
      batch.removed.emplace_back(change.resource_name(), change.revision());
    } else if (change.has_institution()) {
      batch.Add(change.institution());
    } else if (change.has_agreement()) {
      batch.Add(change.agreement());
    }  // else a kind of resource the gateway does not know: skipped
  }
  const bool more = last < page.head_sequence();
  Apply(batch, Advance{after, last, more ? std::nullopt : std::optional<absl::Time>(sent), false});
  return more;
}

void RegistryReadModel::Observe(const reg::Institution& institution) {
  Batch batch;
  batch.Add(institution);
  if (!batch.institutions.empty()) Apply(batch, Advance{});
}

void RegistryReadModel::Observe(const reg::Agreement& agreement) {
  Batch batch;
  batch.Add(agreement);
  if (!batch.agreements.empty()) Apply(batch, Advance{});
}

}  // namespace imp::gateway
