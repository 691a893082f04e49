#ifndef IMP_TOOLS_IMPCTL_CSV_H_
#define IMP_TOOLS_IMPCTL_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace imp::impctl {

// One data record of a CSV file, with the line it starts on (for error reports).
struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRecord> records;
};

// RFC 4180: comma-separated, fields containing commas, quotes or line breaks are quoted, a
// quote inside is doubled; CRLF or LF line ends; UTF-8 passes through (a leading byte-order mark
// is skipped); blank lines are skipped. The first record is the header; every other record must
// have as many fields. INVALID_ARGUMENT names the line of a malformed record.
absl::StatusOr<CsvTable> ParseCsv(absl::string_view text);

// One record, quoted where needed, ending in "\n".
std::string FormatCsvRecord(const std::vector<std::string>& fields);

// OWASP's CSV injection defence for a cell a spreadsheet will open: text that a spreadsheet
// would run as a formula (starting with = + - @, a tab or a carriage return; a number such as
// -12.5 is not one) gets an apostrophe in front, which spreadsheets show as text. A value that
// already starts with apostrophes in front of such text gets one more, so SpreadsheetPlain gives
// back exactly what SpreadsheetSafe was given.
std::string SpreadsheetSafe(absl::string_view cell);
std::vector<std::string> SpreadsheetSafe(std::vector<std::string> cells);
// The inverse, for a cell read from a file: one leading apostrophe removed where SpreadsheetSafe
// would have put it ("'=SUM(A1)" -> "=SUM(A1)"; "'s-Hertogenbosch" stays as it is).
std::string SpreadsheetPlain(absl::string_view cell);
std::vector<std::string> SpreadsheetPlain(std::vector<std::string> cells);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_CSV_H_
