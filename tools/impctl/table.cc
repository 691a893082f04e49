#include "tools/impctl/table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/api/text.h"

namespace imp::impctl {
namespace {

// A cell as a terminal should show it: on one line (tabs and line breaks would break the
// columns) and with every other control character, and every byte that is not UTF-8, written as
// \xNN or \uNNNN, so stored text cannot move the cursor, recolour or retitle the terminal (ESC
// sequences), or reorder what is shown (bidi overrides).
std::string Visible(absl::string_view cell) {
  std::string out;
  out.reserve(cell.size());
  for (size_t i = 0; i < cell.size();) {
    const size_t n = api::Utf8SequenceLength(cell, i);
    if (n == 0) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02X", static_cast<unsigned char>(cell[i])));
      ++i;
      continue;
    }
    const absl::string_view sequence = cell.substr(i, n);
    i += n;
    if (!api::IsControlSequence(sequence)) {
      out.append(sequence.data(), sequence.size());
    } else if (sequence == "\n" || sequence == "\r" || sequence == "\t") {
      out += ' ';
    } else {
      const uint32_t cp = api::CodePointOf(sequence);
      absl::StrAppend(&out, cp < 0x80 ? absl::StrFormat("\\x%02X", cp)
                                      : absl::StrFormat("\\u%04X", cp));
    }
  }
  return out;
}

// A cell as shown: visible (above) and at most `max_width` characters.
std::string Shown(absl::string_view cell, int max_width) {
  std::string one_line = Visible(cell);
  if (Utf8Width(one_line) <= max_width) return one_line;
  return absl::StrCat(Utf8Prefix(one_line, std::max(1, max_width - 3)), "...");
}

}  // namespace

int Utf8Width(absl::string_view text) {
  // Continuation bytes are 10xxxxxx; every other byte starts a character.
  return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string Utf8Prefix(absl::string_view text, int width) {
  int seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (seen == width) return std::string(text.substr(0, i));
    ++seen;
  }
  return std::string(text);
}

Table::Table(std::vector<std::string> header, std::vector<bool> right_aligned)
    : header_(std::move(header)), right_aligned_(std::move(right_aligned)) {
  right_aligned_.resize(header_.size(), false);
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render(absl::string_view indent, int max_cell_width) const {
  const bool has_header =
      std::any_of(header_.begin(), header_.end(), [](const std::string& h) { return !h.empty(); });
  std::vector<std::vector<std::string>> shown;
  if (has_header) shown.push_back(header_);
  for (const auto& row : rows_) {
    std::vector<std::string> cells;
    for (const auto& cell : row) cells.push_back(Shown(cell, max_cell_width));
    shown.push_back(std::move(cells));
  }
  std::vector<int> widths(header_.size(), 0);
  for (const auto& row : shown) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Utf8Width(row[i]));
  }
  std::string out;
  auto render_row = [&](const std::vector<std::string>& row) {
    std::string line(indent);
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - Utf8Width(row[i]), ' ');
      if (i > 0) line += "  ";
      absl::StrAppend(&line, right_aligned_[i] ? pad : "", row[i], right_aligned_[i] ? "" : pad);
    }
    // Trailing blanks of a left-aligned last column are noise in a terminal and in diffs.
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
  };
  for (size_t r = 0; r < shown.size(); ++r) {
    render_row(shown[r]);
    if (r == 0 && has_header) {
      std::vector<std::string> rule;
      for (int w : widths) rule.emplace_back(w, '-');
      render_row(rule);
    }
  }
  return out;
}

}  // namespace imp::impctl
