#include "tests/galera/figures.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/fault/suite.h"
#include "tests/galera/cluster.h"

namespace imp::testing::galera {
namespace {

std::string GitCommit() {
  if (const char* env = std::getenv("IMP_GIT_COMMIT"); env != nullptr && *env != '\0') return env;
  const char* src = std::getenv("IMP_SOURCE_DIR");
  const std::string dir = src != nullptr && *src != '\0' ? src : IMP_SOURCE_DIR_DEFAULT;
  auto out = RunCommand(absl::StrCat("git -C '", dir, "' rev-parse HEAD"));
  return out.ok() ? std::string(absl::StripAsciiWhitespace(*out)) : "";
}

}  // namespace

std::string GaleraFiguresPath(const std::string& file) {
  const char* dir = std::getenv("IMP_REPORT_DIR");
  const std::string base =
      dir != nullptr && *dir != '\0' ? std::string(dir) : fault::BuildDir() + "/reports";
  return base + "/" + file;
}

std::string WriteGaleraFigures(const std::vector<std::pair<std::string, std::string>>& figures,
                               const std::string& file) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  google::protobuf::Struct record;
  auto& fields = *record.mutable_fields();
  fields["test"].set_string_value(
      info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name()) : "?");
  fields["utc"].set_string_value(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  const std::string commit = GitCommit();
  if (commit.empty()) {
    fields["git_commit"].set_null_value(google::protobuf::NULL_VALUE);
  } else {
    fields["git_commit"].set_string_value(commit);
  }
  fields["passed"].set_bool_value(!::testing::Test::HasFailure());
  auto& values = *fields["figures"].mutable_struct_value()->mutable_fields();
  for (const auto& [key, value] : figures) {
    double number = 0;
    if (absl::SimpleAtod(value, &number) && std::isfinite(number)) {
      values[key].set_number_value(number);
    } else {
      values[key].set_string_value(value);
    }
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(record, &json, options).ok()) {
    return "cannot serialise the figures as JSON";
  }
  const std::filesystem::path path = GaleraFiguresPath(file);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return absl::StrCat("cannot create ", path.parent_path().string(), ": ", ec.message());
  // Written aside and renamed: a reader never sees half a file.
  const std::filesystem::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    if (!(out << json << "\n")) return "cannot write " + partial.string();
  }
  std::filesystem::rename(partial, path, ec);
  if (ec) return absl::StrCat("cannot rename to ", path.string(), ": ", ec.message());
  std::printf("FIGURES written to %s\n", path.c_str());
  std::fflush(stdout);
  return "";
}

}  // namespace imp::testing::galera
