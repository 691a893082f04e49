// Unit tests of the request-level helpers shared by every service.
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/api/filter.h"
#include "common/api/iso3166.h"
#include "common/api/page_token.h"
#include "common/api/proto_util.h"
#include "common/api/resource_name.h"
#include "gtest/gtest.h"
#include "imp/registry/v1/registry.pb.h"

namespace imp::api {
namespace {

const FilterSchema& Schema() {
  static const auto* const schema = new FilterSchema{
      {"country", FieldSpec{FieldKind::kEquality, FilterValue::kCountry}},
      {"region", FieldSpec{FieldKind::kEquality, FilterValue::kRegion}},
      {"city", FieldSpec{FieldKind::kEquality, FilterValue::kText}},
      {"signed_on", FieldSpec{FieldKind::kOrdered, FilterValue::kDate}},
      {"cooperation_areas", FieldSpec{FieldKind::kRepeated, FilterValue::kCode}},
      {"in_force_on", FieldSpec{FieldKind::kExactDate, FilterValue::kDate, true}},
      {"institution", FieldSpec{FieldKind::kEquality, FilterValue::kResourceName, true, nullptr, "",
                                "institutions"}},
      {"state", FieldSpec{FieldKind::kEquality, FilterValue::kEnum, false,
                          registry::v1::Agreement::State_descriptor(), "STATE_"}},
  };
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

// The review's case: thousands of `institution =` terms. Over the cap is INVALID_ARGUMENT naming
// filter and the limit, before any term is looked at.
std::string Terms(int n, const std::string& field = "institution") {
  std::string filter;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&filter, i ? " AND " : "", field, " = \"institutions/i", i, "\"");
  }
  return filter;
}

TEST(ParseFilter, MoreTermsThanTheCapAreRejectedNamingFilterAndTheLimit) {
  EXPECT_TRUE(ParseFilter(Terms(kMaxFilterTerms), Schema()).ok());
  auto over = ParseFilter(Terms(kMaxFilterTerms + 1), Schema());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(over.status().message().rfind("filter: at most 32 terms", 0), 0u)
      << over.status().message();
  // 70,000 terms once gave MariaDB error 1390 (too many placeholders): now the byte cap.
  auto huge = ParseFilter(Terms(70000), Schema());
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(huge.status().message().rfind("filter: at most 4096 bytes", 0), 0u)
      << huge.status().message();
}

TEST(ParseFilter, LongerThanTheByteCapIsRejectedNamingFilter) {
  const std::string at_cap = absl::StrCat("\"", std::string(kMaxFilterBytes - 2, 'a'), "\"");
  EXPECT_TRUE(ParseFilter(at_cap, Schema()).ok());
  auto over = ParseFilter(at_cap + " ", Schema());
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("filter: at most 4096 bytes"), std::string::npos);
}

TEST(ParseFilter, EveryValueIsCheckedForItsFieldBeforeReachingSql) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"(country = "é")", "filter: country: 'é' is not an ISO 3166-1 alpha-2 code"},
      {R"(country = "XX")", "filter: country: 'XX' is not an ISO"},
      {R"(cooperation_areas:"ü")", "filter: cooperation_areas: 'ü' is not a codelist code"},
      {R"(cooperation_areas:"Oncology")", "filter: cooperation_areas: 'Oncology' is not"},
      {R"(region = "UA-99")", "filter: region: 'UA-99' is not an ISO 3166-2:UA code"},
      {R"(state = "PICNIC")", "filter: state: 'PICNIC' is not one of PROPOSED, ACTIVE"},
      {R"(state = "STATE_UNSPECIFIED")", "filter: state: 'STATE_UNSPECIFIED' is not one of"},
      {R"(institution = "agreements/x")", "filter: institution: 'agreements/x' is not a resource"},
      {R"(institution = "institutions/Bad")", "filter: institution: 'institutions/Bad' is not"},
      {R"(signed_on >= "2024-02-30")", "filter: signed_on: 2024-02-30 is not a complete"},
      {R"(signed_on >= "+024-01-01")", "filter: signed_on: '+024-01-01' is not a date"},
      {R"(city = "a\)"
       "\x01"
       R"(b")",
       "filter: city: 'a\\x01b' is not text"},
  };
  for (const auto& [filter, message] : bad) {
    auto parsed = ParseFilter(filter, Schema());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << filter;
    EXPECT_EQ(parsed.status().message().rfind(message, 0), 0u)
        << filter << " -> " << parsed.status().message();
  }
}

