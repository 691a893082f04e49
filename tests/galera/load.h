#ifndef IMP_TESTS_GALERA_LOAD_H_
#define IMP_TESTS_GALERA_LOAD_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/net/tls.h"
#include "grpcpp/support/status.h"
#include "imp/activity/v1/activity.grpc.pb.h"
#include "imp/gateway/v1/gateway.grpc.pb.h"
#include "imp/registry/v1/registry.grpc.pb.h"

// The Galera kill test's client: a mixed read and write load through the gateway replicas (one
// round-robin channel over all of them), with a ledger of what each write was told.
namespace imp::testing::galera {

// One create, and what the client was told in the end (after retries with its request_id).
struct CreateRecord {
  bool institution = false;
  std::string key;   // display name or title: unique per create, to find duplicates by
  std::string name;  // the acknowledged resource name
  bool acknowledged = false;
  absl::Time acknowledged_at;
  int attempts = 0;
};

// One writer's own institution, updated over and over (notes = a new value each time).
struct UpdateRecord {
  std::string institution;
  std::string last_acknowledged_notes;
  bool last_attempt_unacknowledged = false;
  int acknowledged = 0;
};

struct LoadResults {
  std::vector<CreateRecord> creates;
  std::vector<UpdateRecord> updates;
  int imports_acknowledged = 0;  // each of kImportRows rows, year kImportYear
  int imports_unacknowledged = 0;
  int reads = 0;
  // An acknowledged create read back at once through the gateways answered NOT_FOUND.
  int read_after_write_misses = 0;
  std::map<std::string, int> failed_attempt_codes;  // "call:gRPC code" -> failed attempts
  // The failed attempts whose status the README does not tell clients to retry (ClientsRetry):
  // a client that follows it would have failed these calls.
  std::map<std::string, int> not_retryable_codes;
  // Every failed attempt as "call:code message" -> count (what a failure was, for reports).
  std::map<std::string, int> failure_messages;
  std::vector<absl::Time> failures;  // when each failed attempt ended
  absl::Duration slowest_attempt;
};

inline constexpr int kImportRows = 100;
inline constexpr int kImportYear = 2021;
inline constexpr int kWriteYear = 2023;

// Whether the README tells clients to retry a call that ended with `status` (the same request,
// writes with the same request_id): UNAVAILABLE (a database or backend is down, or a server is
// draining), RESOURCE_EXHAUSTED carrying RetryInfo (refused for overload, nothing done: retry
// after its delay), ABORTED (read again and retry). Anything else is the call's answer.
bool ClientsRetry(const grpc::Status& status);

class MixedLoad {
 public:
  // `gateways_target`: e.g. "ipv4:127.0.0.1:P1,127.0.0.1:P2"; `token`: an admin token.
  // `tls`: what the channel verifies the gateways with.
  MixedLoad(const std::string& gateways_target, const TlsOptions& tls, std::string token,
            int writers);
  ~MixedLoad();  // stops and joins

  // The seed institution activities are hosted by, and each writer's own institution.
  bool Prepare(std::string* error);
  void Start();
  void Stop();
  // After Stop.
  const LoadResults& results() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return results_; }

 private:
  void Writer(int w);
  void Importer();
  // Retries `call` (same request) until OK or `give_up`; records failed attempts.
  // `what` names the call in failed_attempt_codes.
  bool Retry(const char* what, const std::function<grpc::Status(grpc::ClientContext*)>& call,
             int* attempts, absl::Duration give_up = absl::Seconds(20));
  void ReadBack(const CreateRecord& record);
  void RecordFailure(const char* what, const grpc::Status& status);

  const std::string token_;
  const int writers_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<registry::v1::RegistryService::Stub> registry_;
  std::unique_ptr<activity::v1::ActivityService::Stub> activity_;
  std::unique_ptr<gateway::v1::GatewayService::Stub> gateway_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  LoadResults results_ ABSL_GUARDED_BY(mu_);
};

}  // namespace imp::testing::galera

#endif  // IMP_TESTS_GALERA_LOAD_H_
