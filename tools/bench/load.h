#ifndef IMP_TOOLS_BENCH_LOAD_H_
#define IMP_TOOLS_BENCH_LOAD_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace imp::bench {

// The serialized request of call number `seq` (0, 1, ...). Called from gRPC's callback threads,
// one call at a time per closed loop but from several loops at once: it must be thread-safe.
using RequestSource = std::function<grpc::ByteBuffer(uint64_t seq)>;
// Returns why an OK response does not count (e.g. a partial answer), or "" when it does.
using ResponseCheck = std::function<std::string(const grpc::ByteBuffer&)>;

grpc::ByteBuffer Serialize(const google::protobuf::Message& message);
bool Parse(const grpc::ByteBuffer& bytes, google::protobuf::Message* message);

// The same serialized request for every call.
RequestSource Constant(const google::protobuf::Message& message);
// The given requests in turn.
RequestSource RoundRobin(const std::vector<const google::protobuf::Message*>& messages);

// What a measurement does: `concurrency` closed loops, each calling `method` again as soon as
// its previous call has answered, for `duration` and at least `min_calls` calls in all, but never
// longer than `max_duration`.
struct LoadSpec {
  std::string method;  // "/imp.registry.v1.RegistryService/GetInstitution"
  RequestSource requests;
  ResponseCheck check;  // optional; applied to the real service's and the no-op's answers alike
  std::vector<std::pair<std::string, std::string>> metadata;
  int concurrency = 1;
  absl::Duration duration = absl::Seconds(5);
  int64_t min_calls = 10;
  absl::Duration max_duration = absl::Seconds(60);
  absl::Duration call_deadline = absl::Seconds(120);
};

struct LoadResult {
  int64_t calls = 0;  // answered OK
  int64_t errors = 0;
  std::string first_error;
  double seconds = 0;
  double qps = 0;
  // Latency of the OK calls, in milliseconds.
  double p50_ms = 0, p99_ms = 0, p999_ms = 0;
};

// Runs the closed loops over the callback API of a generic stub: requests and responses stay
// bytes, so the client does the same work whatever the server and the method are.
LoadResult RunLoad(const std::shared_ptr<grpc::Channel>& channel, const LoadSpec& spec);

// One call, for capturing a real response (and checking that the method works at all).
grpc::Status CallOnce(const std::shared_ptr<grpc::Channel>& channel, const LoadSpec& spec,
                      grpc::ByteBuffer* response);

}  // namespace imp::bench

#endif  // IMP_TOOLS_BENCH_LOAD_H_
