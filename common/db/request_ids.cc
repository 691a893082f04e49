#include "common/db/request_ids.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "common/db/statement.h"

namespace imp::db {
namespace {

constexpr Statement kClaim{
    "claim_request_id",
    "INSERT IGNORE INTO request_ids (method, request_id, resource_name, create_time) "
    "VALUES (?, ?, ?, UTC_TIMESTAMP(6))"};
constexpr Statement kLookup{
    "lookup_request_id",
    "SELECT resource_name FROM request_ids WHERE method = ? AND request_id = ?"};

}  // namespace

std::optional<std::string> ClaimRequestId(Connection& conn, absl::string_view method,
                                          absl::string_view request_id,
                                          absl::string_view resource_name) {
  auto& claim = conn.Prepare(kClaim);
  claim.setString(1, std::string(method));
  claim.setString(2, std::string(request_id));
  claim.setString(3, std::string(resource_name));
  if (claim.executeUpdate() == 1) return std::nullopt;
  // The other claimant committed; if it rolled back between the two statements, this finds
  // nothing and the caller goes on as the owner would (the unique key still guards it).
  return FindRequestId(conn, method, request_id);
}

std::optional<std::string> FindRequestId(Connection& conn, absl::string_view method,
                                         absl::string_view request_id) {
  auto& lookup = conn.Prepare(kLookup);
  lookup.setString(1, std::string(method));
  lookup.setString(2, std::string(request_id));
  std::unique_ptr<sql::ResultSet> rs(lookup.executeQuery());
  if (!rs->next()) return std::nullopt;
  return std::string(rs->getString(1));
}

}  // namespace imp::db
