// Import streams cannot take the activity service down (issue #18, finding 2): a stream waiting
// for its client holds no worker, streams are capped per caller and per process, and a stream
// kept alive by empty messages, dripping rows or open too long is ended with nothing applied.
// Real registry and activity servers on loopback (the activity server with two workers, as on
// the two-core machine of the finding), real MariaDB. Run alone (SERIAL): it compares latencies
// under load with latencies unloaded.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/activity/activity_fixture.h"
#include "tests/support/flood.h"

namespace imp::activity {
namespace {

class ImportStreamsTest : public ActivityTest {
 protected:
  // An activity server of its own, with `limits` and two workers, on its own database.
  void StartStreamsServer(ImportLimits limits, ConnectionLimits connections = {}) {
    streams_db_ = testing::TestDatabase::Create();
    ServiceHostOptions host;
    host.name = "activity-streams";
    host.worker_threads = 2;
    host.connections = connections;
    server_ = std::make_unique<ActivityServer>(
        host, streams_db_->pool_options(), absl::StrCat("127.0.0.1:", registry_->port()), limits);
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::ActivityService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials()));
    ASSERT_TRUE(WaitFor([&] {
      v1::ListActivitiesResponse list;
      return stub_->ListActivities(Ctx().get(), {}, &list).ok();
    })) << "the server never became ready";
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    ActivityTest::TearDown();
  }

  static v1::ImportActivitiesRequest RowsMessage(int from, int count) {
    v1::ImportActivitiesRequest msg;
    for (int i = from; i < from + count; ++i) {
      auto* row = msg.add_rows();
      row->set_row_number(i + 2);
      *row->mutable_activity() = Training(1 + i % 7, 1, D(2024, 5, 1 + i % 28));
    }
    return msg;
  }

  std::string Stored() { return streams_db_->QueryString("SELECT COUNT(*) FROM activities"); }

  // An open stream, as a client holds it.
  struct OpenStream {
    std::unique_ptr<grpc::ClientContext> ctx;
    v1::ImportActivitiesResponse answer;
    std::unique_ptr<grpc::ClientWriter<v1::ImportActivitiesRequest>> writer;
  };
  std::unique_ptr<OpenStream> Open(const std::string& actor,
                                   const v1::ImportActivitiesRequest& first) {
    auto stream = std::make_unique<OpenStream>();
    stream->ctx = Ctx(actor);
    stream->ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    stream->writer = stub_->ImportActivities(stream->ctx.get(), &stream->answer);
    stream->writer->Write(first);
    return stream;
  }

  // Sends `next(i)` for i = 1, 2, ... every `pace` (the attack's pace, not a synchronisation)
  // until the server ends the stream or 10 s pass; the server's answer, and checks that the
  // stream was ended within `within` of its opening and that nothing of it is stored.
  grpc::Status DripUntilEnded(OpenStream& stream, absl::Time opened,
                              const std::function<v1::ImportActivitiesRequest(int)>& next,
                              absl::Duration pace, absl::Duration within) {
    for (int i = 1; absl::Now() - opened < absl::Seconds(10); ++i) {
      if (!stream.writer->Write(next(i))) break;
      absl::SleepFor(pace);
    }
    grpc::Status s = stream.writer->Finish();
    EXPECT_LT(absl::Now() - opened, within);
    EXPECT_TRUE(WaitFor([&] { return server_->open_imports() == 0; }));
    EXPECT_EQ(Stored(), "0");
    return s;
  }

  std::unique_ptr<testing::TestDatabase> streams_db_;
  std::unique_ptr<ActivityServer> server_;
  std::unique_ptr<v1::ActivityService::Stub> stub_;
};

absl::Duration P99(std::vector<absl::Duration> took) {
  std::sort(took.begin(), took.end());
  return took[took.size() * 99 / 100];
}

// The bound of the issue: an admin's calls keep p99 under 5x their unloaded p99, with a floor of
// 2 ms under the unloaded p99 (scheduler noise on a sub-millisecond p99 is not a regression).
absl::Duration Bound(absl::Duration unloaded_p99) {
  return 5 * std::max(unloaded_p99, absl::Milliseconds(2));
}

