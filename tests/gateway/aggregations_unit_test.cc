// The gateway's arithmetic without a network.
#include "gateway/src/aggregations.h"
#include "gtest/gtest.h"

namespace imp::gateway {
namespace {

namespace reg = registry::v1;

google::type::Date D(int y, int m, int d) {
  google::type::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

reg::Agreement Signed(const google::type::Date& on,
                      reg::Agreement::State state = reg::Agreement::STATE_ACTIVE) {
  reg::Agreement a;
  a.set_state(state);
  *a.mutable_signed_on() = on;
  return a;
}

TEST(InForceOn, RespectsStateSigningAndValidity) {
  reg::Agreement a = Signed(D(2024, 6, 14));
  *a.mutable_valid_until() = D(2025, 6, 13);
  EXPECT_FALSE(InForceOn(a, D(2024, 6, 13)));
  EXPECT_TRUE(InForceOn(a, D(2024, 6, 14)));
  EXPECT_TRUE(InForceOn(a, D(2025, 6, 13)));
  EXPECT_FALSE(InForceOn(a, D(2025, 6, 14)));
  a.set_state(reg::Agreement::STATE_TERMINATED);
  EXPECT_FALSE(InForceOn(a, D(2024, 12, 1)));
  a.set_state(reg::Agreement::STATE_SUSPENDED);
  EXPECT_TRUE(InForceOn(a, D(2024, 12, 1)));
}

TEST(SummarizeAgreements, TheCumulativeCurveCoversEveryMonth) {
  // 25 at launch in September 2023, 9 more by June 2024: 34.
  std::vector<reg::Agreement> agreements;
  for (int i = 0; i < 25; ++i) agreements.push_back(Signed(D(2023, 9, 6)));
  for (int i = 0; i < 9; ++i) agreements.push_back(Signed(D(2024, 6, 14)));
  agreements.push_back(Signed(D(2024, 1, 1), reg::Agreement::STATE_PROPOSED));  // not signed
  v1::GetProgramSummaryResponse out;
  SummarizeAgreements(agreements, {}, google::type::Date(), D(2024, 6, 30), &out);
  ASSERT_EQ(out.cumulative_partnerships_size(), 10);  // 2023-09 .. 2024-06
  EXPECT_EQ(out.cumulative_partnerships(0).cumulative(), 25);
  EXPECT_EQ(out.cumulative_partnerships(4).month(), "2024-01");
  EXPECT_EQ(out.cumulative_partnerships(4).signed_in_month(), 0);
  EXPECT_EQ(out.cumulative_partnerships(9).cumulative(), 34);
  EXPECT_EQ(out.agreements_signed_in_period(), 34);
  EXPECT_EQ(out.agreements_in_force_at_end(), 34);
}

}  // namespace
}  // namespace imp::gateway
