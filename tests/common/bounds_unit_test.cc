// Unit tests of the helpers that keep client input bounded: quoting in error messages, URL
// checks, per-field limits, byte-bounded pages and log lines.
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/struct.pb.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/api/bounds.h"
#include "common/api/page_budget.h"
#include "common/api/text.h"
#include "common/log.h"
#include "gtest/gtest.h"

namespace imp {
namespace {

TEST(QuoteForMessage, ShortValuesAreQuotedAsTheyAre) {
  EXPECT_EQ(api::QuoteForMessage("XX"), "'XX'");
  EXPECT_EQ(api::QuoteForMessage(""), "''");
  EXPECT_EQ(api::QuoteForMessage("Охматдит"), "'Охматдит'");
}

TEST(QuoteForMessage, LongValuesAreCutOnACharacterAndSayHowLongTheyWere) {
  std::string value;
  for (int i = 0; i < 100; ++i) value += "ж";  // two bytes each
  const std::string quoted = api::QuoteForMessage(value);
  EXPECT_TRUE(absl::EndsWith(quoted, "... (200 bytes)")) << quoted;
  EXPECT_LE(quoted.size(), 100u);
  // The cut falls between characters: what is shown is whole "ж"s.
  const std::string shown = quoted.substr(1, quoted.find('\'', 1) - 1);
  EXPECT_EQ(shown.size() % 2, 0u);
  EXPECT_EQ(api::QuoteForMessage(std::string(1 << 20, 'a')).size(),
            api::QuoteForMessage(std::string(70, 'a')).size() + 5);  // "70" -> "1048576"
}

TEST(QuoteForMessage, ControlCharactersQuotesAndStrayBytesAreEscaped) {
  EXPECT_EQ(api::QuoteForMessage("a\r\nb\tc"), "'a\\r\\nb\\tc'");
  EXPECT_EQ(api::QuoteForMessage("it's \\"), "'it\\'s \\\\'");
  EXPECT_EQ(api::QuoteForMessage(std::string("\x01\x7f", 2)), "'\\x01\\x7F'");
  EXPECT_EQ(api::QuoteForMessage("\xff\xfe"), "'\\xFF\\xFE'");
  EXPECT_EQ(api::QuoteForMessage("moc\u202E.live"), "'moc\\u202E.live'");
  // Escapes count towards the bound too.
  EXPECT_LE(api::QuoteForMessage(std::string(1000, '\n')).size(), 100u);
}

TEST(Utf8Prefix, NeverEndsInsideACharacter) {
  EXPECT_EQ(api::Utf8Prefix("abc", 10), "abc");
  EXPECT_EQ(api::Utf8Prefix("abc", 2), "ab");
  EXPECT_EQ(api::Utf8Prefix("aжb", 2), "a");
  EXPECT_EQ(api::Utf8Prefix("aжb", 3), "aж");
}

TEST(ValidateHttpUrl, AcceptsAbsoluteHttpAndHttpsUrls) {
  for (const char* url : {"https://www.okhmatdyt.com.ua/", "http://example.org",
                          "https://moz.gov.ua/новини?page=2#top", "HTTPS://EXAMPLE.ORG/A%20B",
                          "https://[2001:db8::1]:8443/x"}) {
    EXPECT_TRUE(api::ValidateHttpUrl(url, "institution.website", 500).ok()) << url;
  }
}

TEST(ValidateHttpUrl, RefusesOtherSchemesControlCharactersSpacesAndOversizedUrls) {
  for (const std::string& url : std::vector<std::string>{
           "javascript:alert(1)", "JavaScript://%0aalert(1)", "data:text/html,<b>x</b>",
           "ftp://example.org/", "//example.org/", "example.org", "https://", "https:///path",
           "https://:443/", "https://example.org/\r\nSet-Cookie: x=1", "https://example.org/a b",
           "https://example.org/\t", "https://example.org/<script>", "https://exa\u202Emple.org/",
           "https://example.org/\u0085", std::string("https://example.org/\0", 21)}) {
    absl::Status s = api::ValidateHttpUrl(url, "agreement.document_uri", 1000);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(absl::StartsWith(s.message(), "agreement.document_uri: ")) << s;
  }
  absl::Status s = api::ValidateHttpUrl("https://example.org/" + std::string(500, 'a'),
                                        "institution.website", 500);
  EXPECT_EQ(s.message(), "institution.website: must be at most 500 bytes (got 520)");
}

// google.protobuf.Struct/ListValue stand in for request messages: strings, repeated fields and
// messages inside messages.
const api::FieldLimits& TestLimits() {
  static const auto* const limits = new api::FieldLimits{
      {"google.protobuf.FieldMask.paths", {5, 3}},
      {"google.protobuf.ListValue.values", {0, 4}},
      {"google.protobuf.Value.string_value", {10, 0}},
      {"google.protobuf.Struct.fields", {0, 100}},
  };
  return *limits;
}

TEST(CheckBounds, NamesTheFieldByItsPathAndGivesTheLimit) {
  google::protobuf::FieldMask mask;
  mask.add_paths("title");
  mask.add_paths("abcdef");
  EXPECT_EQ(api::CheckBounds(mask, "update_mask", TestLimits()).message(),
            "update_mask.paths[1]: at most 5 bytes (got 6)");
  mask.add_paths("a");
  mask.add_paths("b");
  EXPECT_EQ(api::CheckBounds(mask, "", TestLimits()).message(), "paths: at most 3 entries (got 4)");

  google::protobuf::ListValue list;
  list.add_values()->set_string_value("short");
  list.add_values()->mutable_list_value()->add_values()->set_string_value(std::string(11, 'x'));
  absl::Status s = api::CheckBounds(list, "activity", TestLimits());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "activity.values[1].list_value.values[0].string_value: at most 10 bytes "
            "(got 11)");
  list.mutable_values(1)->set_string_value("ok");
  EXPECT_TRUE(api::CheckBounds(list, "activity", TestLimits()).ok());
}

TEST(CheckBounds, AFieldWithoutALimitGetsTheDefault) {
  google::protobuf::Value value;
  value.set_string_value(std::string(10, 'x'));
  EXPECT_TRUE(api::CheckBounds(value, "", {}).ok());
  value.set_string_value(std::string(api::kDefaultFieldLimit.max_bytes + 1, 'x'));
  EXPECT_EQ(api::CheckBounds(value, "", {}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(api::UnlistedFields(google::protobuf::ListValue::descriptor(), TestLimits()),
            (std::vector<std::string>{"google.protobuf.Struct.FieldsEntry.key"}));
}

TEST(CheckBounds, StringFieldsRefuseControlCharactersAndMultiLineFieldsKeepTabsAndLineBreaks) {
  api::FieldLimits limits = TestLimits();
  google::protobuf::Value value;
  value.set_string_value("a\x1b[2J");
  EXPECT_EQ(api::CheckBounds(value, "note", limits).message(),
            "note.string_value: control character U+001B at byte 1 is not allowed (a single-line "
            "field)");
  for (const char* bad : {"a\tb", "a\nb", "a\r\nb", "\x7f", "\xc2\x85", "\xe2\x80\xae",
                          "\xe2\x81\xa9", "\xe2\x80\xa8", "\xe2\x80\x8f"}) {
    value.set_string_value(bad);
    EXPECT_EQ(api::CheckBounds(value, "", limits).code(), absl::StatusCode::kInvalidArgument)
        << api::Utf8Escaped(bad, 20);
  }
  limits["google.protobuf.Value.string_value"].lines = api::TextLines::kMany;
  for (const char* good : {"a\tb", "a\nb", "a\r\nb", "Київ\n"}) {
    value.set_string_value(good);
    EXPECT_TRUE(api::CheckBounds(value, "", limits).ok()) << good;
  }
  for (const char* bad : {"a\rb", "a\r", "\x0b", "\x0c", "\x1b"}) {
    value.set_string_value(bad);
    EXPECT_EQ(api::CheckBounds(value, "", limits).code(), absl::StatusCode::kInvalidArgument)
        << api::Utf8Escaped(bad, 20);
  }
  value.set_string_value("ok\r");
  EXPECT_EQ(api::CheckBounds(value, "", limits).message(),
            "string_value: control character U+000D at byte 2 is not allowed (a multi-line field "
            "may hold tabs and line breaks)");
}

TEST(PageBudget, StopsBeforeTheBudgetButAlwaysTakesTheFirstItem) {
  google::protobuf::Value item;
  item.set_string_value(std::string(1 << 20, 'x'));  // 1 MiB
  api::PageBudget budget;                            // 3 MiB
  EXPECT_TRUE(budget.Fits(item));
  EXPECT_TRUE(budget.Fits(item));
  EXPECT_FALSE(budget.Fits(item));  // a third would pass 3 MiB with the room kept for the token
  api::PageBudget tiny(100);
  EXPECT_TRUE(tiny.Fits(item));
  EXPECT_FALSE(tiny.Fits(item));
}

// Runs Log and returns what it wrote to stderr.
std::string Logged(std::initializer_list<LogField> fields) {
  ::testing::internal::CaptureStderr();
  Log(LogLevel::kWarning, "rpc", fields);
  return ::testing::internal::GetCapturedStderr();
}

TEST(Log, AValueWithControlCharactersStaysOnOneEscapedLine) {
  const std::string line = Logged({{"error", "name: 'x'\r\nlevel=error event=forged\x1b[31m\t"}});
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_TRUE(absl::StrContains(line, R"(error="name: 'x'\r\nlevel=error event=forged\x1B[31m\t")"))
      << line;
}

TEST(Log, AHugeValueIsCutAndSaysHowLongItWas) {
  const std::string line = Logged({{"error", std::string(30 << 20, 'a')}, {"actor", "ok"}});
  EXPECT_LT(line.size(), kMaxLogValueBytes + 200);
  EXPECT_TRUE(absl::StrContains(line, "...(31457280 bytes)\" actor=ok\n")) << line.substr(0, 200);
}

TEST(Log, StrayBytesAndUnicodeControlsAreEscapedAndTextIsKept) {
  const std::string line = Logged({{"actor", "Лікар\xff\u2028x"}, {"plain", "ok"}});
  EXPECT_TRUE(absl::StrContains(line, R"(actor="Лікар\xFF\u2028x" plain=ok)")) << line;
}

}  // namespace
}  // namespace imp
