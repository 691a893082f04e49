// Activities::ImportActivities: bulk import with per-row errors, all-or-nothing or best-effort,
// and request-id replay.
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "activity-service/src/activities.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/store.h"
#include "activity-service/src/validation.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/db/changes.h"
#include "common/db/errors.h"
#include "common/db/migrations.h"

namespace imp::activity {
namespace {

using v1::ImportActivitiesRequest;
using v1::ImportActivitiesResponse;

constexpr int kMaxListedErrors = 10000;
// Rows per multi-row INSERT: large enough to amortise round trips, small enough for packets.
constexpr size_t kChunkRows = 500;

void AddError(ImportActivitiesResponse* out, int64_t row, const absl::Status& status) {
  out->set_rows_failed(out->rows_failed() + 1);
  if (out->errors_size() >= kMaxListedErrors) return;
  auto* e = out->add_errors();
  e->set_row_number(row);
  const std::string message(status.message());
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) {
    e->set_reason(message);
  } else {
    e->set_field(message.substr(0, colon));
    e->set_reason(message.substr(colon + 2));
  }
}

// A row without an id gets one derived from the request id and its row number, so a retried
// import maps each row to the same activity (and a duplicate insert is caught by the key).
std::string RowId(const std::string& request_id, const v1::ImportRow& row) {
  if (!row.activity_id().empty()) return row.activity_id();
  if (request_id.empty()) return api::GenerateResourceId();
  return absl::StrCat("i",
                      db::Sha256Hex(absl::StrCat(request_id, "#", row.row_number())).substr(0, 20));
}

// A stored answer (base64 of the serialized response), marked as replayed.
bool ParseStored(const std::string& stored, ImportActivitiesResponse* out) {
  std::string bytes;
  if (!absl::Base64Unescape(stored, &bytes) || !out->ParseFromString(bytes)) return false;
  out->set_replayed(true);
  return true;
}

}  // namespace