// `n` admin ListActivities on `stub`, their latencies; every failure is counted in `failed`.
std::vector<absl::Duration> AdminCalls(v1::ActivityService::Stub& stub, int n, int* failed) {
  std::vector<absl::Duration> took;
  for (int i = 0; i < n; ++i) {
    const absl::Time start = absl::Now();
    v1::ListActivitiesResponse list;
    v1::ListActivitiesRequest req;
    req.set_page_size(10);
    grpc::Status s = stub.ListActivities(Ctx("admin").get(), req, &list);
    took.push_back(absl::Now() - start);
    if (!s.ok()) ++*failed;
  }
  return took;
}

TEST_F(ImportStreamsTest, HeldImportStreamsHoldNoWorkerAndEveryOtherCallIsServedMeanwhile) {
  StartStreamsServer(ImportLimits{});  // the service's defaults: 30 s idle, 2 per caller
  // What an admin's calls take on the idle service.
  int unloaded_failed = 0;
  const std::vector<absl::Duration> unloaded = AdminCalls(*stub_, 100, &unloaded_failed);
  ASSERT_EQ(unloaded_failed, 0);

  // The finding: two validate-only streams of one editor, with no rows, held open. Each held
  // one of the two workers for as long as it lived.
  v1::ImportActivitiesRequest header;
  header.set_validate_only(true);
  auto first = Open("editor-volyn", header);
  auto second = Open("editor-volyn", header);
  ASSERT_TRUE(WaitFor([&] { return server_->open_imports() == 2; }));

  int loaded_failed = 0;
  const std::vector<absl::Duration> loaded = AdminCalls(*stub_, 100, &loaded_failed);
  EXPECT_EQ(loaded_failed, 0) << "calls refused while two import streams were held open";
  EXPECT_LT(P99(loaded), Bound(P99(unloaded)))
      << "p99 " << P99(loaded) << " with the streams held, " << P99(unloaded) << " without";
  // Another caller's import goes through meanwhile, rows and all.
  v1::ImportActivitiesResponse answer;
  auto ctx = Ctx("admin");
  auto writer = stub_->ImportActivities(ctx.get(), &answer);
  ASSERT_TRUE(writer->Write(RowsMessage(0, 20)));
  writer->WritesDone();
  grpc::Status imported = writer->Finish();
  ASSERT_TRUE(imported.ok()) << imported.error_message();
  EXPECT_EQ(answer.rows_imported(), 20);

  first->ctx->TryCancel();
  second->ctx->TryCancel();
  EXPECT_EQ(first->writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(second->writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitFor([&] { return server_->open_imports() == 0; }));
  EXPECT_EQ(Stored(), "20");
}

// The done-when of issue #18: under a connection flood (another process, 12 loopback addresses,
// far past the port's 64 connections) and held import streams at once, an admin's calls on the
// channel it already had still succeed with p99 under 5x their unloaded p99.
TEST_F(ImportStreamsTest, UnderAConnectionFloodAndHeldStreamsAnAdminsCallsKeepTheirP99) {
  ConnectionLimits connections;
  connections.max_connections = 64;
  connections.max_connections_per_peer = 16;
  StartStreamsServer(ImportLimits{}, connections);
  int unloaded_failed = 0;
  const absl::Duration unloaded = P99(AdminCalls(*stub_, 300, &unloaded_failed));
  ASSERT_EQ(unloaded_failed, 0);

  v1::ImportActivitiesRequest header;
  header.set_validate_only(true);
  auto first = Open("editor-volyn", header);
  auto second = Open("editor-volyn", header);
  ASSERT_TRUE(WaitFor([&] { return server_->open_imports() == 2; }));
  const ConnectionGuard::Counters before = server_->connection_counters();
  Flood flood(server_->port(), 180,
              "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9,"
              "127.0.0.10,127.0.0.11,127.0.0.12,127.0.0.13",
              60, /*plaintext_port=*/true);
  ASSERT_GT(flood.held(), 64) << "the flood did not pass the port's limit";
  // The flooder's connects complete in the kernel's queue; wait until the guard has taken them.
  ASSERT_TRUE(WaitFor([&] {
    const ConnectionGuard::Counters now = server_->connection_counters();
    return now.accepted + now.refused_total + now.refused_per_peer >=
           before.accepted + before.refused_total + before.refused_per_peer +
               static_cast<uint64_t>(flood.held());
  }));
  EXPECT_GT(server_->connection_counters().refused_total, 0u);

  int loaded_failed = 0;
  const absl::Duration loaded = P99(AdminCalls(*stub_, 300, &loaded_failed));
  EXPECT_EQ(loaded_failed, 0);
  EXPECT_LT(loaded, Bound(unloaded)) << "unloaded p99 " << unloaded;
  std::printf(
      "FIGURES flood_and_held_streams: held_connections=%d p99_unloaded_ms=%.3f "
      "p99_during_ms=%.3f\n",
      flood.held(), absl::ToDoubleMilliseconds(unloaded), absl::ToDoubleMilliseconds(loaded));
  flood.Stop();
  first->ctx->TryCancel();
  second->ctx->TryCancel();
  first->writer->Finish();
  second->writer->Finish();
  EXPECT_TRUE(WaitFor([&] { return server_->open_imports() == 0; }));
}

TEST_F(ImportStreamsTest, ACallerHoldsAtMostItsShareOfStreamsAndOtherCallersStillImport) {
  ImportLimits limits;
  limits.max_per_caller = 2;
  limits.max_concurrent = 4;
  StartStreamsServer(limits);
  v1::ImportActivitiesRequest header;
  header.set_validate_only(true);
  auto first = Open("editor-volyn", header);
  auto second = Open("editor-volyn", header);
  ASSERT_TRUE(WaitFor([&] { return server_->open_imports() == 2; }));
  auto third = Open("editor-volyn", header);
  third->writer->WritesDone();
  grpc::Status refused = third->writer->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("of one caller"), std::string::npos)
      << refused.error_message();

  v1::ImportActivitiesResponse answer;
  auto ctx = Ctx("editor-lviv");
  auto writer = stub_->ImportActivities(ctx.get(), &answer);
  ASSERT_TRUE(writer->Write(RowsMessage(0, 5)));
  writer->WritesDone();
  grpc::Status imported = writer->Finish();
  EXPECT_TRUE(imported.ok()) << imported.error_message();
  first->ctx->TryCancel();
  second->ctx->TryCancel();
  first->writer->Finish();
  second->writer->Finish();
  EXPECT_TRUE(WaitFor([&] { return server_->open_imports() == 0; }));
  EXPECT_EQ(Stored(), "5");
}

