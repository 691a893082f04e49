#ifndef IMP_TESTS_GALERA_RESTART_MONITOR_H_
#define IMP_TESTS_GALERA_RESTART_MONITOR_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

// Watches processes from outside while something (deploy/galera/rolling-restart.sh) restarts
// them: every `interval` it reads each one's pid file and asks its port for grpc.health.v1 status,
// and from those samples tells, per process, when it stopped SERVING, whether it answered
// NOT_SERVING before it went (drained rather than killed), its new pid and when that was SERVING.
namespace imp::testing::galera {

struct Watched {
  std::string name;
  std::string pid_file;
  // A new channel to the process's port: a channel whose connection was refused retries only
  // seconds later, so a process not SERVING at the last sample is asked on a new one.
  std::function<std::shared_ptr<grpc::Channel>()> channel;
};

struct Restart {
  std::string name;
  pid_t old_pid = -1;
  pid_t new_pid = -1;                        // the pid file's last value
  absl::Time down = absl::InfiniteFuture();  // first sample not SERVING after its last SERVING one
  absl::Time back = absl::InfiniteFuture();  // first sample SERVING with the new pid
  bool answered_not_serving = false;         // the old process said NOT_SERVING before it went
};

class RestartMonitor {
 public:
  RestartMonitor(std::vector<Watched> watched, absl::Duration interval);
  ~RestartMonitor();  // stops
  void Start();
  void Stop();

  // After Stop: one per watched process, in the order they went down (never-down ones last).
  std::vector<Restart> Restarts() const;
  // After Stop: the most processes not SERVING in one round of samples.
  int MostDownAtOnce() const;
  // After Stop: the rounds in which every one of `names` was not SERVING (e.g. both replicas of
  // a service: an outage of it), each described ("12:00:01.2 registry1=UNAVAILABLE ...").
  std::vector<std::string> RoundsAllDown(const std::vector<std::string>& names) const;
  int rounds() const;

 private:
  struct Sample {
    absl::Time at;
    pid_t pid;
    std::string health;  // fault::HealthProbe's word: SERVING, NOT_SERVING, UNAVAILABLE...
  };
  void Run();

  const std::vector<Watched> watched_;
  const absl::Duration interval_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<std::vector<Sample>> samples_ ABSL_GUARDED_BY(mu_);  // per watched, per round
};

}  // namespace imp::testing::galera

#endif  // IMP_TESTS_GALERA_RESTART_MONITOR_H_
