#ifndef IMP_COMMON_API_PAGE_BUDGET_H_
#define IMP_COMMON_API_PAGE_BUDGET_H_

#include <google/protobuf/message.h>

#include <cstddef>

// List pages bounded in bytes as well as in rows. AIP-158 lets a page hold fewer results than
// page_size (a client pages on while next_page_token is set), so a page stops before its
// serialized size passes a budget that every client accepts.
namespace imp::api {

// A List response stays below this many serialized bytes: under gRPC's default 4 MiB receive
// limit, which is what a client that sets nothing accepts, with room left for a gateway answer
// that wraps a page together with other data.
inline constexpr size_t kMaxPageBytes = size_t{3} << 20;

// Counts the serialized size of the items of a response page.
class PageBudget {
 public:
  explicit PageBudget(size_t max_bytes = kMaxPageBytes);

  // Counts `item` as one more element of a repeated field of the response and returns true, or
  // returns false, counting nothing, when it would take the response past the budget. The first
  // item always fits: the field limits keep any one resource far below the budget.
  bool Fits(const google::protobuf::Message& item);

 private:
  size_t remaining_;
  bool empty_ = true;
};

}  // namespace imp::api

#endif  // IMP_COMMON_API_PAGE_BUDGET_H_
