// Error details (common/api/errors.h, common/status.h): what travels in grpc-status-details-bin,
// without a network.
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.grpc.pb.h"

namespace imp {
namespace {

namespace rpc = google::rpc;

// The google.rpc.Status a client in any language decodes from the trailer.
rpc::Status Wire(const grpc::Status& status) {
  rpc::Status proto;
  EXPECT_TRUE(proto.ParseFromString(status.error_details()));
  return proto;
}

template <typename D>
std::optional<D> Find(const rpc::Status& proto) {
  for (const auto& any : proto.details()) {
    D detail;
    if (any.Is<D>() && any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

TEST(ErrorDetails, RoundTripKeepsCodeMessageAndEveryDetail) {
  absl::Status original = api::ResourceNotFound(api::ResourceType<registry::v1::Institution>(),
                                                "institutions/zzz", "names[2]");
  original = api::WithReason(original, "CUSTOM_REASON", {{"extra", "1"}});
  rpc::RetryInfo retry;  // a detail the helpers never make travels too
  retry.mutable_retry_delay()->set_seconds(3);
  api::SetDetail(original, retry);

  const grpc::Status wire = ToGrpcStatus(original);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(wire.error_message(), "names[2]: institutions/zzz not found");
  const rpc::Status proto = Wire(wire);
  EXPECT_EQ(proto.code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(proto.message(), wire.error_message());
  ASSERT_EQ(proto.details_size(), 4);
  EXPECT_TRUE(proto.details(0).Is<rpc::ErrorInfo>()) << "ErrorInfo comes first";

  const absl::Status back = FromGrpcStatus(wire);
  EXPECT_EQ(back, original) << "same code, message and payloads";
  EXPECT_EQ(api::ReasonOf(back), "CUSTOM_REASON");
  EXPECT_EQ(api::FieldOf(back), "names[2]");
  EXPECT_EQ(api::ResourceNameOf(back), "institutions/zzz");
  auto info = api::GetDetail<rpc::ErrorInfo>(back);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->domain(), "imp.v1");
  EXPECT_EQ(info->metadata().at("extra"), "1");
  EXPECT_EQ(info->metadata().at("resource"), "institutions/zzz");
  auto resource = api::GetDetail<rpc::ResourceInfo>(back);
  ASSERT_TRUE(resource.has_value());
  EXPECT_EQ(resource->resource_type(), "type.googleapis.com/imp.registry.v1.Institution");
  EXPECT_EQ(api::GetDetail<rpc::RetryInfo>(back)->retry_delay().seconds(), 3);
  // And a second trip changes nothing.
  EXPECT_EQ(ToGrpcStatus(back).error_details(), wire.error_details());
}

TEST(ErrorDetails, FieldPrefixedInvalidArgumentGetsABadRequestNamingTheField) {
  const rpc::Status proto = Wire(ToGrpcStatus(absl::InvalidArgumentError(
      "activity.training.participant_groups[1].headcount: must be positive")));
  auto bad = Find<rpc::BadRequest>(proto);
  ASSERT_TRUE(bad.has_value());
  ASSERT_EQ(bad->field_violations_size(), 1);
  EXPECT_EQ(bad->field_violations(0).field(), "activity.training.participant_groups[1].headcount");
  EXPECT_EQ(bad->field_violations(0).description(), "must be positive");
  auto info = Find<rpc::ErrorInfo>(proto);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "FIELD_INVALID");
  EXPECT_EQ(info->domain(), "imp.v1");
  EXPECT_EQ(info->metadata().at("field"), "activity.training.participant_groups[1].headcount");

  // OUT_OF_RANGE is a field problem too.
  EXPECT_EQ(Find<rpc::BadRequest>(Wire(ToGrpcStatus(absl::OutOfRangeError("page_token: expired"))))
                ->field_violations(0)
                .field(),
            "page_token");
}

TEST(ErrorDetails, FieldPrefixedFailedPreconditionGetsAPreconditionFailureOnTheField) {
  const absl::Status back = FromGrpcStatus(ToGrpcStatus(
      absl::FailedPreconditionError("state: agreements/x is TERMINATED; it cannot be activated")));
  auto failure = api::GetDetail<rpc::PreconditionFailure>(back);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->violations(0).type(), "FIELD");
  EXPECT_EQ(failure->violations(0).subject(), "state");
  EXPECT_EQ(failure->violations(0).description(),
            "agreements/x is TERMINATED; it cannot be activated");
  EXPECT_FALSE(api::GetDetail<rpc::BadRequest>(back).has_value());
  EXPECT_EQ(api::ReasonOf(back), "FAILED_PRECONDITION");
  EXPECT_EQ(api::FieldOf(back), "state");
}

TEST(ErrorDetails, MessagesNotInTheFieldConventionGetNoField) {
  for (const char* message : {
           "agreement is not ACTIVE: it is X",         // words before the colon
           "institutions/okhmatdyt is deleted: undo",  // a resource name is not a field
           "Institution.country: capitalised",         // field paths are lower case
           "names[]: empty index", "names[2: unclosed", "a..b: empty segment", "trailing.: dot",
           "country:no space after the colon", ": nothing before", "1abc: starts with a digit",
           "institution.country",  // no colon at all
       }) {
    const absl::Status back = FromGrpcStatus(ToGrpcStatus(absl::InvalidArgumentError(message)));
    EXPECT_FALSE(api::GetDetail<rpc::BadRequest>(back).has_value()) << message;
    EXPECT_EQ(api::FieldOf(back), "") << message;
    EXPECT_EQ(api::ReasonOf(back), "INVALID_ARGUMENT") << message;
  }
  // A field prefix on a code that is not about fields is not interpreted either.
  const absl::Status internal = FromGrpcStatus(ToGrpcStatus(absl::InternalError("store: broken")));
  EXPECT_EQ(api::FieldOf(internal), "");
  EXPECT_EQ(api::ReasonOf(internal), "INTERNAL");
}

TEST(ErrorDetails, ExplicitDetailsAreNotOverriddenByTheDerivedOnes) {
  absl::Status s = api::InvalidField("institution.website", "must start with https://");
  // Even with a message naming another field, the explicit BadRequest stays the only one.
  absl::Status renamed(s.code(), "institution.city: something else");
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& p) { renamed.SetPayload(url, p); });
  const absl::Status back = FromGrpcStatus(ToGrpcStatus(renamed));
  EXPECT_EQ(api::FieldOf(back), "institution.website");
  EXPECT_EQ(api::GetDetail<rpc::BadRequest>(back)->field_violations_size(), 1);
  EXPECT_EQ(api::ReasonOf(back), "FIELD_INVALID");
}

TEST(ErrorDetails, EveryCodeGetsAStableReason) {
  EXPECT_EQ(api::ReasonOf(WithDerivedDetails(absl::NotFoundError("institutions/x not found"))),
            "RESOURCE_NOT_FOUND");
  EXPECT_EQ(api::ReasonOf(WithDerivedDetails(absl::AlreadyExistsError("the resource exists"))),
            "RESOURCE_EXISTS");
  EXPECT_EQ(api::ReasonOf(WithDerivedDetails(absl::PermissionDeniedError("no"))),
            "PERMISSION_DENIED");
  EXPECT_EQ(api::ReasonOf(WithDerivedDetails(absl::UnauthenticatedError("no"))), "UNAUTHENTICATED");
  EXPECT_EQ(api::ReasonOf(WithDerivedDetails(absl::UnavailableError("db down"))), "UNAVAILABLE");
  EXPECT_TRUE(WithDerivedDetails(absl::OkStatus()).ok());
  EXPECT_EQ(ToGrpcStatus(absl::OkStatus()).error_details(), "");
}

TEST(ErrorDetails, ConstructorsSayWhatClientsActOn) {
  absl::Status exists =
      api::ResourceExists(api::ResourceType<registry::v1::Institution>(), "institutions/kauno",
                          "institution", "'Kauno' in LT already exists as institutions/kauno");
  EXPECT_EQ(exists.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(exists.message(), "institution: 'Kauno' in LT already exists as institutions/kauno");
  EXPECT_EQ(api::ResourceNameOf(exists), "institutions/kauno");
  EXPECT_EQ(api::ReasonOf(exists), "RESOURCE_EXISTS");
  EXPECT_EQ(api::FieldOf(exists), "institution");

  absl::Status ref =
      api::InvalidReference("activity.partner_institutions[1]", "institutions/x", "does not exist");
  EXPECT_EQ(ref.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ref.message(), "activity.partner_institutions[1]: institutions/x does not exist");
  EXPECT_EQ(api::ReasonOf(ref), "REFERENCE_INVALID");
  EXPECT_EQ(api::FieldOf(ref), "activity.partner_institutions[1]");
  EXPECT_EQ(api::ResourceNameOf(ref), "institutions/x");
  EXPECT_EQ(api::GetDetail<rpc::PreconditionFailure>(ref)->violations(0).type(), "REFERENCE");

  absl::Status reused = api::RequestIdReused("already used for another request", "institutions/a");
  EXPECT_EQ(reused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api::ReasonOf(reused), "REQUEST_ID_REUSED");
  EXPECT_EQ(api::FieldOf(reused), "request_id");
  EXPECT_EQ(api::ResourceNameOf(reused), "institutions/a");

  EXPECT_TRUE(api::WithReason(absl::OkStatus(), "X").ok());
}

TEST(ErrorDetails, ABackendStatusIsForwardedWithItsDetailsOrGetsBackendUnavailable) {
  const grpc::Status backend = ToGrpcStatus(
      api::ResourceNotFound("type.googleapis.com/imp.registry.v1.Agreement", "agreements/a", ""));
  const grpc::Status forwarded = ForwardedStatus(backend);
  EXPECT_EQ(forwarded.error_details(), backend.error_details());
  EXPECT_EQ(forwarded.error_message(), backend.error_message());

  // What the channel itself reports when the backend does not answer carries no details.
  const grpc::Status down(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses");
  const absl::Status back = FromGrpcStatus(ForwardedStatus(down));
  EXPECT_EQ(back.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(back.message(), "failed to connect to all addresses");
  EXPECT_EQ(api::ReasonOf(back), "BACKEND_UNAVAILABLE");
  EXPECT_EQ(api::ReasonOf(FromGrpcStatus(ForwardedStatus(
                grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded")))),
            "DEADLINE_EXCEEDED");
}

TEST(ErrorDetails, DetailsThatDoNotDecodeOrDisagreeWithTheCodeAreIgnored) {
  const grpc::Status garbage(grpc::StatusCode::NOT_FOUND, "x", "\xff\xff not a proto");
  EXPECT_EQ(FromGrpcStatus(garbage), absl::NotFoundError("x"));
  rpc::Status other;
  other.set_code(static_cast<int>(grpc::StatusCode::INTERNAL));
  other.add_details()->PackFrom(rpc::ErrorInfo());
  EXPECT_EQ(
      FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "x", other.SerializeAsString())),
      absl::NotFoundError("x"));
}

TEST(ErrorDetails, OversizedDetailsShrinkButCodeAndMessageAlwaysArrive) {
  // Descriptions go first: a long description fits once it is dropped.
  const std::string long_text(2500, 'x');
  absl::Status s = api::InvalidField("notes", long_text);
  rpc::Status proto = Wire(ToGrpcStatus(s));
  EXPECT_LE(proto.ByteSizeLong(), kMaxErrorDetailsBytes);
  ASSERT_TRUE(Find<rpc::BadRequest>(proto).has_value());
  EXPECT_EQ(Find<rpc::BadRequest>(proto)->field_violations(0).field(), "notes");
  EXPECT_EQ(Find<rpc::BadRequest>(proto)->field_violations(0).description(), "");
  EXPECT_EQ(Find<rpc::ErrorInfo>(proto)->reason(), "FIELD_INVALID");

  // A message too long to repeat in the details: the details are left out entirely.
  const grpc::Status huge = ToGrpcStatus(absl::InvalidArgumentError(std::string(5000, 'y')));
  EXPECT_EQ(huge.error_details(), "");
  EXPECT_EQ(huge.error_message().size(), 5000u);
}

// A server that answers GetInstitution with `answer`, to see what a client receives.
class Answering final : public registry::v1::RegistryService::CallbackService {
 public:
  explicit Answering(absl::Status answer) : answer_(std::move(answer)) {}
  grpc::ServerUnaryReactor* GetInstitution(grpc::CallbackServerContext* ctx,
                                           const registry::v1::GetInstitutionRequest*,
                                           registry::v1::Institution*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpcStatus(answer_));
    return reactor;
  }

 private:
  const absl::Status answer_;
};

grpc::Status Receive(const absl::Status& answer) {
  Answering service(answer);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  auto stub = registry::v1::RegistryService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  registry::v1::Institution out;
  grpc::Status received = stub->GetInstitution(&ctx, {}, &out);
  server->Shutdown();
  return received;
}

TEST(ErrorDetails, LongNonAsciiMessagesStillArriveWithTheirCodeOverLoopback) {
  // grpc-message percent-encodes non-ASCII bytes (3 per byte): 1,200 Cyrillic letters are 7,200
  // bytes of trailer. With the details (which repeat the message) on top, the trailers would pass
  // the client's 8 KiB metadata limit and the client would see RESOURCE_EXHAUSTED instead.
  std::string long_name, medium_name;
  for (int i = 0; i < 1200; ++i) long_name += "\xd1\x8f";  // "я"
  for (int i = 0; i < 600; ++i) medium_name += "\xd1\x8f";
  grpc::Status got = Receive(api::InvalidField("institution.display_name", long_name));
  EXPECT_EQ(got.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << got.error_message().substr(0, 80);
  EXPECT_EQ(got.error_message(), absl::StrCat("institution.display_name: ", long_name));
  EXPECT_EQ(got.error_details(), "") << "no room left for details";

  // A shorter one keeps its details, without the descriptions that repeat the message.
  got = Receive(api::InvalidField("institution.display_name", medium_name));
  ASSERT_EQ(got.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const absl::Status back = FromGrpcStatus(got);
  EXPECT_EQ(api::FieldOf(back), "institution.display_name");
  EXPECT_EQ(api::ReasonOf(back), "FIELD_INVALID");

  // And an ordinary error arrives whole, byte for byte.
  const absl::Status not_found = api::ResourceNotFound("", "institutions/x", "names[1]");
  got = Receive(not_found);
  EXPECT_EQ(got.error_details(), ToGrpcStatus(not_found).error_details());
  EXPECT_EQ(api::FieldOf(FromGrpcStatus(got)), "names[1]");
}

}  // namespace
}  // namespace imp
