#include "common/api/page_budget.h"

#include <google/protobuf/io/coded_stream.h>

namespace imp::api {
namespace {

// Room kept for the rest of a response: next_page_token (a few KiB at most) and the other
// singular fields.
constexpr size_t kReservedBytes = 16 << 10;

}  // namespace

PageBudget::PageBudget(size_t max_bytes)
    : remaining_(max_bytes > kReservedBytes ? max_bytes - kReservedBytes : 0) {}

bool PageBudget::Fits(const google::protobuf::Message& item) {
  const size_t size = item.ByteSizeLong();
  // An element of a repeated message field: its tag (one byte for field numbers below 16; two
  // allow for any), its length as a varint, then the message.
  const size_t cost = 2 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
  if (cost > remaining_ && !empty_) return false;
  remaining_ = cost > remaining_ ? 0 : remaining_ - cost;
  empty_ = false;
  return true;
}

}  // namespace imp::api