TEST(ParseFilter, ValuesAreCanonical) {
  auto terms = ParseFilter(
      R"(country = "fr" region = "ua-46" state = "active" institution = "institutions/x")",
      Schema());
  ASSERT_TRUE(terms.ok()) << terms.status();
  EXPECT_EQ((*terms)[0].value, "FR");
  EXPECT_EQ((*terms)[1].value, "UA-46");
  EXPECT_EQ((*terms)[2].value, "STATE_ACTIVE");
  EXPECT_EQ((*terms)[3].value, "x");
  EXPECT_TRUE(ParseFilter(R"(region = "Île-de-France" city = "")", Schema()).ok());
}

TEST(ParseFilter, ErrorsQuoteOnlyAShortPrefixOfABadValue) {
  const std::string filter = absl::StrCat("country = \"", std::string(3000, 'Z'), "\"");
  auto parsed = ParseFilter(filter, Schema());
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(parsed.status().message().size(), 160u) << parsed.status().message();
  EXPECT_NE(parsed.status().message().find("(3000 bytes)"), std::string::npos);
  auto field = ParseFilter(absl::StrCat(std::string(3000, 'q'), " = \"x\""), Schema());
  EXPECT_LT(field.status().message().size(), 300u) << field.status().message();
}

TEST(CompileFilter, RepeatedTermsOnAFieldFoldIntoOneCondition) {
  auto all = CompileFilter(Terms(kMaxFilterTerms), Schema());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->fields.size(), 1u);
  EXPECT_EQ(all->fields.at("institution").equal.size(), kMaxFilterTerms) << "all of them";
  EXPECT_FALSE(all->matches_nothing);

  auto same = CompileFilter(R"(country = "FR" country = "fr")", Schema());
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->fields.at("country").equal, std::vector<std::string>{"FR"});
  EXPECT_FALSE(same->matches_nothing);
  auto different = CompileFilter(R"(country = "FR" country = "DE")", Schema());
  ASSERT_TRUE(different.ok());
  EXPECT_TRUE(different->matches_nothing);
  auto excluded = CompileFilter(R"(country = "FR" country != "FR")", Schema());
  EXPECT_TRUE(excluded->matches_nothing);
  auto implied = CompileFilter(R"(country = "FR" country != "DE" country != "PL")", Schema());
  EXPECT_FALSE(implied->matches_nothing);
  EXPECT_TRUE(implied->fields.at("country").not_equal.empty()) << "implied by = FR";

  auto range = CompileFilter(R"(signed_on >= "2024-01-01" signed_on > "2024-03-01" )"
                             R"(signed_on <= "2024-12-31" signed_on < "2025-06-01")",
                             Schema());
  ASSERT_TRUE(range.ok());
  const FieldCondition& r = range->fields.at("signed_on");
  EXPECT_EQ(*r.lower, "2024-03-01");
  EXPECT_FALSE(r.lower_inclusive);
  EXPECT_EQ(*r.upper, "2024-12-31");
  EXPECT_TRUE(r.upper_inclusive);
  EXPECT_TRUE(CompileFilter(R"(signed_on > "2024-03-01" signed_on < "2024-03-01")", Schema())
                  ->matches_nothing);
  EXPECT_TRUE(CompileFilter(R"(signed_on = "2024-03-01" signed_on < "2024-03-01")", Schema())
                  ->matches_nothing);

  // Free text compares under the database's collation: both spellings stay, as conditions.
  auto cities = CompileFilter(R"(city = "Lviv" city = "LVIV")", Schema());
  EXPECT_FALSE(cities->matches_nothing);
  EXPECT_EQ(cities->fields.at("city").equal.size(), 2u);

  // Multi-valued fields accumulate; "has x and has none of x" is impossible.
  auto dates = CompileFilter(R"(in_force_on = "2024-06-01" in_force_on = "2024-01-01")", Schema());
  EXPECT_EQ(dates->fields.at("in_force_on").equal,
            (std::vector<std::string>{"2024-01-01", "2024-06-01"}));
  EXPECT_TRUE(
      CompileFilter(R"(institution = "institutions/a" institution != "institutions/a")", Schema())
          ->matches_nothing);
}

TEST(PageToken, RoundTripsForTheSameCollectionAndQuery) {
  PagePosition position{"2024-06-14", 42};
  const std::string query = PageQuery({"country = \"FR\"", "display_name", "0"});
  std::string token = EncodePageToken(position, "registry.institutions", query);
  auto decoded = DecodePageToken(token, "registry.institutions", query);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->pk, 42);
  EXPECT_EQ(decoded->sort_value, "2024-06-14");
}

void ExpectRejected(const absl::StatusOr<PagePosition>& decoded, const std::string& why) {
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << why;
  EXPECT_EQ(decoded.status().message().rfind("page_token: ", 0), 0u)
      << why << ": " << decoded.status().message();
}

