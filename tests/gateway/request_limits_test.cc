// What the gateway accepts of a request before it forwards it (issue #18, finding 7): a read
// padded with a 31 MB unknown field was accepted and passed to the registry (eight at once from
// a viewer: gateway 701 MB, registry 309 MB). Reads now have a receive limit of their own, and
// fields the gateway does not know are dropped, never forwarded. Real gateway, registry and
// activity servers on loopback, real MariaDB.
#include "gateway/src/request_limits.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/support/log_capture.h"

namespace imp::gateway {
namespace {

// Pads `message` with an unknown length-delimited field (number 9999) of `bytes` bytes.
void Pad(google::protobuf::Message* message, size_t bytes) {
  message->GetReflection()->MutableUnknownFields(message)->AddLengthDelimited(
      9999, std::string(bytes, 'x'));
}

TEST_F(GatewayTest, AReadPaddedPastItsMethodsLimitIsRefusedAndNeverReachesTheRegistry) {
  ASSERT_TRUE(CreateInstitution(kAdmin, "volyn", "UA", "UA-07").ok());
  testing::LogCapture log;
  reg::GetInstitutionRequest req;
  req.set_name("institutions/volyn");
  Pad(&req, 31 << 20);
  reg::Institution out;
  grpc::Status s = reg_->GetInstitution(Ctx(kViewer).get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(s.error_message().rfind("request: GetInstitution takes at most 64 KiB (got 31 MiB)", 0),
            0u)
      << s.error_message();
  // The gateway serves the registry's methods under the same name: one request-log line for
  // GetInstitution is the gateway's refusal; a forwarded request would log a second, the
  // registry's.
  const std::string lines = log.Stop();
  size_t logged = 0;
  for (size_t at = lines.find("/imp.registry.v1.RegistryService/GetInstitution ");
       at != std::string::npos;
       at = lines.find("/imp.registry.v1.RegistryService/GetInstitution ", at + 1)) {
    ++logged;
  }
  EXPECT_EQ(logged, 1u) << lines.substr(0, 3000);
}

// The registry of this fixture receives at most 4 MiB: a write padded past that (nested in the
// resource) reaches it only if the gateway forwarded the padding.
TEST_F(GatewayTest, UnknownFieldsOfAWriteAreDroppedBeforeItIsForwarded) {
  reg::CreateInstitutionRequest req;
  req.set_institution_id("volyn");
  req.mutable_institution()->set_display_name("Volyn Regional Hospital");
  req.mutable_institution()->set_kind(reg::Institution::KIND_HOSPITAL);
  req.mutable_institution()->set_country("UA");
  Pad(req.mutable_institution(), kRegistryReceiveBytes + (1 << 20));
  reg::Institution out;
  grpc::Status s = reg_->CreateInstitution(Ctx(kAdmin).get(), req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.name(), "institutions/volyn");
}

TEST_F(GatewayTest, AReadWithUnknownFieldsUnderItsLimitIsServedWithoutThem) {
  ASSERT_TRUE(CreateInstitution(kAdmin, "volyn", "UA", "UA-07").ok());
  reg::GetInstitutionRequest req;
  req.set_name("institutions/volyn");
  Pad(&req, 10 << 10);
  reg::Institution out;
  grpc::Status s = reg_->GetInstitution(Ctx(kViewer).get(), req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.name(), "institutions/volyn");
}

TEST(RequestLimits, ReadsTakeKilobytesBatchGetsAThousandNamesAndWritesTheTransportsLimit) {
  EXPECT_EQ(RequestByteLimit("GetInstitution"), 64u << 10);
  EXPECT_EQ(RequestByteLimit("ListActivities"), 64u << 10);
  EXPECT_EQ(RequestByteLimit("DeleteProject"), 64u << 10);
  EXPECT_EQ(RequestByteLimit("TerminateAgreement"), 64u << 10);
  EXPECT_EQ(RequestByteLimit("BatchGetProjects"), 256u << 10);
  EXPECT_EQ(RequestByteLimit("CreateProject"), std::nullopt);
  EXPECT_EQ(RequestByteLimit("UpdateActivity"), std::nullopt);
}

}  // namespace
}  // namespace imp::gateway
