#ifndef IMP_COMMON_DB_RESOURCE_KIT_H_
#define IMP_COMMON_DB_RESOURCE_KIT_H_

#include <google/protobuf/repeated_field.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/api/errors.h"
#include "common/api/etag.h"
#include "common/api/page_budget.h"
#include "common/api/page_token.h"
#include "common/api/resource_name.h"
#include "common/db/changes.h"
#include "common/db/changes_page.h"
#include "common/db/database.h"
#include "common/db/keyset.h"
#include "common/db/keyset_page.h"
#include "common/db/query.h"
#include "common/db/request_ids.h"
#include "common/db/sql_time.h"
#include "common/server/request_context.h"

// The skeletons of the AIP standard methods every resource of every service shares: Get,
// BatchGet, List (keyset pages bounded in rows and bytes), the request-id step of Create, soft
// delete and undelete (AIP-164) with their etag checks, the audit entry of every write, and
// ListChanges. A service describes a resource once (ResourceTable, ListSpec) and writes only
// what is its own: validation, the columns, the filter, the references.
namespace imp::db {

// How the kit finds one kind of stored resource. `Row` has `int64_t pk`, `int64_t revision`,
// `bool deleted` and the complete resource (name, times, etag) as the member `resource`.
template <typename Row, typename Resource>
struct ResourceTable {
  using StoredRow = Row;   // for parameters that take nullptr (not deduced from them)
  const char* collection;  // the resource names' collection: "institutions"
  Resource Row::*resource;
  // The row by id (for_update: locked FOR UPDATE), on the caller's connection.
  std::optional<Row> (*find)(Connection& c, const std::string& id, bool for_update);
  // Sets delete_time (nullopt: clears it), increments the revision, update_time = now.
  void (*set_delete_time)(Connection& c, int64_t pk, std::optional<absl::Time> when,
                          absl::Time now);
  // Reading one resource takes several statements that must agree (an agreement and its
  // parties): read in a transaction instead of autocommit statements.
  bool read_in_transaction = false;
  // Called by RecordWrite after the audit entry, as the last statement of every write of this
  // table (e.g. the registry's change feed, which must see writes in commit order); nullptr:
  // none.
  void (*after_write)(Connection& c, const std::string& name, int64_t revision,
                      absl::Time now) = nullptr;
  // Those of `ids` that exist, by id, in a few IN-list statements (BatchGet); nullptr: BatchGet
  // calls `find` once per id.
  absl::flat_hash_map<std::string, Row> (*find_many)(Connection& c,
                                                     const std::vector<std::string>& ids) = nullptr;
  // Called by SetDeleted after delete_time is written and before the audit entry, in the same
  // transaction, with the row as it was (e.g. the activity statistics' rollups); nullptr: none.
  void (*on_set_deleted)(Connection& c, const Row& before, bool deleted) = nullptr;

