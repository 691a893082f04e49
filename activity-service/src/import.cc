// Activities::ImportActivities: a streamed bulk import. Rows are validated, checked against the
// registry and applied message by message, inside one transaction that commits only at the
// confirmed end of the stream; a retry with the same request_id replays the first answer.
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "activity-service/src/activities.h"
#include "activity-service/src/import_apply.h"
#include "activity-service/src/statements.h"
#include "activity-service/src/store.h"
#include "activity-service/src/validation.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "common/api/text.h"
#include "common/db/errors.h"
#include "common/db/migrations.h"
#include "common/db/request_ids.h"
#include "common/metrics/metrics.h"

namespace imp::activity {
namespace {

using v1::ImportActivitiesRequest;
using v1::ImportActivitiesResponse;

// Rollup rows an import collects before it writes them early. An import's deltas are written
// at its end (see Finish); one whose rows spread over more rollup rows than this writes them
// as it goes instead, so the memory it holds stays bounded whatever its size.
constexpr size_t kMaxPendingRollupRows = 20000;

// imp_import_rows_total{kind="activity"}: rows of imports that committed.
metrics::Counter& ImportedRows() {
  static metrics::Counter& rows =
      metrics::Registry::Default()
          .AddCounter("imp_import_rows_total",
                      "Rows committed by imports (created, updated or left unchanged; the "
                      "API's rows_imported), by the kind of resource imported. Validate-only, "
                      "rolled-back and replayed imports add nothing.",
                      {"kind"})
          .With({"activity"});
  return rows;
}

// A row without an id gets one derived from the caller, the request id and its row number, so
// a retried import maps each row to the same activity (and a duplicate insert is caught by the
// key), while another caller's import under the same request id (request ids are each caller's
// own) makes its own.
std::string RowId(const std::string& actor, const std::string& request_id,
                  const v1::ImportRow& row) {
  if (!row.activity_id().empty()) return row.activity_id();
  if (request_id.empty()) return api::GenerateResourceId();
  return absl::StrCat(
      "i",
      db::Sha256Hex(absl::StrCat(actor, "\n", request_id, "#", row.row_number())).substr(0, 20));
}

// What an earlier call with this request id answered, and who sent what.
struct StoredImport {
  ImportActivitiesResponse response;
  db::RequestIdentity identity;
};

// Request ids are the caller's own: `actor`'s import with this id (or one from before imports
// were kept by actor).
std::optional<StoredImport> ReadStored(db::Connection& c, const std::string& request_id,
                                       const std::string& actor) {
  auto& ps = c.Prepare(stmt::kSelectImport);
  ps.setString(1, request_id);
  ps.setString(2, actor);
  std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
  if (!rs->next()) return std::nullopt;
  StoredImport stored;
  std::string bytes;
  if (!absl::Base64Unescape(std::string(rs->getString("response")), &bytes) ||
      !stored.response.ParseFromString(bytes)) {
    return std::nullopt;
  }
  stored.response.set_replayed(true);
  stored.identity = {std::string(rs->getString("fingerprint")),
                     std::string(rs->getString("actor"))};
  return stored;
}

// One import call, fed message by message. Three ways it can go, fixed by the first message:
//   replay        the request id answered before: the stream is only fingerprinted, and the
//                 first answer is returned if the same caller sent the same rows;
//   validate only nothing is written;
//   apply         a transaction is held from the first message to the end of the stream.
class ImportRun final : public ImportSession {
 public:
  ImportRun(db::Database* db, ReferenceLookup* references, const RequestContext& ctx,
            ImportActivitiesResponse* out)
      : db_(db), references_(references), ctx_(ctx), out_(out) {
    out_->Clear();
  }

  absl::Status Add(const ImportActivitiesRequest& message) override {
    if (!started_) {
      started_ = true;
      absl::Status started = Start(message);
      if (!started.ok()) return started;
    }
    return AddRows(message);
  }

  absl::Status Finish() override {
    if (!started_) {
      return absl::InvalidArgumentError("rows: the import stream ended before its first message");
    }
    return Apply();
  }

