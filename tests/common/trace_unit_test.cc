// W3C Trace Context traceparent handling (common/server/trace.h): what is a valid traceparent,
// new traces and children of one, and the RequestInfo a failed call's error details carry.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/server/trace.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace imp {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";

TEST(Traceparent, TheSpecificationsExampleParsesIntoItsFields) {
  auto trace = ParseTraceparent(kValid);
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->trace_id, kTraceId);
  EXPECT_EQ(trace->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(trace->flags, 0x01);
  EXPECT_TRUE(trace->sampled());
  EXPECT_EQ(trace->ToTraceparent(), kValid);
  EXPECT_EQ(TraceIdOf(kValid), kTraceId);
}

TEST(Traceparent, OnlyTheLowestFlagBitMeansSampled) {
  EXPECT_FALSE(
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")->sampled());
  EXPECT_FALSE(
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02")->sampled());
  EXPECT_TRUE(
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff")->sampled());
}

TEST(Traceparent, MalformedValuesAreInvalid) {
  for (const std::string bad : {
           "",
           "00",
           // all-zero ids
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
           // uppercase hex
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
           // not hex
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
           // wrong lengths or separators
           "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
           // version 00 is exactly 55 characters
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
           // version ff is forbidden, versions are lowercase hex
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           // a later version may continue, but only after a '-'
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << "'" << bad << "'";
    EXPECT_EQ(TraceIdOf(bad), "") << "'" << bad << "'";
  }
}

TEST(Traceparent, ALaterVersionIsReadForTheFieldsItShares) {
  auto trace =
      ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-next");
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->trace_id, kTraceId);
  // Passed on as the version this code knows.
  EXPECT_EQ(trace->ToTraceparent(), kValid);
  EXPECT_TRUE(ParseTraceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(Traceparent, NewTracesAreValidDistinctAndSampledAsAsked) {
  const TraceContext a = NewTrace(true);
  const TraceContext b = NewTrace(false);
  ASSERT_TRUE(ParseTraceparent(a.ToTraceparent()).has_value()) << a.ToTraceparent();
  ASSERT_TRUE(ParseTraceparent(b.ToTraceparent()).has_value()) << b.ToTraceparent();
  EXPECT_EQ(a.ToTraceparent().size(), 55u);
  EXPECT_TRUE(a.sampled());
  EXPECT_FALSE(b.sampled());
  EXPECT_NE(a.trace_id, b.trace_id);
  EXPECT_NE(a.parent_id, b.parent_id);
}

TEST(Traceparent, AChildKeepsTheTraceIdAndFlagsWithANewParentId) {
  const TraceContext parent = *ParseTraceparent(kValid);
  const TraceContext child = ChildOf(parent);
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.flags, parent.flags);
  EXPECT_NE(child.parent_id, parent.parent_id);
  EXPECT_TRUE(ParseTraceparent(child.ToTraceparent()).has_value());
}

TEST(Traceparent, TheCurrentTraceparentIsScopedToTheWorkForOneCall) {
  EXPECT_EQ(CurrentTraceparent(), "");
  {
    const ScopedTraceparent outer(kValid);
    EXPECT_EQ(CurrentTraceparent(), kValid);
    {
      const ScopedTraceparent inner("");
      EXPECT_EQ(CurrentTraceparent(), "");
    }
    EXPECT_EQ(CurrentTraceparent(), kValid);
  }
  EXPECT_EQ(CurrentTraceparent(), "");
}

google::rpc::Status Decode(const grpc::Status& status) {
  google::rpc::Status proto;
  EXPECT_TRUE(proto.ParseFromString(status.error_details()));
  return proto;
}

std::string RequestIdIn(const google::rpc::Status& proto) {
  for (const auto& any : proto.details()) {
    google::rpc::RequestInfo info;
    if (any.UnpackTo(&info)) return info.request_id();
  }
  return "";
}

TEST(RequestInfoDetail, AFailedStatusKeepsItsDetailsAndGainsTheTraceId) {
  const grpc::Status before = ToGrpcStatus(absl::NotFoundError("institutions/x: not found"));
  auto after = WithRequestInfo(before, kTraceId);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->error_code(), before.error_code());
  EXPECT_EQ(after->error_message(), before.error_message());
  const google::rpc::Status was = Decode(before), now = Decode(*after);
  ASSERT_EQ(now.details_size(), was.details_size() + 1);
  for (int i = 0; i < was.details_size(); ++i) {
    EXPECT_EQ(now.details(i).SerializeAsString(), was.details(i).SerializeAsString());
  }
  EXPECT_EQ(RequestIdIn(now), kTraceId);
  // The caller's decoder sees it next to the others.
  EXPECT_TRUE(
      FromGrpcStatus(*after).GetPayload("type.googleapis.com/google.rpc.RequestInfo").has_value());
}

TEST(RequestInfoDetail, AStatusWithoutDetailsGetsAGoogleRpcStatusOfItsOwn) {
  auto after =
      WithRequestInfo(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "queued"), kTraceId);
  ASSERT_TRUE(after.has_value());
  const google::rpc::Status proto = Decode(*after);
  EXPECT_EQ(proto.code(), static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
  EXPECT_EQ(proto.message(), "queued");
  EXPECT_EQ(RequestIdIn(proto), kTraceId);
}

TEST(RequestInfoDetail, OkForwardedUndecodableAndOverBudgetStatusesAreLeftAsTheyAre) {
  EXPECT_FALSE(WithRequestInfo(grpc::Status::OK, kTraceId).has_value());
  EXPECT_FALSE(WithRequestInfo(grpc::Status(grpc::StatusCode::INTERNAL, "x", "\xff\xff"), kTraceId)
                   .has_value());
  // A backend's, passed on by the gateway: the same trace, said once.
  auto once = WithRequestInfo(grpc::Status(grpc::StatusCode::INTERNAL, "x"), kTraceId);
  ASSERT_TRUE(once.has_value());
  EXPECT_FALSE(WithRequestInfo(*once, "0123456789abcdef0123456789abcdef").has_value());
  // A message that leaves no room in the trailers (common/status.h): details stay as they were.
  const std::string long_message(kMaxErrorTrailerBytes - 40, 'x');
  const grpc::Status full = ToGrpcStatus(absl::InvalidArgumentError(long_message));
  EXPECT_FALSE(WithRequestInfo(full, kTraceId).has_value());
  // Just within the budget it is still added.
  const std::string shorter(kMaxErrorTrailerBytes - kMaxErrorDetailsBytes - 200, 'y');
  EXPECT_TRUE(
      WithRequestInfo(ToGrpcStatus(absl::InvalidArgumentError(shorter)), kTraceId).has_value());
}

}  // namespace
}  // namespace imp
