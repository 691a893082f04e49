#ifndef IMP_TOOLS_IMPCTL_TABLE_H_
#define IMP_TOOLS_IMPCTL_TABLE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace imp::impctl {

// A text table for people: columns padded to their widest cell, numbers right-aligned. Widths
// count UTF-8 characters, not bytes, so Cyrillic names line up like Latin ones.
class Table {
 public:
  // `right_aligned[i]` right-aligns column i (for figures); missing entries mean left.
  explicit Table(std::vector<std::string> header, std::vector<bool> right_aligned = {});

  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  // Every line starts with `indent`. Cells show tabs and line breaks as spaces and every other
  // control character (and byte that is not UTF-8) as \xNN or \uNNNN; cells longer than
  // `max_cell_width` characters are cut and end in "...". The header is underlined when it is
  // not empty.
  std::string Render(absl::string_view indent = "", int max_cell_width = 48) const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> right_aligned_;
  std::vector<std::vector<std::string>> rows_;
};

// The number of characters (code points) in UTF-8 text.
int Utf8Width(absl::string_view text);
// The first `width` characters of UTF-8 text, never cutting a multi-byte character.
std::string Utf8Prefix(absl::string_view text, int width);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_TABLE_H_
