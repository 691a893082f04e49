#include "tools/bench/load.h"

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace imp::bench {

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool Parse(const grpc::ByteBuffer& bytes, google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) return false;
  std::string joined;
  for (const auto& s : slices) joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return message->ParseFromString(joined);
}

RequestSource Constant(const google::protobuf::Message& message) {
  auto bytes = std::make_shared<const grpc::ByteBuffer>(Serialize(message));
  return [bytes](uint64_t) { return *bytes; };
}

RequestSource RoundRobin(const std::vector<const google::protobuf::Message*>& messages) {
  auto all = std::make_shared<std::vector<grpc::ByteBuffer>>();
  for (const auto* m : messages) all->push_back(Serialize(*m));
  return [all](uint64_t seq) { return (*all)[seq % all->size()]; };
}

namespace {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<size_t>(p * static_cast<double>(sorted.size()));
  return sorted[std::min(sorted.size() - 1, i)];
}

// `concurrency` independent chains of calls. Each chain's state is touched only by the callback
// of its own call in flight (one at a time), so the chains need no lock; the shared counters
// are atomics, and the Notification publishes every chain's samples to Run().
class ClosedLoops {
 public:
  ClosedLoops(const std::shared_ptr<grpc::Channel>& channel, const LoadSpec& spec)
      : stub_(channel), spec_(spec), chains_(static_cast<size_t>(std::max(1, spec.concurrency))) {}

  LoadResult Run() {
    start_ = absl::Now();
    end_ = start_ + spec_.duration;
    hard_end_ = start_ + std::max(spec_.duration, spec_.max_duration);
    active_ = static_cast<int>(chains_.size());
    for (auto& chain : chains_) Issue(chain);
    done_.WaitForNotification();
    LoadResult result;
    result.seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    std::vector<double> all;
    for (auto& chain : chains_) {
      all.insert(all.end(), chain.ms.begin(), chain.ms.end());
      result.errors += chain.errors;
      if (result.first_error.empty()) result.first_error = chain.first_error;
    }
    std::sort(all.begin(), all.end());
    result.calls = static_cast<int64_t>(all.size());
    result.qps = result.seconds > 0 ? static_cast<double>(result.calls) / result.seconds : 0;
    result.p50_ms = Percentile(all, 0.5);
    result.p99_ms = Percentile(all, 0.99);
    result.p999_ms = Percentile(all, 0.999);
    return result;
  }

 private:
  struct Chain {
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::ByteBuffer request, response;
    absl::Time sent;
    std::vector<double> ms;
    int64_t errors = 0;
    std::string first_error;
  };

  bool KeepGoing(absl::Time now) const {
    if (now >= hard_end_) return false;
    return now < end_ || calls_.load(std::memory_order_relaxed) < spec_.min_calls;
  }

  void Issue(Chain& chain) {
    const absl::Time now = absl::Now();
    if (!KeepGoing(now)) {
      if (active_.fetch_sub(1) == 1) done_.Notify();
      return;
    }
    chain.ctx = std::make_unique<grpc::ClientContext>();
    for (const auto& [key, value] : spec_.metadata) chain.ctx->AddMetadata(key, value);
    chain.ctx->set_deadline(absl::ToChronoTime(now + spec_.call_deadline));
    chain.request = spec_.requests(seq_.fetch_add(1, std::memory_order_relaxed));
    chain.response.Clear();
    chain.sent = now;
    stub_.UnaryCall(chain.ctx.get(), spec_.method, grpc::StubOptions(), &chain.request,
                    &chain.response, [this, &chain](grpc::Status status) { Done(chain, status); });
  }

  void Done(Chain& chain, const grpc::Status& status) {
    const absl::Time now = absl::Now();
    calls_.fetch_add(1, std::memory_order_relaxed);
    std::string rejected;
    if (status.ok() && spec_.check) rejected = spec_.check(chain.response);
    if (status.ok() && rejected.empty()) {
      chain.ms.push_back(absl::ToDoubleMilliseconds(now - chain.sent));
    } else {
      ++chain.errors;
      if (chain.first_error.empty()) {
        chain.first_error =
            status.ok() ? rejected
                        : std::to_string(status.error_code()) + " " + status.error_message();
      }
    }
    Issue(chain);
  }

  grpc::GenericStub stub_;
  const LoadSpec& spec_;
  std::vector<Chain> chains_;
  absl::Time start_, end_, hard_end_;
  std::atomic<int> active_{0};
  std::atomic<int64_t> calls_{0};
  std::atomic<uint64_t> seq_{0};
  absl::Notification done_;
};

}  // namespace

LoadResult RunLoad(const std::shared_ptr<grpc::Channel>& channel, const LoadSpec& spec) {
  ClosedLoops loops(channel, spec);
  return loops.Run();
}

grpc::Status CallOnce(const std::shared_ptr<grpc::Channel>& channel, const LoadSpec& spec,
                      grpc::ByteBuffer* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  for (const auto& [key, value] : spec.metadata) ctx.AddMetadata(key, value);
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + spec.call_deadline));
  const grpc::ByteBuffer request = spec.requests(0);
  absl::Notification done;
  grpc::Status result;
  stub.UnaryCall(&ctx, spec.method, grpc::StubOptions(), &request, response,
                 [&](grpc::Status status) {
                   result = std::move(status);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (result.ok() && spec.check) {
    const std::string rejected = spec.check(*response);
    if (!rejected.empty()) return grpc::Status(grpc::StatusCode::UNKNOWN, rejected);
  }
  return result;
}

}  // namespace imp::bench
