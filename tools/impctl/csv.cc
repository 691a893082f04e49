#include "tools/impctl/csv.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api/text.h"

namespace imp::impctl {
namespace {

constexpr absl::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool IsUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = api::Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

absl::StatusOr<CsvTable> ParseCsv(absl::string_view text) {
  // Spreadsheet programs save "CSV UTF-8" with a byte-order mark; it is not part of the header.
  absl::ConsumePrefix(&text, kByteOrderMark);
  CsvTable table;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1, record_line = 1;
  auto end_record = [&]() -> absl::Status {
    fields.push_back(std::move(field));
    field.clear();
    const bool blank = fields.size() == 1 && fields[0].empty() && !field_started;
    // Every cell becomes a proto3 string, which must be UTF-8: a file in another encoding is
    // refused here, at its first line, rather than row by row by gRPC without a line.
    for (size_t i = 0; i < fields.size() && !blank; ++i) {
      if (IsUtf8(fields[i])) continue;
      const bool named = !table.header.empty() && i < table.header.size() &&
                         IsUtf8(table.header[i]) && !table.header[i].empty();
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", record_line, ": ",
          named ? std::string(api::Utf8Prefix(table.header[i], 64))
                : absl::StrCat("column ", i + 1),
          ": is not UTF-8; save the file as UTF-8 (\"CSV UTF-8\" in spreadsheet programs)"));
    }
    if (!blank) {
      if (table.header.empty()) {
        table.header = std::move(fields);
      } else if (fields.size() != table.header.size()) {
        return absl::InvalidArgumentError(absl::StrCat("line ", record_line, ": ", fields.size(),
                                                       " fields, the header has ",
                                                       table.header.size()));
      } else {
        table.records.push_back({record_line, std::move(fields)});
      }
    }
    fields.clear();
    field_started = false;
    record_line = line;
    return absl::OkStatus();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", line, ": a quote inside an unquoted field"));
        }
        quoted = true;
        field_started = true;
        break;
      case ',':
        fields.push_back(std::move(field));
        field.clear();
        field_started = true;
        break;
      case '\r': break;
      case '\n': {
        ++line;
        absl::Status s = end_record();
        if (!s.ok()) return s;
        break;
      }
      default: field.push_back(c); field_started = true;
    }
  }
  if (quoted)
    return absl::InvalidArgumentError(
        absl::StrCat("line ", record_line, ": unterminated quoted field"));
  if (!field.empty() || !fields.empty() || field_started) {
    absl::Status s = end_record();
    if (!s.ok()) return s;
  }
  if (table.header.empty())
    return absl::InvalidArgumentError("the file is empty: a header line is required");
  return table;
}

std::string FormatCsvRecord(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    const std::string& f = fields[i];
    // A record of one empty cell is quoted (bare, it is a blank line, which readers skip), and so
    // is a cell starting with U+FEFF (bare, at the start of a file it reads as a byte-order mark).
    const bool quote = f.find_first_of(",\"\r\n") != std::string::npos ||
                       (fields.size() == 1 && f.empty()) || absl::StartsWith(f, kByteOrderMark);
    if (!quote) {
      out += f;
      continue;
    }
    out.push_back('"');
    for (char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('\n');
  return out;
}

namespace {

// A number as a spreadsheet reads one: optional sign, digits, optional fraction.
bool IsPlainNumber(absl::string_view cell) {
  if (!cell.empty() && (cell[0] == '-' || cell[0] == '+')) cell.remove_prefix(1);
  const size_t dot = cell.find('.');
  const absl::string_view whole = cell.substr(0, dot);
  const absl::string_view fraction = dot == absl::string_view::npos ? "" : cell.substr(dot + 1);
  const auto digits = [](absl::string_view d) {
    return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(whole) && (dot == absl::string_view::npos || digits(fraction));
}

// Whether SpreadsheetSafe puts an apostrophe in front of `cell`.
bool NeedsApostrophe(absl::string_view cell) {
  while (!cell.empty() && cell[0] == '\'') cell.remove_prefix(1);
  if (cell.empty() || absl::string_view("=+-@\t\r").find(cell[0]) == absl::string_view::npos) {
    return false;
  }
  return !IsPlainNumber(cell);
}

}  // namespace

std::string SpreadsheetSafe(absl::string_view cell) {
  return NeedsApostrophe(cell) ? absl::StrCat("'", cell) : std::string(cell);
}

std::vector<std::string> SpreadsheetSafe(std::vector<std::string> cells) {
  for (auto& c : cells) c = SpreadsheetSafe(c);
  return cells;
}

std::string SpreadsheetPlain(absl::string_view cell) {
  if (!cell.empty() && cell[0] == '\'' && NeedsApostrophe(cell.substr(1))) cell.remove_prefix(1);
  return std::string(cell);
}

std::vector<std::string> SpreadsheetPlain(std::vector<std::string> cells) {
  for (auto& c : cells) c = SpreadsheetPlain(c);
  return cells;
}

}  // namespace imp::impctl