absl::Status Activities::ImportActivities(const RequestContext& ctx, const ImportBatch& batch,
                                          ImportActivitiesResponse* out) {
  out->Clear();
  absl::Status request_id_ok = api::ValidateRequestId(batch.request_id);
  if (!request_id_ok.ok()) return request_id_ok;
  if (batch.rows.size() > kMaxImportRows) {
    return absl::InvalidArgumentError(absl::StrCat("rows: at most ", kMaxImportRows, " per call"));
  }
  const bool all_or_nothing = batch.mode != ImportActivitiesRequest::MODE_BEST_EFFORT;

  // 1. A request id seen before: answer as the first time, apply nothing.
  if (!batch.request_id.empty() && !batch.validate_only) {
    bool replayed = false;
    absl::Status s = db_->InTransaction(ctx.deadline, [&](db::Connection& c) -> absl::Status {
      auto& ps = c.Prepare(stmt::kSelectImport);
      ps.setString(1, batch.request_id);
      std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
      if (rs->next() && ParseStored(std::string(rs->getString(1)), out)) replayed = true;
      return absl::OkStatus();
    });
    if (!s.ok() || replayed) return s;
  }

  // 2. Validate every row on its own.
  out->set_rows_received(static_cast<int64_t>(batch.rows.size()));
  std::vector<bool> valid(batch.rows.size(), false);
  std::vector<std::string> ids(batch.rows.size());
  absl::flat_hash_set<std::string> seen_ids;
  References references;
  for (size_t i = 0; i < batch.rows.size(); ++i) {
    const auto& row = batch.rows[i];
    ids[i] = RowId(batch.request_id, row);
    absl::Status s = ValidateActivity(row.activity());
    if (s.ok() && !api::IsValidResourceId(ids[i])) {
      s = absl::InvalidArgumentError(absl::StrCat("activity_id: '", ids[i], "' is not a valid id"));
    }
    if (s.ok() && !seen_ids.insert(ids[i]).second) {
      s = absl::InvalidArgumentError(
          absl::StrCat("activity_id: '", ids[i], "' appears twice in this import"));
    }
    if (!s.ok()) {
      AddError(out, row.row_number(), s);
      continue;
    }
    valid[i] = true;
    CollectReferences(row.activity(), references);
  }

  // 3. Check every reference in one round of batched registry calls.
  auto facts = references_->Lookup(references, ctx.deadline);
  if (!facts.ok()) return facts.status();
  for (size_t i = 0; i < batch.rows.size(); ++i) {
    if (!valid[i]) continue;
    absl::Status s = ReferenceProblem(batch.rows[i].activity(), *facts);
    if (!s.ok()) {
      valid[i] = false;
      AddError(out, batch.rows[i].row_number(), s);
    }
  }
  if (batch.validate_only || (all_or_nothing && out->rows_failed() > 0)) return absl::OkStatus();

  // 4. Apply the valid rows and record the answer under the request id, in one transaction.
  const ImportActivitiesResponse before_apply = *out;
  bool rolled_back = false;
  absl::Status applied = db_->InTransaction(ctx.deadline, [&](db::Connection& c) -> absl::Status {
    *out = before_apply;  // the transaction may run again after a deadlock
    if (!batch.request_id.empty()) {
      // Claim the id first: a concurrent retry waits here for this transaction to finish.
      auto& claim = c.Prepare(stmt::kInsertImport);
      claim.setString(1, batch.request_id);
      claim.setString(2, "");
      try {
        claim.executeUpdate();
      } catch (const sql::SQLException& e) {
        if (e.getErrorCode() != db::kErrDuplicateKey) throw;
        auto& ps = c.Prepare(stmt::kSelectImport);
        ps.setString(1, batch.request_id);
        std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
        if (rs->next()) ParseStored(std::string(rs->getString(1)), out);
        return absl::OkStatus();
      }
    }
    const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
    std::vector<size_t> pending;
    for (size_t i = 0; i < batch.rows.size(); ++i) {
      if (valid[i]) pending.push_back(i);
    }
    for (size_t from = 0; from < pending.size(); from += kChunkRows) {
      const size_t to = std::min(pending.size(), from + kChunkRows);
      std::vector<std::string> chunk_ids;
      for (size_t k = from; k < to; ++k) chunk_ids.push_back(ids[pending[k]]);
      // Ids taken by earlier imports or creates are row errors, found before inserting.
      const auto taken = store::PksOf(c, chunk_ids);
      std::vector<std::string> new_ids;
      std::vector<const v1::Activity*> new_rows;
      std::vector<size_t> new_index;
      for (size_t k = from; k < to; ++k) {
        const size_t i = pending[k];
        if (taken.contains(ids[i])) {
          const absl::Status exists = absl::AlreadyExistsError(
              absl::StrCat("activity_id: ", store::ActivityName(ids[i]), " already exists"));
          if (all_or_nothing) {
            ImportActivitiesResponse failed = before_apply;
            AddError(&failed, batch.rows[i].row_number(), exists);
            *out = failed;
            rolled_back = true;
            return absl::AbortedError("import rolled back");  // rolls back: nothing applied
          }
          AddError(out, batch.rows[i].row_number(), exists);
          continue;
        }
        new_ids.push_back(ids[i]);
        new_rows.push_back(&batch.rows[i].activity());
        new_index.push_back(i);
      }
      store::InsertActivities(c, new_ids, new_rows, now);
      std::vector<db::ChangeRecord> changes;
      for (size_t k = 0; k < new_ids.size(); ++k) {
        v1::Activity stored = *new_rows[k];
        stored.set_name(store::ActivityName(new_ids[k]));
        stored.set_kind(KindOf(stored));
        db::ChangeRecord change;
        change.resource_name = stored.name();
        change.revision = 1;
        change.actor = ctx.actor;
        change.action = "CREATE";
        change.snapshot_json = api::ToJson(stored);
        change.change_time = now;
        changes.push_back(std::move(change));
        out->add_activity_names(stored.name());
      }
      db::RecordChanges(c, changes);
      out->set_rows_imported(out->rows_imported() + static_cast<int64_t>(new_ids.size()));
    }
    if (!batch.request_id.empty()) {
      auto& record = c.Prepare(stmt::kRecordImport);
      record.setString(1, absl::Base64Escape(out->SerializeAsString()));
      record.setString(2, batch.request_id);
      record.executeUpdate();
    }
    return absl::OkStatus();
  });
  // An all-or-nothing import that met an existing id applied nothing: that is an answer with
  // row errors, not a failed call.
  return rolled_back ? absl::OkStatus() : applied;
}

}  // namespace imp::activity
