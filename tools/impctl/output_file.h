#ifndef IMP_TOOLS_IMPCTL_OUTPUT_FILE_H_
#define IMP_TOOLS_IMPCTL_OUTPUT_FILE_H_

#include <fstream>
#include <ostream>
#include <string>

namespace imp::impctl {

// Where a streamed export goes: standard output, or a file that appears only once the export is
// complete. Writing goes to "<path>.partial", which Commit() renames to `path`; an export that
// fails half way removes it, so a file under the requested name is always a whole export (on
// standard output a failure shows in the exit code and on stderr only).
class OutputFile {
 public:
  // `path` empty: standard output.
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // False (with a message on stderr) when the file cannot be created.
  bool Open();
  std::ostream& stream();
  // Flushes and, for a file, renames it into place. False (with a message) when writing failed.
  bool Commit();
  // "standard output" or the path, for messages.
  std::string Describe() const;

 private:
  const std::string path_;
  std::ofstream file_;
  bool committed_ = false;
};

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_OUTPUT_FILE_H_
