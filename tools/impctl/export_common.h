#ifndef IMP_TOOLS_IMPCTL_EXPORT_COMMON_H_
#define IMP_TOOLS_IMPCTL_EXPORT_COMMON_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/type/date.pb.h"
#include "tools/impctl/client.h"

// What the publishing exports (export iati, export hxl) share.
namespace imp::impctl {

// Read once per export: small and bounded whatever the data.
struct ExportContext {
  google::type::Date today;                        // UTC, as the gateway's summary takes it
  std::map<std::string, std::string> area_labels;  // cooperation-area code -> label
};
grpc::Status LoadExportContext(Client& client, ExportContext* ctx);

// Results per List call: --page_size, else 100.
int ExportPageSize();

// The institutions `names` name (repeats allowed), by name, fetched with BatchGetInstitutions in
// chunks of 1,000 (its limit). Deleted institutions come back too, with delete_time set. These
// reads, and the exports' others, go through RetryRead (paging.h).
grpc::Status GetInstitutions(Client& client, const std::vector<std::string>& names,
                             absl::flat_hash_map<std::string, registry::v1::Institution>* out);

// OK while `out` takes what is written; once it failed (a full disk, a closed pipe), an error
// that stops the export at once rather than after reading everything. The export then lets
// OutputFile::Commit report the failure.
grpc::Status WriteStatus(const std::ostream& out);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_EXPORT_COMMON_H_
