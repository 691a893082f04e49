#include "common/db/snapshot_diff.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "common/api/proto_util.h"
#include "common/db/migrations.h"

namespace imp::db {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

bool IsSet(const Message& m, const FieldDescriptor* field) {
  const auto* reflection = m.GetReflection();
  return field->is_repeated() ? reflection->FieldSize(m, field) > 0
                              : reflection->HasField(m, field);
}

bool IsSpliceable(const FieldDescriptor* field) {
  return field->is_repeated() && !field->is_map() &&
         field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
}

// The elements of repeated message field `field` that `before` and `after` share at their start
// and end (none counted twice), when there are any.
std::optional<FieldSplice> Splice(const Message& before, const Message& after,
                                  const FieldDescriptor* field) {
  if (!IsSpliceable(field)) return std::nullopt;
  const auto* reflection = after.GetReflection();
  const int old_size = reflection->FieldSize(before, field);
  const int new_size = reflection->FieldSize(after, field);
  const auto same = [&](int old_index, int new_index) {
    return google::protobuf::util::MessageDifferencer::Equals(
        reflection->GetRepeatedMessage(before, field, old_index),
        reflection->GetRepeatedMessage(after, field, new_index));
  };
  FieldSplice splice{field->name(), 0, 0};
  const int shorter = std::min(old_size, new_size);
  while (splice.prefix < shorter && same(splice.prefix, splice.prefix)) ++splice.prefix;
  while (splice.prefix + splice.suffix < shorter &&
         same(old_size - 1 - splice.suffix, new_size - 1 - splice.suffix)) {
    ++splice.suffix;
  }
  if (splice.prefix + splice.suffix == 0) return std::nullopt;
  return splice;
}

// `version`'s field becomes its first splice.prefix elements, the elements `set` holds, then its
// last splice.suffix elements (moved, not copied).
void ApplySplice(const Message& set, const FieldDescriptor* field, const FieldSplice& splice,
                 Message* version) {
  const auto* reflection = version->GetReflection();
  const int old_size = reflection->FieldSize(*version, field);
  if (splice.prefix < 0 || splice.suffix < 0 || splice.prefix + splice.suffix > old_size) return;
  std::vector<Message*> tail(splice.suffix);  // owned until added back
  for (int i = splice.suffix; i-- > 0;) tail[i] = reflection->ReleaseLast(version, field);
  while (reflection->FieldSize(*version, field) > splice.prefix) {
    reflection->RemoveLast(version, field);
  }
  const auto* set_reflection = set.GetReflection();
  for (int i = 0; i < set_reflection->FieldSize(set, field); ++i) {
    reflection->AddMessage(version, field)
        ->CopyFrom(set_reflection->GetRepeatedMessage(set, field, i));
  }
  for (Message* element : tail) reflection->AddAllocatedMessage(version, field, element);
}

bool ParseJson(const std::string& json, Message* out) {
  return google::protobuf::util::JsonStringToMessage(json, out).ok();
}

}  // namespace

SnapshotDiff DiffSnapshots(const Message& before, const Message& after) {
  SnapshotDiff diff;
  diff.set.reset(after.New());
  google::protobuf::FieldMask set_fields;
  google::protobuf::util::MessageDifferencer differencer;
  const auto* descriptor = after.GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (differencer.CompareWithFields(before, after, {field}, {field})) continue;
    if (!IsSet(after, field)) {
      diff.cleared.push_back(field->name());
    } else if (std::optional<FieldSplice> splice = Splice(before, after, field)) {
      const auto* reflection = after.GetReflection();
      for (int e = splice->prefix; e < reflection->FieldSize(after, field) - splice->suffix; ++e) {
        diff.set->GetReflection()
            ->AddMessage(diff.set.get(), field)
            ->CopyFrom(reflection->GetRepeatedMessage(after, field, e));
      }
      diff.spliced.push_back(*std::move(splice));
    } else {
      set_fields.add_paths(field->name());
    }
  }
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(after, set_fields, {}, diff.set.get());
  return diff;
}

