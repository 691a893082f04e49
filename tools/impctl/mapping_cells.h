#ifndef IMP_TOOLS_IMPCTL_MAPPING_CELLS_H_
#define IMP_TOOLS_IMPCTL_MAPPING_CELLS_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/type/date.pb.h"

// The cell formats every CSV mapping shares (mapping.h describes them): lists split on '|',
// enum values without their prefix, dates YYYY-MM-DD, bare ids. Errors read "<column>: <reason>".
namespace imp::impctl::cells {

// "a | b|c" -> {"a", "b", "c"}; a blank cell -> {}.
std::vector<std::string> SplitList(const std::string& cell);
// INVALID_ARGUMENT "<column>: <reason>".
absl::Status Bad(absl::string_view column, absl::string_view reason);
// "HOSPITAL" (or "KIND_HOSPITAL", any case) -> the value of `prefix`HOSPITAL; blank -> 0.
absl::StatusOr<int> EnumFromCell(const google::protobuf::EnumDescriptor* descriptor,
                                 absl::string_view prefix, const std::string& cell,
                                 absl::string_view column);
std::string EnumToCell(const google::protobuf::EnumDescriptor* descriptor, absl::string_view prefix,
                       int number);
// YYYY-MM-DD through the services' own parser; blank leaves `out` unset.
absl::Status DateFromCell(const std::string& cell, absl::string_view column,
                          google::type::Date* out);
std::string DateToCell(const google::type::Date& d);
absl::StatusOr<int> IntFromCell(const std::string& cell, absl::string_view column);
std::string IntToCell(int n);
// An error unless there are as many cells as columns.
absl::Status CheckWidth(const std::vector<std::string>& fields,
                        const std::vector<std::string>& columns);
// ("institutions", "lviv") -> "institutions/lviv"; "" stays "".
std::string Name(absl::string_view collection, const std::string& id);

}  // namespace imp::impctl::cells

#endif  // IMP_TOOLS_IMPCTL_MAPPING_CELLS_H_
