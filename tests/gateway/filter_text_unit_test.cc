// The gateway's one filter-quoting function against the filter grammar the services parse.
#include "common/api/filter.h"
#include "gateway/src/filter_text.h"
#include "gtest/gtest.h"

namespace imp::gateway {
namespace {

TEST(FilterText, HostileValuesRoundTripThroughTheParserAsOneTerm) {
  const api::FilterSchema schema = {
      {"cooperation_areas", api::FieldSpec{api::FieldKind::kRepeated, api::FilterValue::kText}},
      {"state", api::FieldSpec{api::FieldKind::kEquality, api::FilterValue::kText}}};
  for (const std::string& value : {
           std::string("oncology\" state = \"TERMINATED"),
           std::string("oncology\\\" state = \\\"TERMINATED"),
           std::string("\\"),
           std::string("\\\\\""),
           std::string("\""),
           std::string("a\" OR \"b"),
           std::string("x\" AND state = \"ACTIVE\" AND cooperation_areas : \"y"),
           std::string("trailing backslash \\"),
           std::string("(parenthesis)"),
           std::string("Лікарня \"Охматдит\""),
           std::string(),
       }) {
    const std::string filter = FilterTerm("cooperation_areas", ":", value);
    auto terms = api::ParseFilter(filter, schema);
    ASSERT_TRUE(terms.ok()) << filter << ": " << terms.status();
    ASSERT_EQ(terms->size(), 1u) << filter;
    EXPECT_EQ((*terms)[0].field, "cooperation_areas");
    EXPECT_EQ((*terms)[0].op, api::FilterOp::kHas);
    EXPECT_EQ((*terms)[0].value, value) << filter;
  }
  // A value the field refuses (control characters) stays one value: refused as that field's,
  // never read as more terms.
  auto refused = api::ParseFilter(FilterTerm("cooperation_areas", ":", "line\nbreak\" state = \"X"),
                                  schema);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().rfind("filter: cooperation_areas", 0), 0u)
      << refused.status();
}

TEST(FilterText, QuotingEscapesOnlyBackslashAndDoubleQuote) {
  EXPECT_EQ(QuoteFilterValue("institutions/lviv"), "\"institutions/lviv\"");
  EXPECT_EQ(QuoteFilterValue("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(FilterTerm("parties", ":", "institutions/lviv"), "parties : \"institutions/lviv\"");
}

}  // namespace
}  // namespace imp::gateway
