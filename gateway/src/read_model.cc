#include "gateway/src/read_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

// Creation order, as the registry lists agreements and projects (by their row's key): by create
// time, then by name for resources created in the same microsecond.
template <typename Resource>
bool CreatedBefore(const Resource* a, const Resource* b) {
  const auto& ta = a->create_time();
  const auto& tb = b->create_time();
  if (ta.seconds() != tb.seconds()) return ta.seconds() < tb.seconds();
  if (ta.nanos() != tb.nanos()) return ta.nanos() < tb.nanos();
  return a->name() < b->name();
}

template <typename Resource>
const std::vector<const Resource*>& None() {
  static const auto* const none = new std::vector<const Resource*>();
  return *none;
}

// Drops `name` from `map` when the map holds it at `revision` or before.
template <typename Map>
void Remove(Map& map, const std::string& name, int64_t revision) {
  auto it = map.find(name);
  if (it != map.end() && it->second.revision <= revision) map.erase(it);
}

// Whether `map` holds `name` at `revision` or before (a removal would drop it).
template <typename Map>
bool Removes(const Map& map, const std::string& name, int64_t revision) {
  auto it = map.find(name);
  return it != map.end() && it->second.revision <= revision;
}

// The live resources of `map` in creation order.
template <typename Resource, typename Map>
std::vector<const Resource*> LiveInCreationOrder(const Map& map) {
  std::vector<const Resource*> live;
  for (const auto& [name, entry] : map) {
    if (!entry.resource->has_delete_time()) live.push_back(entry.resource.get());
  }
  std::sort(live.begin(), live.end(), CreatedBefore<Resource>);
  return live;
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

const reg::Project* RegistrySnapshot::FindProject(const std::string& name) const {
  auto it = projects_.find(name);
  return it == projects_.end() ? nullptr : it->second.resource.get();
}

const std::vector<const reg::Agreement*>& RegistrySnapshot::LiveAgreementsOf(
    const std::string& institution) const {
  auto it = live_by_party_.find(institution);
  return it == live_by_party_.end() ? None<reg::Agreement>() : it->second;
}

const std::vector<const reg::Project*>& RegistrySnapshot::LiveProjectsOf(
    const std::string& institution) const {
  auto it = projects_of_.find(institution);
  return it == projects_of_.end() ? None<reg::Project>() : it->second;
}

const std::vector<const reg::Project*>& RegistrySnapshot::LiveProjectsUnder(
    const std::string& agreement) const {
  auto it = projects_under_.find(agreement);
  return it == projects_under_.end() ? None<reg::Project>() : it->second;
}

std::map<std::string, int64_t> RegistrySnapshot::Revisions() const {
  std::map<std::string, int64_t> out;
  for (const auto& [name, entry] : institutions_) out[name] = entry.revision;
  for (const auto& [name, entry] : agreements_) out[name] = entry.revision;
  for (const auto& [name, entry] : projects_) out[name] = entry.revision;
  return out;
}

void RegistrySnapshot::Index() {
  live_agreements_ = LiveInCreationOrder<reg::Agreement>(agreements_);
  live_by_party_.clear();
  for (const reg::Agreement* a : live_agreements_) {
    for (const auto& party : a->parties()) {
      auto& of_party = live_by_party_[party.institution()];
      // The same institution twice in one agreement counts the agreement once.
      if (of_party.empty() || of_party.back() != a) of_party.push_back(a);
    }
  }
  live_projects_ = LiveInCreationOrder<reg::Project>(projects_);
  projects_of_.clear();
  projects_under_.clear();
  // Each project is added once per institution and per agreement however often it names them
  // (the projects come in order, so a repeat is always the list's last element).
  auto add = [](std::vector<const reg::Project*>& list, const reg::Project* p) {
    if (list.empty() || list.back() != p) list.push_back(p);
  };
  for (const reg::Project* p : live_projects_) {
    for (const auto& participant : p->participants())
      add(projects_of_[participant.institution()], p);
    for (const auto& location : p->locations()) {
      if (!location.site().empty()) add(projects_of_[location.site()], p);
    }
    for (const auto& t : p->transactions()) {
      add(projects_of_[t.provider()], p);
      add(projects_of_[t.receiver()], p);
    }
    for (const auto& agreement : p->agreements()) add(projects_under_[agreement], p);
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

void RegistryReadModel::Batch::Add(const reg::Project& project) {
  if (auto revision = RevisionOfEtag(project.etag())) {
    projects.emplace_back(*revision, std::make_shared<const reg::Project>(project));
  }
}

RegistryView RegistryReadModel::Read() const {
  absl::MutexLock lock(&mu_);
  RegistryView view;
  if (loaded_) view.snapshot = published_;
  view.sequence = sequence_;
  view.as_of = as_of_;
  view.head_sequence = head_seen_;
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

std::string RegistryReadModel::epoch() const {
  absl::MutexLock lock(&mu_);
  return epoch_;
}

bool RegistryReadModel::EpochDiffers(const reg::ListRegistryChangesResponse& page) const {
  absl::MutexLock lock(&mu_);
  return loaded_ && page.feed_epoch() != epoch_;
}

std::string RegistryReadModel::NeedsReload(absl::Time now, absl::Duration behind_for) const {
  absl::MutexLock lock(&mu_);
  if (!loaded_) return "";
  if (epoch_changed_) return "the registry's feed epoch changed (its database was restored)";
  if (behind_since_.has_value() && now - *behind_since_ >= behind_for) {
    return absl::StrCat("the registry's feed head has stayed below the copy's sequence ", sequence_,
                        " for ", absl::FormatDuration(now - *behind_since_));
  }
  return "";
}

void RegistryReadModel::Apply(const Batch& batch, const Advance& advance) {
  absl::MutexLock updating(&update_mu_);
  std::shared_ptr<const RegistrySnapshot> base;
  {
    absl::MutexLock lock(&mu_);
    if (advance.page != nullptr && loaded_ && advance.page->feed_epoch() != epoch_) {
      // Another numbering: its changes and head say nothing about this copy. A page asked for
      // before the last load may be from the numbering that load replaced: only a later one
      // tells that the registry was restored.
      if (advance.sent >= loaded_at_) epoch_changed_ = true;
      return;
    }
    if (advance.page != nullptr && loaded_) {
      if (advance.page->head_sequence() < sequence_) {
        if (!behind_since_.has_value()) behind_since_ = advance.sent;
      } else {
        behind_since_.reset();
      }
    }
    base = advance.replace ? std::make_shared<const RegistrySnapshot>() : published_;
  }
  // Only `update_mu_` holders publish, so `base` stays the published snapshot until we do.
  bool newer = advance.replace;
  for (const auto& [revision, in] : batch.institutions) {
    newer = newer || Newer(base->institutions_, in->name(), revision);
  }
  for (const auto& [revision, a] : batch.agreements) {
    newer = newer || Newer(base->agreements_, a->name(), revision);
  }
  for (const auto& [revision, p] : batch.projects) {
    newer = newer || Newer(base->projects_, p->name(), revision);
  }
  for (const auto& [name, revision] : batch.removed) {
    newer = newer || Removes(base->institutions_, name, revision) ||
            Removes(base->agreements_, name, revision) || Removes(base->projects_, name, revision);
  }
  std::shared_ptr<RegistrySnapshot> next;
  if (newer) {
    next = std::make_shared<RegistrySnapshot>();
    next->institutions_ = base->institutions_;
    next->agreements_ = base->agreements_;
    next->projects_ = base->projects_;
    for (const auto& [revision, in] : batch.institutions) Upsert(next->institutions_, revision, in);
    for (const auto& [revision, a] : batch.agreements) Upsert(next->agreements_, revision, a);
    for (const auto& [revision, p] : batch.projects) Upsert(next->projects_, revision, p);
    for (const auto& [name, revision] : batch.removed) {
      Remove(next->institutions_, name, revision);
      Remove(next->agreements_, name, revision);
      Remove(next->projects_, name, revision);
    }
    next->Index();
  }
  absl::MutexLock lock(&mu_);
  if (next != nullptr) published_ = std::move(next);
  if (advance.replace) {
    sequence_ = advance.to;
    as_of_ = advance.as_of.value_or(absl::InfinitePast());
  } else if (advance.after <= sequence_) {
    sequence_ = std::max(sequence_, advance.to);
    if (advance.as_of.has_value()) as_of_ = std::max(as_of_, *advance.as_of);
  }
  // The head as last seen: a later-sent read wins, whichever answer arrives last.
  if (advance.page != nullptr && advance.sent >= head_seen_sent_) {
    head_seen_ = advance.page->head_sequence();
    head_seen_sent_ = advance.sent;
  }
  if (advance.load) {
    const absl::Time head_read_at = advance.as_of.value_or(absl::InfinitePast());
    if (advance.replace || head_read_at >= head_seen_sent_) {
      head_seen_ = advance.to;
      head_seen_sent_ = head_read_at;
    }
    loaded_ = true;
    epoch_ = advance.epoch.value_or("");
    loaded_at_ = advance.as_of.value_or(absl::InfinitePast());
    epoch_changed_ = false;
    behind_since_.reset();
  }
}

void RegistryReadModel::Load(int64_t head, absl::Time head_read_at,
                             const std::vector<reg::Institution>& institutions,
                             const std::vector<reg::Agreement>& agreements,
                             const std::vector<reg::Project>& projects, const std::string& epoch) {
  LoadAll(head, head_read_at, institutions, agreements, projects, epoch, /*replace=*/false);
}

void RegistryReadModel::Reload(int64_t head, absl::Time head_read_at,
                               const std::vector<reg::Institution>& institutions,
                               const std::vector<reg::Agreement>& agreements,
                               const std::vector<reg::Project>& projects,
                               const std::string& epoch) {
  LoadAll(head, head_read_at, institutions, agreements, projects, epoch, /*replace=*/true);
}

void RegistryReadModel::LoadAll(int64_t head, absl::Time head_read_at,
                                const std::vector<reg::Institution>& institutions,
                                const std::vector<reg::Agreement>& agreements,
                                const std::vector<reg::Project>& projects, const std::string& epoch,
                                bool replace) {
  Batch batch;
  for (const auto& in : institutions) batch.Add(in);
  for (const auto& a : agreements) batch.Add(a);
  for (const auto& p : projects) batch.Add(p);
  Advance advance{0, head, head_read_at, true};
  advance.epoch = epoch;
  advance.replace = replace;
  Apply(batch, advance);
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
    } else if (change.has_project()) {
      batch.Add(change.project());
    }  // else a kind the gateway does not know, or a resource an earlier change carried: skipped
  }
  const bool more = last < page.head_sequence();
  Advance advance{after, last, more ? std::nullopt : std::optional<absl::Time>(sent), false};
  advance.page = &page;
  advance.sent = sent;
  Apply(batch, advance);
  return more && !EpochDiffers(page);
}

void RegistryReadModel::Observe(const reg::Institution& institution) {
  Batch batch;
  batch.Add(institution);
  if (!batch.institutions.empty()) Apply(batch, Advance{});
}

void RegistryReadModel::Observe(const reg::Agreement& agreement) {
  Batch batch;
  batch.Add(agreement);
  if (!batch.empty()) Apply(batch, Advance{});
}

void RegistryReadModel::Observe(const reg::Project& project) {
  Batch batch;
  batch.Add(project);
  if (!batch.empty()) Apply(batch, Advance{});
}

}  // namespace imp::gateway
