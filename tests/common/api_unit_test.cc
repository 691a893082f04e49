// Unit tests of the request-level helpers shared by every service.
#include "common/api/filter.h"
#include "common/api/iso3166.h"
#include "common/api/page_token.h"
#include "common/api/resource_name.h"
#include "gtest/gtest.h"

namespace imp::api {
namespace {

const FilterSchema& Schema() {
  static const auto* const schema = new FilterSchema{{"country", FieldKind::kEquality},
                                                     {"signed_on", FieldKind::kOrdered},
                                                     {"cooperation_areas", FieldKind::kRepeated},
                                                     {"in_force_on", FieldKind::kExactDate}};
  return *schema;
}

TEST(ParseFilter, EmptyFilterHasNoTerms) {
  auto terms = ParseFilter("  ", Schema());
  ASSERT_TRUE(terms.ok());
  EXPECT_TRUE(terms->empty());
}

TEST(ParseFilter, ConjunctionOfComparisonsHasAndSearch) {
  auto terms = ParseFilter(
      R"(country = "FR" AND signed_on >= "2024-01-01" cooperation_areas:oncology "охматдит")",
      Schema());
  ASSERT_TRUE(terms.ok()) << terms.status();
  ASSERT_EQ(terms->size(), 4u);
  EXPECT_EQ((*terms)[0].field, "country");
  EXPECT_EQ((*terms)[0].op, FilterOp::kEq);
  EXPECT_EQ((*terms)[0].value, "FR");
  EXPECT_EQ((*terms)[1].op, FilterOp::kGe);
  EXPECT_EQ((*terms)[1].value, "2024-01-01");
  EXPECT_EQ((*terms)[2].op, FilterOp::kHas);
  EXPECT_EQ((*terms)[2].value, "oncology");
  EXPECT_EQ((*terms)[3].op, FilterOp::kSearch);
  EXPECT_EQ((*terms)[3].value, "охматдит");
}

TEST(ParseFilter, EscapedQuotesInStrings) {
  auto terms = ParseFilter(R"("Hospital \"Pravoberezhna\"")", Schema());
  ASSERT_TRUE(terms.ok());
  EXPECT_EQ((*terms)[0].value, "Hospital \"Pravoberezhna\"");
}

TEST(ParseFilter, ErrorsNameTheProblem) {
  auto unknown = ParseFilter(R"(colour = "red")", Schema());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("unknown field 'colour'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("country"), std::string::npos);

  auto wrong_op = ParseFilter(R"(country > "FR")", Schema());
  EXPECT_NE(wrong_op.status().message().find("'>' is not allowed on field 'country'"),
            std::string::npos);

  EXPECT_NE(ParseFilter(R"(country = "FR" OR country = "DE")", Schema())
                .status()
                .message()
                .find("OR is not supported"),
            std::string::npos);
  EXPECT_NE(ParseFilter(R"((country = "FR"))", Schema()).status().message().find("parentheses"),
            std::string::npos);
  EXPECT_NE(ParseFilter(R"(country = "FR)", Schema()).status().message().find("unterminated"),
            std::string::npos);
  EXPECT_NE(ParseFilter(R"(country =)", Schema()).status().message().find("missing value"),
            std::string::npos);
  EXPECT_NE(
      ParseFilter(R"(country = "FR" AND)", Schema()).status().message().find("AND at the end"),
      std::string::npos);
}

TEST(PageToken, RoundTripsForTheSameQuery) {
  PagePosition position{"2024-06-14", 42};
  std::string token = EncodePageToken(position, "filter=x|order=y");
  auto decoded = DecodePageToken(token, "filter=x|order=y");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->pk, 42);
  EXPECT_EQ(decoded->sort_value, "2024-06-14");
}

TEST(PageToken, RejectedForAnotherQueryOrGarbage) {
  std::string token = EncodePageToken({"", 7}, "filter=x");
  EXPECT_NE(DecodePageToken(token, "filter=z").status().message().find("different filter"),
            std::string::npos);
  EXPECT_EQ(DecodePageToken("not a token!", "filter=x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PageSize, DefaultsCoercesAndRejectsNegative) {
  EXPECT_EQ(*EffectivePageSize(0), 50);
  EXPECT_EQ(*EffectivePageSize(10), 10);
  EXPECT_EQ(*EffectivePageSize(5000), 1000);
  EXPECT_EQ(EffectivePageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResourceName, ParsesAndValidates) {
  EXPECT_EQ(*ParseResourceName("institutions/okhmatdyt", "institutions", "name"), "okhmatdyt");
  auto wrong = ParseResourceName("agreements/x", "institutions", "parties[0].institution");
  EXPECT_NE(wrong.status().message().find("parties[0].institution"), std::string::npos);
  EXPECT_FALSE(ParseResourceName("institutions/Bad_Id", "institutions", "name").ok());
  EXPECT_FALSE(ParseResourceName("institutions/", "institutions", "name").ok());
  EXPECT_FALSE(IsValidResourceId("ends-with-dash-"));
  EXPECT_TRUE(IsValidResourceId(GenerateResourceId()));
}

TEST(RequestId, AcceptsPrintableUpTo64) {
  EXPECT_TRUE(IsValidRequestId("3f2504e0-4f89-11d3-9a0c-0305e82c3301"));
  EXPECT_FALSE(IsValidRequestId(std::string(65, 'a')));
  EXPECT_FALSE(IsValidRequestId("has space"));
}

TEST(Iso3166, CountriesAndUkrainianRegions) {
  EXPECT_TRUE(IsIsoCountryCode("UA"));
  EXPECT_TRUE(IsIsoCountryCode("MK"));
  EXPECT_FALSE(IsIsoCountryCode("XX"));
  EXPECT_FALSE(IsIsoCountryCode("ua"));
  EXPECT_TRUE(IsUkrainianRegionCode("UA-46"));
  EXPECT_TRUE(IsUkrainianRegionCode("UA-30"));
  EXPECT_FALSE(IsUkrainianRegionCode("UA-99"));
  EXPECT_EQ(UkrainianRegionName("UA-21"), "Zakarpattia oblast");
}

}  // namespace
}  // namespace imp::api
