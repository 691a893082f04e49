#ifndef IMP_TOOLS_IMPCTL_FLAGS_H_
#define IMP_TOOLS_IMPCTL_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, target);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, token_file);
ABSL_DECLARE_FLAG(std::string, ca_cert);
ABSL_DECLARE_FLAG(std::string, client_cert);
ABSL_DECLARE_FLAG(std::string, client_key);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, filter);
ABSL_DECLARE_FLAG(std::string, order_by);
ABSL_DECLARE_FLAG(int, page_size);
ABSL_DECLARE_FLAG(bool, show_deleted);
ABSL_DECLARE_FLAG(std::string, etag);
ABSL_DECLARE_FLAG(std::string, update_mask);
ABSL_DECLARE_FLAG(std::string, request_id);
ABSL_DECLARE_FLAG(std::string, mode);
ABSL_DECLARE_FLAG(bool, validate_only);
ABSL_DECLARE_FLAG(bool, strict);
ABSL_DECLARE_FLAG(std::string, errors_csv);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(std::string, from);
ABSL_DECLARE_FLAG(std::string, to);
ABSL_DECLARE_FLAG(std::string, country);
ABSL_DECLARE_FLAG(std::string, oblast);
ABSL_DECLARE_FLAG(std::string, area);
ABSL_DECLARE_FLAG(std::string, institution);
ABSL_DECLARE_FLAG(bool, include_inactive);
ABSL_DECLARE_FLAG(bool, allow_partial);
ABSL_DECLARE_FLAG(std::string, service);
ABSL_DECLARE_FLAG(int, wait_seconds);
ABSL_DECLARE_FLAG(int, max_mismatches);
ABSL_DECLARE_FLAG(std::string, traceparent);

#endif  // IMP_TOOLS_IMPCTL_FLAGS_H_
