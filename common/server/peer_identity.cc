#include "common/server/peer_identity.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>
#include <utility>

#include "common/server/request_context.h"

namespace imp {
namespace {

std::string FirstValue(const grpc::AuthContext& auth, const char* property) {
  const std::vector<grpc::string_ref> values = auth.FindPropertyValues(property);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

class ActorGate final : public grpc::AuthMetadataProcessor {
 public:
  explicit ActorGate(std::vector<std::string> trusted_peers)
      : trusted_peers_(std::move(trusted_peers)) {}

  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* /*response_metadata*/) override {
    const std::string peer = PeerIdentity(context);
    if (!peer.empty() &&
        std::find(trusted_peers_.begin(), trusted_peers_.end(), peer) != trusted_peers_.end()) {
      return grpc::Status::OK;
    }
    auto [begin, end] = auth_metadata.equal_range(kActorMetadataKey);
    for (auto it = begin; it != end; ++it) {
      consumed_auth_metadata->emplace(std::string(it->first.data(), it->first.size()),
                                      std::string(it->second.data(), it->second.size()));
    }
    return grpc::Status::OK;
  }

 private:
  const std::vector<std::string> trusted_peers_;
};

}  // namespace

std::string PeerIdentity(const grpc::AuthContext* auth) {
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  std::string identity = FirstValue(*auth, GRPC_X509_CN_PROPERTY_NAME);
  if (identity.empty()) identity = FirstValue(*auth, GRPC_PEER_DNS_PROPERTY_NAME);
  return identity;
}

std::shared_ptr<grpc::AuthMetadataProcessor> MakeActorGate(std::vector<std::string> trusted_peers) {
  return std::make_shared<ActorGate>(std::move(trusted_peers));
}

}  // namespace imp
