// TokenSource: reloading the tokens file (on demand and when it changes), keeping the tokens in
// force when the new file is refused. Files only, no network.
#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/db/migrations.h"
#include "gateway/src/token_source.h"
#include "gtest/gtest.h"
#include "tests/gateway/log_lines.h"
#include "tests/support/log_capture.h"

namespace imp::gateway {
namespace {

std::multimap<grpc::string_ref, grpc::string_ref> Bearer(const std::string& header) {
  return {{"authorization", header}};
}

class TokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/token-source-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void Write(const std::string& text) {
    std::ofstream(path_ + ".new") << text;
    ASSERT_EQ(std::rename((path_ + ".new").c_str(), path_.c_str()), 0);
  }
  static std::string Line(const std::string& token, const std::string& rest) {
    return absl::StrCat(db::Sha256Hex(token), " ", rest, "\n");
  }
  bool Accepts(const TokenSource& tokens, const std::string& token) {
    const std::string header = "Bearer " + token;
    return tokens.Authenticate(Bearer(header)).ok();
  }

  std::string path_;
};

// SECURITY.md: "a token past its expiry": `expires=` on a token's line; refused from that moment
// on (no reload needed), a malformed time refused with the file's line.
TEST_F(TokenSourceTest, ATokenIsRefusedFromItsExpiryOnAndAMalformedExpiryNamesItsLine) {
  auto store =
      TokenStore::Parse(Line("alpha", "editor lviv institutions/lviv expires=2027-01-31T00:00:00Z") +
                        Line("beta", "viewer analyst"));
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Time expiry;
  std::string why;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2027-01-31T00:00:00Z", &expiry, &why));
  const std::string alpha = "Bearer alpha";
  auto before = store->Authenticate(Bearer(alpha), expiry - absl::Seconds(1));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE(before->InScope("institutions/lviv")) << "the scope still reads after expires=";
  absl::StatusOr<Principal> after = store->Authenticate(Bearer(alpha), expiry);
  EXPECT_TRUE(absl::IsUnauthenticated(after.status())) << after.status();
  EXPECT_EQ(std::string(after.status().message()), "bearer token expired at 2027-01-31T00:00:00Z");
  const std::string beta = "Bearer beta";
  const absl::Time far = absl::FromCivil(absl::CivilSecond(2200, 1, 1), absl::UTCTimeZone());
  EXPECT_TRUE(store->Authenticate(Bearer(beta), far).ok())
      << "no expiry: never expires";

  auto bad = TokenStore::Parse(Line("beta", "viewer analyst") +
                               Line("alpha", "viewer analyst expires=next-tuesday"));
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "tokens file line 2: expires="))
      << bad.status();
}

TEST_F(TokenSourceTest, ReloadReplacesTheTokensAndRefusesABrokenFileKeepingTheOldOnes) {
  Write(Line("alpha", "admin office") + Line("beta", "viewer analyst"));
  TokenSource tokens(path_);
  ASSERT_TRUE(tokens.Reload().ok());
  EXPECT_TRUE(Accepts(tokens, "alpha"));
  EXPECT_TRUE(Accepts(tokens, "beta"));

  // beta revoked, gamma added.
  Write(Line("alpha", "admin office") + Line("gamma", "editor lviv institutions/lviv"));
  ASSERT_TRUE(tokens.Reload().ok());
  EXPECT_FALSE(Accepts(tokens, "beta"));
  EXPECT_TRUE(Accepts(tokens, "gamma"));

  // Line 3 is broken: nothing of the new file applies, and the error names the line.
  Write("# comment\n" + Line("delta", "viewer x") + "not-a-digest admin someone\n");
  absl::Status refused = tokens.Reload();
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_NE(refused.message().find("line 3"), std::string::npos) << refused;
  EXPECT_TRUE(Accepts(tokens, "alpha"));
  EXPECT_TRUE(Accepts(tokens, "gamma"));
  EXPECT_FALSE(Accepts(tokens, "delta"));

  // A missing file is refused too.
  std::remove(path_.c_str());
  EXPECT_TRUE(absl::IsFailedPrecondition(tokens.Reload()));
  EXPECT_TRUE(Accepts(tokens, "alpha"));
}

TEST_F(TokenSourceTest, AChangedFileIsPickedUpByTheWatcher) {
  Write(Line("alpha", "admin office") + Line("beta", "viewer analyst"));
  TokenSource tokens(path_);
  ASSERT_TRUE(tokens.Reload().ok());
  tokens.StartWatching(absl::Milliseconds(50));
  const std::shared_ptr<const TokenStore> before = tokens.Snapshot();

  Write(Line("alpha", "admin office"));  // beta revoked
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (Accepts(tokens, "beta") && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(Accepts(tokens, "beta"));
  EXPECT_TRUE(Accepts(tokens, "alpha"));
  // A request that took the snapshot before the reload still holds a whole, unchanged store.
  EXPECT_EQ(before->size(), 2u);

  // A broken file is ignored by the watcher as well (and logged); then a good one applies. The
  // watcher's refusal line is the event after which the file would have applied.
  {
    testing::LogCapture capture;
    Write(Line("alpha", "admin office") + "broken\n");
    ASSERT_EQ(AwaitLogLines(EventLine("tokens_not_reloaded", path_)).size(), 1u)
        << "the watcher never refused the broken file";
  }
  EXPECT_TRUE(Accepts(tokens, "alpha"));
  EXPECT_EQ(tokens.Snapshot()->size(), 1u);
  Write(Line("gamma", "viewer analyst"));
  const absl::Time again = absl::Now() + absl::Seconds(5);
  while (!Accepts(tokens, "gamma") && absl::Now() < again) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(Accepts(tokens, "gamma"));
  EXPECT_FALSE(Accepts(tokens, "alpha"));
  tokens.StopWatching();
}

}  // namespace
}  // namespace imp::gateway
