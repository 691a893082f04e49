#ifndef IMP_TESTS_SUPPORT_LOG_CAPTURE_H_
#define IMP_TESTS_SUPPORT_LOG_CAPTURE_H_

#include <string>
#include <vector>

namespace imp::testing {

// Everything this process writes to stderr (the structured log of every server the test runs
// in-process) while it lives, with every line down to debug level (the request log writes a
// fast successful call's line at debug) whatever IMP_LOG_LEVEL says.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture() { Stop(); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Restores stderr and returns what was written.
  std::string Stop();
  // What was written so far, while capturing goes on (for a test waiting on a log line).
  std::string Contents() const;

 private:
  const std::string path_;
  int saved_ = -1;
};

// The request log lines ("event=rpc") of one method, e.g.
// "/imp.registry.v1.RegistryService/CreateInstitution".
std::vector<std::string> RpcLines(const std::string& log, const std::string& method);

}  // namespace imp::testing

#endif  // IMP_TESTS_SUPPORT_LOG_CAPTURE_H_
