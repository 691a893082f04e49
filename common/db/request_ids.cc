#include "common/db/request_ids.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/db/migrations.h"
#include "common/db/statement.h"

namespace imp::db {
namespace {

constexpr Statement kClaim{
    "claim_request_id",
    "INSERT IGNORE INTO request_ids (method, request_id, resource_name, create_time, "
    "fingerprint, actor) VALUES (?, ?, ?, UTC_TIMESTAMP(6), ?, ?)"};
// The caller's own entry, else one from before entries were kept by actor (actor '').
constexpr Statement kLookup{"lookup_request_id",
                            "SELECT resource_name, fingerprint, actor FROM request_ids "
                            "WHERE method = ? AND request_id = ? AND actor IN (?, '') "
                            "ORDER BY actor DESC LIMIT 1"};

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&out);
  out.Trim();
  return bytes;
}

}  // namespace

struct Fingerprinter::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Fingerprinter::Fingerprinter() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}

Fingerprinter::~Fingerprinter() = default;

void Fingerprinter::Add(const google::protobuf::Message& part) {
  const std::string bytes = DeterministicBytes(part);
  const std::string length = absl::StrCat(bytes.size(), ":");
  EVP_DigestUpdate(state_->ctx, length.data(), length.size());
  EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size());
}

std::string Fingerprinter::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx, digest, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

RequestIdentity RequestIdentity::Of(const google::protobuf::Message& request,
                                    absl::string_view actor) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  if (const auto* field = copy->GetDescriptor()->FindFieldByName("request_id")) {
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  return RequestIdentity{Sha256Hex(DeterministicBytes(*copy)), std::string(actor)};
}

absl::Status CheckSameRequest(const RequestIdentity& stored, const RequestIdentity& now,
                              absl::string_view earlier_resource) {
  if (!stored.actor.empty() && stored.actor != now.actor) {
    return api::RequestIdReused(
        "already used by another caller; choose a new request_id for a new request",
        earlier_resource);
  }
  if (!stored.fingerprint.empty() && stored.fingerprint != now.fingerprint) {
    return api::RequestIdReused(
        "already used for a request with different content; a retry must repeat the request "
        "exactly, a new request needs a new request_id",
        earlier_resource);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ClaimRequestId(Connection& conn,
                                                          absl::string_view method,
                                                          absl::string_view request_id,
                                                          absl::string_view resource_name,
                                                          const RequestIdentity& identity) {
  // An earlier identical request answers first (an entry from before actors were kept, which
  // the claim below would not collide with, included).
  auto earlier = FindRequestId(conn, method, request_id, identity);
  if (!earlier.ok() || earlier->has_value()) return earlier;
  auto& claim = conn.Prepare(kClaim);
  claim.setString(1, std::string(method));
  claim.setString(2, std::string(request_id));
  claim.setString(3, std::string(resource_name));
  claim.setString(4, identity.fingerprint);
  claim.setString(5, identity.actor);
  if (claim.executeUpdate() == 1) return std::nullopt;
  // The other claimant committed; if it rolled back between the two statements, this finds
  // nothing and the caller goes on as the owner would (the unique key still guards it).
  return FindRequestId(conn, method, request_id, identity);
}

absl::StatusOr<std::optional<std::string>> FindRequestId(Connection& conn, absl::string_view method,
                                                         absl::string_view request_id,
                                                         const RequestIdentity& identity) {
  auto& lookup = conn.Prepare(kLookup);
  lookup.setString(1, std::string(method));
  lookup.setString(2, std::string(request_id));
  lookup.setString(3, identity.actor);
  std::unique_ptr<sql::ResultSet> rs(lookup.executeQuery());
  if (!rs->next()) return std::nullopt;
  std::string earlier(rs->getString("resource_name"));
  absl::Status same = CheckSameRequest(RequestIdentity{std::string(rs->getString("fingerprint")),
                                                       std::string(rs->getString("actor"))},
                                       identity, earlier);
  if (!same.ok()) return same;
  return earlier;
}

absl::StatusOr<bool> ClaimOrReplay(Connection& conn, absl::string_view method,
                                   absl::string_view request_id, absl::string_view resource_name,
                                   const RequestIdentity& identity,
                                   absl::FunctionRef<absl::Status(const std::string&)> replay) {
  if (request_id.empty()) return false;
  auto earlier = ClaimRequestId(conn, method, request_id, resource_name, identity);
  if (!earlier.ok()) return earlier.status();
  if (!*earlier) return false;
  absl::Status replayed = replay(**earlier);
  if (!replayed.ok()) return replayed;
  return true;
}

absl::StatusOr<bool> Replay(Connection& conn, absl::string_view method,
                            absl::string_view request_id, const RequestIdentity& identity,
                            absl::FunctionRef<absl::Status(const std::string&)> replay) {
  if (request_id.empty()) return false;
  auto earlier = FindRequestId(conn, method, request_id, identity);
  if (!earlier.ok()) return earlier.status();
  if (!*earlier) return false;
  absl::Status replayed = replay(**earlier);
  if (!replayed.ok()) return replayed;
  return true;
}

}  // namespace imp::db