TEST(PageToken, FromAnotherCollectionIsRejected) {
  const std::string query = PageQuery({"", "", "0"});
  std::string token = EncodePageToken({"", 7}, "registry.institutions", query);
  auto decoded = DecodePageToken(token, "registry.agreements", query);
  ExpectRejected(decoded, "other collection");
  EXPECT_NE(decoded.status().message().find("another List method"), std::string::npos);
}

TEST(PageToken, FromAnotherFilterOrderOrShowDeletedIsRejected) {
  std::string token =
      EncodePageToken({"", 7}, "activity.activities", PageQuery({"kind = \"VISIT\"", "", "0"}));
  for (const auto& query : {PageQuery({"kind = \"EVENT\"", "", "0"}),
                            PageQuery({"kind = \"VISIT\"", "start_date desc", "0"}),
                            PageQuery({"kind = \"VISIT\"", "", "1"})}) {
    auto decoded = DecodePageToken(token, "activity.activities", query);
    ExpectRejected(decoded, "other query");
    EXPECT_NE(decoded.status().message().find("different filter"), std::string::npos);
  }
  // The fields are length-prefixed: moving text from one field to the next is another query.
  EXPECT_NE(PageQuery({"a|b", ""}), PageQuery({"a", "|b"}));
}

TEST(PageToken, ForgedTruncatedOrGarbageTokensAreRejected) {
  const std::string query = PageQuery({"", "", "0"});
  const std::string token = EncodePageToken({"Zeta", 9}, "registry.institutions", query);
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));

  // A position of the client's own making: the payload edited, the MAC kept.
  std::string forged = raw;
  forged.replace(forged.find("\n9\n"), 3, "\n1\n");
  ExpectRejected(DecodePageToken(absl::WebSafeBase64Escape(forged), "registry.institutions", query),
                 "edited position");
  // The unsigned format tokens had before: base64 of "v1\n<fingerprint>\n<pk>\n<sort value>".
  ExpectRejected(DecodePageToken(absl::WebSafeBase64Escape("v1\n0123456789abcdef\n5\n' OR 1=1"),
                                 "registry.institutions", query),
                 "unsigned token");
  ExpectRejected(DecodePageToken(token.substr(0, token.size() - 5), "registry.institutions", query),
                 "truncated");
  ExpectRejected(DecodePageToken(token.substr(0, 10), "registry.institutions", query),
                 "truncated to less than a MAC");
  ExpectRejected(DecodePageToken("not a token!", "registry.institutions", query), "garbage");
  ExpectRejected(
      DecodePageToken(std::string(kMaxPageTokenBytes + 1, 'A'), "registry.institutions", query),
      "oversized");
}

TEST(PageToken, ReplicasSharingAKeyFileHonourEachOthersTokensAndOthersDoNot) {
  const std::string query = PageQuery({"", "", "0"});
  const std::string path = absl::StrCat(::testing::TempDir(), "/page_token_key");
  { std::ofstream(path) << "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"; }
  ASSERT_TRUE(LoadPageTokenKeyFile(path).ok());
  const std::string token = EncodePageToken({"", 3}, "registry.institutions", query);
  ASSERT_TRUE(LoadPageTokenKeyFile(path).ok());  // another replica, same file
  EXPECT_TRUE(DecodePageToken(token, "registry.institutions", query).ok());
  ASSERT_TRUE(SetPageTokenKey(std::string(32, 'k')).ok());  // a deployment with another key
  ExpectRejected(DecodePageToken(token, "registry.institutions", query), "other key");

  { std::ofstream(path) << "too short\n"; }
  absl::Status short_key = LoadPageTokenKeyFile(path);
  EXPECT_EQ(short_key.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_key.message().find("at least 32 bytes"), std::string::npos);
  EXPECT_EQ(LoadPageTokenKeyFile(path + ".missing").code(), absl::StatusCode::kNotFound);
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

// Found by activity_request_fuzz (UBSan): CompareDates computed year * 10000 in an int, so a
// year past 214748 overflowed. GetActivityStats compares its period before validating the dates,
// so end_date 240024-01-01 was taken as before start_date 2024-05-01.
TEST(Dates, CompareDatesOrdersDatesOfAnyYear) {
  auto date = [](int year, int month, int day) {
    google::type::Date d;
    d.set_year(year);
    d.set_month(month);
    d.set_day(day);
    return d;
  };
  EXPECT_EQ(CompareDates(date(240024, 1, 1), date(2024, 5, 1)), 1);
  EXPECT_EQ(CompareDates(date(2024, 5, 1), date(240024, 1, 1)), -1);
  EXPECT_EQ(CompareDates(date(-240024, 1, 1), date(2024, 5, 1)), -1);
  EXPECT_EQ(CompareDates(date(2147483647, 12, 31), date(2147483647, 12, 31)), 0);
  EXPECT_EQ(CompareDates(date(2024, 5, 2), date(2024, 5, 1)), 1);
}

}  // namespace
}  // namespace imp::api