 private:
  absl::Status Start(const ImportActivitiesRequest& first) {
    request_id_ = first.request_id();
    ImportActivitiesRequest header = first;
    header.clear_rows();  // rows are checked one by one, as row errors
    absl::Status ok = CheckRequestBounds(ctx_, header);
    if (ok.ok()) ok = api::ValidateRequestId(request_id_);
    if (!ok.ok()) return ok;
    if (!ImportActivitiesRequest::Mode_IsValid(first.mode())) {
      return absl::InvalidArgumentError(absl::StrCat("mode: ", first.mode(),
                                                     " is not a mode; use MODE_ALL_OR_NOTHING or "
                                                     "MODE_BEST_EFFORT"));
    }
    all_or_nothing_ = first.mode() != ImportActivitiesRequest::MODE_BEST_EFFORT;
    validate_only_ = first.validate_only();
    header.clear_request_id();
    fingerprint_.Add(header);
    if (validate_only_) return absl::OkStatus();
    if (!request_id_.empty()) {
      absl::Status read = db_->Read(ctx_.deadline, [&](db::Connection& c) {
        stored_ = ReadStored(c, request_id_, ctx_.actor);
        return absl::OkStatus();
      });
      if (!read.ok() || stored_) return read;
    }
    auto held = db_->Begin(ctx_);
    if (!held.ok()) return held.status();
    held_ = *std::move(held);
    if (request_id_.empty()) return absl::OkStatus();
    // Claim the id first: a concurrent call with the same id waits here until this one commits
    // (then it replays this answer) or rolls back (then it applies the import itself).
    bool claimed = false;
    absl::Status claim = held_->Run([&](db::Connection& c) -> absl::Status {
      auto& ps = c.Prepare(stmt::kClaimImport);
      ps.setString(1, request_id_);
      ps.setString(2, ctx_.actor);
      try {
        ps.executeUpdate();
        claimed = true;
      } catch (const sql::SQLException& e) {
        if (e.getErrorCode() != db::kErrDuplicateKey) throw;
      }
      return absl::OkStatus();
    });
    if (!claim.ok() || claimed) return claim;
    held_.reset();  // the other call committed first: answer as it did
    return db_->Read(ctx_.deadline, [&](db::Connection& c) {
      stored_ = ReadStored(c, request_id_, ctx_.actor);
      return stored_ ? absl::OkStatus()
                     : absl::AbortedError("request_id: an import with this id is in progress");
    });
  }

  absl::Status AddRows(const ImportActivitiesRequest& message) {
    for (const auto& row : message.rows()) fingerprint_.Add(row);
    if (stored_) return absl::OkStatus();  // replay: the rows are only fingerprinted
    received_ += message.rows_size();
    out_->set_rows_received(received_);
    if (received_ > static_cast<int64_t>(kMaxImportRows)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rows: at most ", kMaxImportRows, " rows per import call"));
    }
    std::vector<PendingRow> valid = Validate(message);
    absl::Status refs = CheckReferences(valid);
    if (!refs.ok()) return refs;
    if (validate_only_ || (all_or_nothing_ && out_->rows_failed() > 0)) return absl::OkStatus();
    for (size_t from = 0; from < valid.size(); from += kApplyChunkRows) {
      if (ctx_.Cancelled()) return absl::CancelledError("the call was cancelled; nothing applied");
      const size_t to = std::min(valid.size(), from + kApplyChunkRows);
      std::vector<PendingRow> chunk(valid.begin() + from, valid.begin() + to);
      bool must_roll_back = false;
      absl::Status applied = held_->Run([&](db::Connection& c) {
        must_roll_back = ApplyRows(c, ctx_, chunk, all_or_nothing_, &deltas_, out_);
        if (!must_roll_back && deltas_.size() >= kMaxPendingRollupRows) deltas_.Apply(c);
        return absl::OkStatus();
      });
      if (!applied.ok()) return applied;
      if (must_roll_back) return absl::OkStatus();  // rows_failed > 0: nothing more is applied
    }
    return absl::OkStatus();
  }

  absl::Status Apply() {
    if (stored_) {
      absl::Status same =
          db::CheckSameRequest(stored_->identity, {fingerprint_.Finish(), ctx_.actor});
      if (!same.ok()) return same;
      *out_ = stored_->response;
      return absl::OkStatus();
    }
    if (validate_only_ || (all_or_nothing_ && out_->rows_failed() > 0)) {
      // Nothing is applied, and the request id stays free for the corrected import.
      held_.reset();
      ClearApplied();
      return absl::OkStatus();
    }
    // The statistics change with the rows, in this transaction, right before it commits: the
    // rollup rows (shared with every other writer of the same months) stay locked only from
    // here to the commit, not for the whole import.
    absl::Status counted = held_->Run([&](db::Connection& c) {
      deltas_.Apply(c);
      return absl::OkStatus();
    });
    if (!counted.ok()) return counted;
    if (!request_id_.empty()) {
      const std::string fingerprint = fingerprint_.Finish();
      absl::Status recorded = held_->Run([&](db::Connection& c) {
        auto& record = c.Prepare(stmt::kRecordImport);
        record.setString(1, absl::Base64Escape(out_->SerializeAsString()));
        record.setString(2, fingerprint);
        record.setString(3, ctx_.actor);
        record.setString(4, request_id_);
        record.executeUpdate();
        return absl::OkStatus();
      });
      if (!recorded.ok()) return recorded;
    }
    absl::Status committed = held_->Commit();
    if (committed.ok()) ImportedRows().Increment(static_cast<double>(out_->rows_imported()));
    return committed;
  }