// The finding kept its streams alive with an empty message every 5 s, which reset the idle limit.
TEST_F(ImportStreamsTest, AStreamKeptAliveByEmptyMessagesIsEndedAsIdleAndAppliesNothing) {
  ImportLimits limits;
  limits.idle_timeout = absl::Seconds(1);
  StartStreamsServer(limits);
  const absl::Time opened = absl::Now();
  auto stream = Open("editor-volyn", RowsMessage(0, 5));
  grpc::Status s = DripUntilEnded(
      *stream, opened, [](int) { return v1::ImportActivitiesRequest(); }, absl::Milliseconds(100),
      absl::Seconds(4));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_NE(s.error_message().find("idle"), std::string::npos) << s.error_message();
}

TEST_F(ImportStreamsTest, AStreamDrippingRowsBelowTheMinimumRateIsEndedAndAppliesNothing) {
  ImportLimits limits;
  limits.idle_timeout = absl::Seconds(1);
  limits.min_rows_per_second = 50;
  StartStreamsServer(limits);
  const absl::Time opened = absl::Now();
  auto stream = Open("editor-volyn", RowsMessage(0, 1));
  // A row every 200 ms: never idle for a second, but 5 rows a second.
  grpc::Status s = DripUntilEnded(
      *stream, opened, [](int i) { return RowsMessage(i, 1); }, absl::Milliseconds(200),
      absl::Seconds(4));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_NE(s.error_message().find("rows per second"), std::string::npos) << s.error_message();
}

TEST_F(ImportStreamsTest, AStreamOpenPastTheLongestAStreamMayLastIsEndedAndAppliesNothing) {
  ImportLimits limits;
  limits.idle_timeout = absl::Seconds(1);
  limits.max_duration = absl::Seconds(2);
  StartStreamsServer(limits);
  const absl::Time opened = absl::Now();
  auto stream = Open("editor-volyn", RowsMessage(0, 20));
  // 400 rows a second, whatever deadline the client set (two minutes).
  grpc::Status s = DripUntilEnded(
      *stream, opened, [](int i) { return RowsMessage(20 * i, 20); }, absl::Milliseconds(50),
      absl::Seconds(5));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  EXPECT_NE(s.error_message().find("at most 2s"), std::string::npos) << s.error_message();
  EXPECT_GE(absl::Now() - opened, absl::Seconds(2));
}

}  // namespace
}  // namespace imp::activity
