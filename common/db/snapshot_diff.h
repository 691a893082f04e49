#ifndef IMP_COMMON_DB_SNAPSHOT_DIFF_H_
#define IMP_COMMON_DB_SNAPSHOT_DIFF_H_

#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/db/changes.h"

// The stored form of an audit entry's snapshot (issue #18, finding 9: forty 50-byte title
// changes of a 900 KB project stored forty full copies). An entry stores either the whole
// resource (a keyframe) or a diff against the version before it: the top-level fields the change
// set (a partial message, proto JSON) and those it cleared (their names). A repeated message
// field is spliced (FieldSplice, changes.h): the elements it keeps at its start and end are
// counted, not stored, so adding or changing one transaction of a thousand stores that one.
// Applying a diff to the version before it replaces exactly those fields, so every version is
// rebuilt from the nearest keyframe at or before it. A diff is computed with protobuf's
// reflection (MessageDifferencer, one top-level field or list element at a time) and applied
// with FieldMaskUtil and Reflection.
namespace imp::db {

// A resource smaller than this (serialized) is stored whole at every change: its copies cost
// little, and its history stays readable row by row. Most institutions, agreements and
// activities are; a large project is not.
inline constexpr size_t kDiffMinResourceBytes = 4096;
// Revision 1, 1 + kKeyframeInterval, ... are keyframes whatever their size: rebuilding a
// version reads at most kKeyframeInterval entries.
inline constexpr int64_t kKeyframeInterval = 32;
// A diff is stored only when at most 1/kDiffMaxShare of the whole resource (serialized):
// otherwise the change is a keyframe, so the entries read to rebuild a version stay below
// 1 + kKeyframeInterval / kDiffMaxShare copies of it.
inline constexpr size_t kDiffMaxShare = 4;

// The top-level fields in which `after` differs from `before` (same message type): those set in
// `after` are copied into `set` (a message of that type), those unset are named in `cleared`. A
// repeated message field (not a map) whose first or last elements are unchanged is listed in
// `spliced`, and `set` holds only the elements between them (possibly none).
struct SnapshotDiff {
  std::unique_ptr<google::protobuf::Message> set;
  std::vector<std::string> cleared;  // proto field names
  std::vector<FieldSplice> spliced;
};
SnapshotDiff DiffSnapshots(const google::protobuf::Message& before,
                           const google::protobuf::Message& after);

// Turns `*version` (the version before the change) into the version after it: replaces the
// top-level fields set in `set`, clears those named in `cleared` and splices those in `spliced`
// (names this type does not have, and splices longer than the field, are skipped).
void ApplySnapshotDiff(const google::protobuf::Message& set,
                       const std::vector<std::string>& cleared,
                       const std::vector<FieldSplice>& spliced, google::protobuf::Message* version);

// The SHA-256 (hex) of `version` serialized deterministically. Each entry records it for the
// resource after the change, and a diff is taken only against a `before` whose hash is the one
// the previous entry recorded: the version a diff is applied to when rebuilt is then the version
// it was taken against, whatever a write path passes as `before`.
std::string VersionHash(const google::protobuf::Message& version);

// Whether the change of a resource to `after` at `revision` may be stored as a diff: `after` is
// large and `revision` is not a periodic keyframe. Only then is the version before it needed.
bool MayStoreDiff(const google::protobuf::Message& after, int64_t revision);

// Fills the stored snapshot of `change` (its revision already set) for the resource `after`, and
// its version_hash: a keyframe when there is no `before`, when !MayStoreDiff, or when the diff
// would not be much smaller; a diff against `before` otherwise. `before` must be the version the
// previous entry (revision - 1) recorded, its VersionHash checked (RecordResourceChange), or null.
void SetSnapshot(const google::protobuf::Message& after, const google::protobuf::Message* before,
                 ChangeRecord* change);

// Turns `*version`, the resource before `change`, into the resource after it (a keyframe
// replaces it whole). False, leaving what was parsed, when the stored JSON does not parse.
bool ApplyStoredSnapshot(const ChangeRecord& change, google::protobuf::Message* version);

// The resource after each of the first `count` entries of `history.records` (newest first),
// rebuilt oldest first from `history.base` into messages of the type of `prototype`. A page is
// filled newest first and ends before it passes `max_bytes`: an entry whose newer entries alone
// already take more than `max_bytes` (serialized) is never shown and is left null, so at most
// about `max_bytes` of versions are held however long the page.
std::vector<std::unique_ptr<google::protobuf::Message>> ReconstructSnapshots(
    const ChangeHistory& history, size_t count, const google::protobuf::Message& prototype,
    size_t max_bytes);

}  // namespace imp::db

#endif  // IMP_COMMON_DB_SNAPSHOT_DIFF_H_