  // Validates each row on its own; rows that fail are reported, the others returned.
  std::vector<PendingRow> Validate(const ImportActivitiesRequest& message) {
    std::vector<PendingRow> valid;
    for (const auto& row : message.rows()) {
      PendingRow pending{&row, RowId(ctx_.actor, request_id_, row)};
      absl::Status s = ValidateActivity(row.activity());
      if (s.ok() && !api::IsValidResourceId(pending.id)) {
        s = absl::InvalidArgumentError(
            absl::StrCat("activity_id: ", api::QuoteForMessage(pending.id), " is not a valid id"));
      }
      if (s.ok() && !seen_ids_.insert(pending.id).second) {
        s = absl::InvalidArgumentError(absl::StrCat(
            "activity_id: ", api::QuoteForMessage(pending.id), " appears twice in this import"));
      }
      const std::string& key = row.activity().external_reference();
      if (s.ok() && !key.empty() &&
          !seen_keys_.insert(absl::StrCat(row.activity().host_institution(), "\n", key)).second) {
        s = absl::InvalidArgumentError(
            "activity.external_reference: appears twice for this host in this import");
      }
      if (!s.ok()) {
        AddRowError(out_, row.row_number(), s);
        continue;
      }
      valid.push_back(std::move(pending));
    }
    return valid;
  }

  // Checks the references of `rows` against the registry, asking only about names this call
  // has not resolved yet; rows with a bad reference are reported and dropped.
  absl::Status CheckReferences(std::vector<PendingRow>& rows) {
    References unknown;
    for (const auto& row : rows) {
      References refs;
      CollectReferences(row.row->activity(), refs);
      for (const auto& n : refs.institutions)
        if (!facts_.institutions.contains(n)) unknown.institutions.insert(n);
      for (const auto& n : refs.agreements)
        if (!facts_.agreements.contains(n)) unknown.agreements.insert(n);
      for (const auto& n : refs.cooperation_areas)
        if (!facts_.cooperation_areas.contains(n)) unknown.cooperation_areas.insert(n);
    }
    if (!unknown.institutions.empty() || !unknown.agreements.empty() ||
        !unknown.cooperation_areas.empty()) {
      auto facts = references_->Lookup(unknown, ctx_.deadline);
      if (!facts.ok()) return facts.status();
      facts_.institutions.insert(facts->institutions.begin(), facts->institutions.end());
      facts_.agreements.insert(facts->agreements.begin(), facts->agreements.end());
      facts_.cooperation_areas.insert(facts->cooperation_areas.begin(),
                                      facts->cooperation_areas.end());
    }
    std::vector<PendingRow> kept;
    for (auto& row : rows) {
      absl::Status s = ReferenceProblem(row.row->activity(), facts_);
      if (s.ok()) {
        kept.push_back(std::move(row));
      } else {
        AddRowError(out_, row.row->row_number(), s);
      }
    }
    rows = std::move(kept);
    return absl::OkStatus();
  }

  void ClearApplied() {
    out_->set_rows_imported(0);
    out_->set_rows_created(0);
    out_->set_rows_updated(0);
    out_->set_rows_unchanged(0);
    out_->clear_activity_names();
  }

  db::Database* db_;
  ReferenceLookup* references_;
  const RequestContext& ctx_;
  ImportActivitiesResponse* out_;
  bool started_ = false;
  std::string request_id_;
  bool all_or_nothing_ = true;
  bool validate_only_ = false;
  std::optional<StoredImport> stored_;
  std::unique_ptr<db::HeldTransaction> held_;
  db::Fingerprinter fingerprint_;
  int64_t received_ = 0;
  absl::flat_hash_set<std::string> seen_ids_;
  absl::flat_hash_set<std::string> seen_keys_;
  ReferenceFacts facts_;    // every reference resolved so far in this call
  rollups::Deltas deltas_;  // what the applied rows change in the statistics, not yet written
};

}  // namespace

std::unique_ptr<ImportSession> Activities::OpenImport(const RequestContext& ctx,
                                                      ImportActivitiesResponse* out) {
  return std::make_unique<ImportRun>(db_, references_, ctx, out);
}

absl::Status Activities::ImportActivities(const RequestContext& ctx, ImportStream& stream,
                                          ImportActivitiesResponse* out) {
  std::unique_ptr<ImportSession> session = OpenImport(ctx, out);
  for (;;) {
    auto next = stream.Next();
    if (!next.ok()) return next.status();
    if (*next == nullptr) return session->Finish();
    absl::Status added = session->Add(**next);
    if (!added.ok()) return added;
  }
}

}  // namespace imp::activity