void ApplySnapshotDiff(const Message& set, const std::vector<std::string>& cleared,
                       const std::vector<FieldSplice>& spliced, Message* version) {
  const auto* descriptor = version->GetDescriptor();
  absl::flat_hash_set<const FieldDescriptor*> splice_fields;
  for (const FieldSplice& splice : spliced) {
    const FieldDescriptor* field = descriptor->FindFieldByName(splice.field);
    if (field == nullptr || !IsSpliceable(field)) continue;
    ApplySplice(set, field, splice, version);
    splice_fields.insert(field);
  }
  google::protobuf::FieldMask fields;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (IsSet(set, field) && !splice_fields.contains(field)) fields.add_paths(field->name());
  }
  for (const std::string& name : cleared) {
    if (descriptor->FindFieldByName(name) != nullptr) fields.add_paths(name);
  }
  // Replacing, not merging: a message field takes the new value whole, a repeated field holds
  // the new elements only, and a field in the mask but unset in `set` is cleared.
  google::protobuf::util::FieldMaskUtil::MergeOptions replace;
  replace.set_replace_message_fields(true);
  replace.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(set, fields, replace, version);
}

std::string VersionHash(const Message& version) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  version.SerializeToCodedStream(&out);
  out.Trim();
  return Sha256Hex(bytes);
}

bool MayStoreDiff(const Message& after, int64_t revision) {
  return after.ByteSizeLong() >= kDiffMinResourceBytes && (revision - 1) % kKeyframeInterval != 0;
}

void SetSnapshot(const Message& after, const Message* before, ChangeRecord* change) {
  change->snapshot_kind = SnapshotKind::kFull;
  change->cleared_fields.clear();
  change->spliced_fields.clear();
  change->version_hash = VersionHash(after);
  if (before != nullptr && before->GetDescriptor() == after.GetDescriptor() &&
      MayStoreDiff(after, change->revision)) {
    SnapshotDiff diff = DiffSnapshots(*before, after);
    if (diff.set->ByteSizeLong() * kDiffMaxShare <= after.ByteSizeLong()) {
      change->snapshot_kind = SnapshotKind::kDiff;
      change->cleared_fields = std::move(diff.cleared);
      change->spliced_fields = std::move(diff.spliced);
      change->snapshot_json = api::ToJson(*diff.set);
      return;
    }
  }
  change->snapshot_json = api::ToJson(after);
}

bool ApplyStoredSnapshot(const ChangeRecord& change, Message* version) {
  if (change.snapshot_kind == SnapshotKind::kFull) {
    version->Clear();
    return ParseJson(change.snapshot_json, version);
  }
  std::unique_ptr<Message> set(version->New());
  const bool parsed = ParseJson(change.snapshot_json, set.get());
  ApplySnapshotDiff(*set, change.cleared_fields, change.spliced_fields, version);
  return parsed;
}

std::vector<std::unique_ptr<Message>> ReconstructSnapshots(const ChangeHistory& history,
                                                           size_t count, const Message& prototype,
                                                           size_t max_bytes) {
  const auto& records = history.records;
  count = std::min(count, records.size());
  std::vector<std::unique_ptr<Message>> out(count);
  if (count == 0) return out;
  // Versions are rebuilt oldest first, pages are filled newest first: a first pass measures the
  // versions to find the oldest that can be shown, a second keeps the shown ones only.
  const auto replay = [&](auto visit) {
    std::unique_ptr<Message> version(prototype.New());
    for (const ChangeRecord& change : history.base) ApplyStoredSnapshot(change, version.get());
    for (size_t i = records.size(); i-- > 0;) {
      ApplyStoredSnapshot(records[i], version.get());
      if (i < count) visit(i, *version);
    }
  };
  std::vector<size_t> sizes(count);
  replay([&](size_t i, const Message& version) { sizes[i] = version.ByteSizeLong(); });
  size_t oldest_shown = 0;
  size_t newer_bytes = 0;
  while (oldest_shown + 1 < count && newer_bytes + sizes[oldest_shown] <= max_bytes) {
    newer_bytes += sizes[oldest_shown];
    ++oldest_shown;
  }
  replay([&](size_t i, const Message& version) {
    if (i > oldest_shown) return;
    out[i].reset(version.New());
    out[i]->CopyFrom(version);
  });
  return out;
}

}  // namespace imp::db