  std::string NameOf(absl::string_view id) const { return absl::StrCat(collection, "/", id); }
};

// "institutions/x" -> "x" (a name the service itself stored).
inline std::string IdOfName(absl::string_view name) {
  const size_t slash = name.find('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

template <typename Row, typename Resource>
absl::Status ReadResources(Database& db, const RequestContext& ctx,
                           const ResourceTable<Row, Resource>& table,
                           absl::FunctionRef<absl::Status(Connection&)> work) {
  return table.read_in_transaction ? db.InTransaction(ctx, work) : db.Read(ctx.deadline, work);
}

// AIP-131 Get: the resource, soft-deleted or not; NOT_FOUND "<name> not found".
template <typename Row, typename Resource>
absl::Status GetResource(Database& db, const RequestContext& ctx,
                         const ResourceTable<Row, Resource>& table, const std::string& name,
                         Resource* out) {
  auto id = api::ParseResourceName(name, table.collection, "name");
  if (!id.ok()) return id.status();
  return ReadResources(db, ctx, table, [&](Connection& c) -> absl::Status {
    auto row = table.find(c, *id, false);
    if (!row) return absl::NotFoundError(absl::StrCat(name, " not found"));
    *out = std::move((*row).*table.resource);
    return absl::OkStatus();
  });
}

// The names of a BatchGet as ids: each a name of `collection` (INVALID_ARGUMENT naming names[i]
// otherwise) and none repeated (INVALID_ARGUMENT naming the repeat: asking for one resource
// 1,000 times would make one stored record a 1,000-fold answer).
absl::StatusOr<std::vector<std::string>> BatchIds(
    const google::protobuf::RepeatedPtrField<std::string>& names, absl::string_view collection);

// INVALID_ARGUMENT on `names`, reason ANSWER_TOO_LARGE with metadata "fits": the answer to the
// first `fits` names reaches the page byte budget.
absl::Status BatchAnswerTooLarge(int fits);

// AIP-231 BatchGet: every name (at most 1000, none repeated), in request order, soft-deleted
// ones included; NOT_FOUND naming the first unknown one as names[i]; nothing is returned then.
// The answer stays within the List pages' byte budget (api::kMaxPageBytes): resources are
// counted as they are read, and a batch whose answer would pass it is refused
// (BatchAnswerTooLarge) before more is read, never built and sent whole.
template <typename Row, typename Resource>
absl::Status BatchGetResources(Database& db, const RequestContext& ctx,
                               const ResourceTable<Row, Resource>& table,
                               const google::protobuf::RepeatedPtrField<std::string>& names,
                               google::protobuf::RepeatedPtrField<Resource>* out) {
  auto ids = BatchIds(names, table.collection);
  if (!ids.ok()) return ids.status();
  return ReadResources(db, ctx, table, [&](Connection& c) -> absl::Status {
    out->Clear();
    api::PageBudget budget;
    const auto take = [&](size_t i, Resource&& resource) -> absl::Status {
      if (!budget.Fits(resource)) return BatchAnswerTooLarge(static_cast<int>(i));
      *out->Add() = std::move(resource);
      return absl::OkStatus();
    };
    const auto not_found = [&](size_t i) {
      return api::ResourceNotFound(api::ResourceType<Resource>(), names[static_cast<int>(i)],
                                   absl::StrCat("names[", i, "]"));
    };
    if (table.find_many != nullptr) {
      auto found = table.find_many(c, *ids);
      for (size_t i = 0; i < ids->size(); ++i) {
        auto row = found.find((*ids)[i]);
        if (row == found.end()) return not_found(i);
        if (absl::Status s = take(i, std::move(row->second.*table.resource)); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    for (size_t i = 0; i < ids->size(); ++i) {
      auto row = table.find(c, (*ids)[i], false);
      if (!row) return not_found(i);
      if (absl::Status s = take(i, std::move((*row).*table.resource)); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

// The request-id step of a Create (AIP-155), inside its transaction: true when an earlier
// identical request (same content, same caller: RequestIdentity) created a resource, which is
// then the answer in `out`; false when the caller goes on to create `table.NameOf(id)`.
template <typename Row, typename Resource>
absl::StatusOr<bool> ClaimOrReplayCreate(Connection& c, const RequestContext& ctx,
                                         const ResourceTable<Row, Resource>& table,
                                         absl::string_view method,
                                         const google::protobuf::Message& request,
                                         const std::string& request_id, const std::string& id,
                                         Resource* out) {
  return ClaimOrReplay(c, method, request_id, table.NameOf(id),
                       RequestIdentity::Of(request, ctx.actor),
                       [&](const std::string& earlier) -> absl::Status {
                         auto row = table.find(c, IdOfName(earlier), false);
                         if (!row) {
                           return absl::InternalError(
                               absl::StrCat("request_id refers to a missing resource ", earlier));
                         }
                         *out = std::move((*row).*table.resource);
                         return absl::OkStatus();
                       });
}

// ALREADY_EXISTS naming `field` (e.g. "institution_id") when `id` is taken, deleted or not.
template <typename Row, typename Resource>
absl::Status RequireNewId(Connection& c, const ResourceTable<Row, Resource>& table,
                          const std::string& id, absl::string_view field) {
  if (!table.find(c, id, false)) return absl::OkStatus();
  return api::ResourceExists(api::ResourceType<Resource>(), table.NameOf(id), field);
}

// The last step of every write, in its transaction, given the row as written (new revision
// and etag; e.g. what an insert stored, without reading it back) and the row as it was before
// (read under its lock by the write; nullptr for a create): records the audit entry (`action`,
// the changed `fields`, the snapshot: a diff against `before` for a small change of a large
// resource) and answers it.
template <typename Row, typename Resource>
absl::Status RecordWritten(Connection& c, const RequestContext& ctx,
                           const ResourceTable<Row, Resource>& table,
                           const typename ResourceTable<Row, Resource>::StoredRow* before,
                           const Row& row, absl::string_view action,
                           const std::vector<std::string>& fields, absl::Time now, Resource* out) {
  const Resource& written = row.*table.resource;
  // A diff is taken only against the revision right before this one (what its entry recorded).
  const Resource* previous = before != nullptr && before->revision + 1 == row.revision
                                 ? &(before->*table.resource)
                                 : nullptr;
  RecordResourceChange(c, ctx.actor, written.name(), row.revision, action, fields, written,
                       previous, now);
  if (table.after_write != nullptr) table.after_write(c, written.name(), row.revision, now);
  *out = written;
  return absl::OkStatus();
}

// RecordWritten after reading the row as written.
template <typename Row, typename Resource>
absl::Status RecordWrite(Connection& c, const RequestContext& ctx,
                         const ResourceTable<Row, Resource>& table,
                         const typename ResourceTable<Row, Resource>::StoredRow* before,
                         const std::string& id, absl::string_view action,
                         const std::vector<std::string>& fields, absl::Time now, Resource* out) {
  auto row = table.find(c, id, false);
  if (!row) return absl::InternalError(absl::StrCat(table.NameOf(id), " vanished while written"));
  return RecordWritten(c, ctx, table, before, *row, action, fields, now, out);
}

// A check a soft delete or undelete makes on the locked row before writing (e.g. "no binding
// agreements"); empty: none.
template <typename Row>
using DeleteCheck = std::function<absl::Status(Connection&, const Row&)>;

// AIP-164 Delete (deleted = true) or Undelete: in one transaction, the row locked, FAILED_
// PRECONDITION when it already is (not) deleted, ABORTED on an etag mismatch, then `check`,
// then delete_time set or cleared and the DELETE/UNDELETE entry recorded.
template <typename Row, typename Resource>
absl::Status SetDeleted(Database& db, const RequestContext& ctx,
                        const ResourceTable<Row, Resource>& table, const std::string& name,
                        const std::string& etag, bool deleted, const DeleteCheck<Row>& check,
                        Resource* out) {
  auto id = api::ParseResourceName(name, table.collection, "name");
  if (!id.ok()) return id.status();
  return db.InTransaction(ctx, [&](Connection& c) -> absl::Status {
    auto row = table.find(c, *id, true);
    if (!row) return absl::NotFoundError(absl::StrCat(name, " not found"));
    if (row->deleted == deleted) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, deleted ? " is already deleted" : " is not deleted"));
    }
    absl::Status etag_ok = api::CheckEtag(etag, ((*row).*table.resource).etag(), name);
    if (!etag_ok.ok()) return etag_ok;
    if (check) {
      absl::Status allowed = check(c, *row);
      if (!allowed.ok()) return allowed;
    }
    const absl::Time now = NowMicros();
    table.set_delete_time(c, row->pk, deleted ? std::optional<absl::Time>(now) : std::nullopt, now);
    if (table.on_set_deleted != nullptr) table.on_set_deleted(c, *row, deleted);
    return RecordWrite(c, ctx, table, &*row, *id, deleted ? "DELETE" : "UNDELETE", {}, now, out);
  });
}

// What a List method reads: its SQL pieces (from the service's statements.h) and what its page
// tokens are bound to.
struct ListSpec {
  const char* collection;   // page tokens: e.g. "registry.institutions"
  const char* columns;      // the row's columns, read by the service's row reader
  int column_count;         // how many: the sort value is the column after them
  const char* from;         // " FROM institutions i WHERE 1 = 1"
  const char* not_deleted;  // " AND i.delete_time IS NULL"
  const char* pk_column;    // "i.pk"
  // A page takes more than its one statement (a page loader that reads parties): read it in a
  // transaction so that they agree; false: one autocommit statement.
  bool read_in_transaction = true;
};

// A ListResources page loader that reads nothing beyond the page's statement.
struct NoPageLoad {
  template <typename Row>
  void operator()(Connection&, const std::vector<Row*>&) const {}
};

// AIP-132 List over a ListSpec: `filter(text, query)` appends the request's compiled filter;
// rows are read by `read(ResultSet&)`, completed for the whole page by `load_page(Connection&,
// const std::vector<Row*>&)` (e.g. their parties in one IN-list statement, not one per row), then
// by `prepare(Connection&, Row&)` (which returns the resource) and moved into the response by
// `add(Row&)`.
// Page tokens are bound to the collection and to filter, order_by and show_deleted; a page
// ends at page_size rows or before kMaxPageBytes. `clear()` empties the response (the
// transaction may run twice).
template <typename Request, typename Read, typename LoadPage, typename Prepare, typename Add>
absl::Status ListResources(Database& db, const RequestContext& ctx, const ListSpec& spec,
                           const Request& req, const ListOrder& order,
                           absl::FunctionRef<absl::Status(absl::string_view, Query&)> filter,
                           Read read, LoadPage load_page, Prepare prepare, Add add,
                           std::function<void()> clear, std::string* next_page_token) {
  Query query(absl::StrCat("SELECT ", spec.columns,
                           order.column ? absl::StrCat(", ", order.column) : ", ''", spec.from));
  if (!req.show_deleted()) query.Sql(spec.not_deleted);
  absl::Status filtered = filter(req.filter(), query);
  if (!filtered.ok()) return filtered;
  auto page =
      StartPage(req.page_size(), req.page_token(), spec.collection,
                api::PageQuery({req.filter(), req.order_by(), req.show_deleted() ? "1" : "0"}));
  if (!page.ok()) return page.status();
  FinishListQuery(query, order, spec.pk_column, *page);
  auto work = [&](Connection& c) -> absl::Status {
    clear();
    auto rows = ReadKeysetRows(*query.Execute(c), *page, spec.column_count + 1, read);
    using Row = typename decltype(rows.rows)::value_type;
    std::vector<Row*> page_rows;
    for (auto& row : rows.rows) page_rows.push_back(&row);
    load_page(c, page_rows);
    FillPage(
        rows, *page, next_page_token, [&](Row& row) -> decltype(auto) { return prepare(c, row); },
        add);
    return absl::OkStatus();
  };
  return spec.read_in_transaction ? db.InTransaction(ctx, work) : db.Read(ctx.deadline, work);
}

// ListChanges of one resource, newest first: NOT_FOUND unless `exists(c)`; page tokens bound to
// `collection` (e.g. "registry.changes") and the name; `snapshot(change)` is the message of
// the Change to parse the stored snapshot into.
template <typename Response, typename Snapshot>
absl::Status ListResourceChanges(Database& db, const RequestContext& ctx,
                                 absl::string_view collection, const std::string& name,
                                 int page_size, const std::string& page_token,
                                 absl::FunctionRef<bool(Connection&)> exists, Snapshot snapshot,
                                 Response* out) {
  auto page = StartPage(page_size, page_token, collection, api::PageQuery({name}));
  if (!page.ok()) return page.status();
  return db.InTransaction(ctx, [&](Connection& c) -> absl::Status {
    out->Clear();
    if (!exists(c)) return absl::NotFoundError(absl::StrCat(name, " not found"));
    FillChangesPage(ListChanges(c, name, page->position.pk, page->size + 1), *page, out, snapshot);
    return absl::OkStatus();
  });
}

}  // namespace imp::db

#endif  // IMP_COMMON_DB_RESOURCE_KIT_H_
