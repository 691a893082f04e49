#include "common/api/filter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace imp::api {
namespace {

enum class TokenType { kWord, kString, kOp, kEnd };

struct Token {
  TokenType type;
  std::string text;
  size_t offset;
};

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view in) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    const size_t start = i;
    if (c == '"') {
      std::string value;
      ++i;
      bool closed = false;
      while (i < in.size()) {
        if (in[i] == '\\' && i + 1 < in.size()) {
          value.push_back(in[i + 1]);
          i += 2;
          continue;
        }
        if (in[i] == '"') {
          closed = true;
          ++i;
          break;
        }
        value.push_back(in[i++]);
      }
      if (!closed) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: unterminated string starting at offset ", start));
      }
      tokens.push_back({TokenType::kString, std::move(value), start});
      continue;
    }
    if (c == '(' || c == ')') {
      return absl::InvalidArgumentError("filter: parentheses are not supported; use AND of terms");
    }
    if (c == '=' || c == '!' || c == '<' || c == '>' || c == ':') {
      std::string op(1, c);
      if (i + 1 < in.size() && in[i + 1] == '=' && c != ':' && c != '=') op.push_back('=');
      if (op == "!") {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: unexpected '!' at offset ", start, "; did you mean '!='?"));
      }
      i += op.size();
      tokens.push_back({TokenType::kOp, std::move(op), start});
      continue;
    }
    while (i < in.size() && !absl::ascii_isspace(static_cast<unsigned char>(in[i])) &&
           std::string_view("=!<>:\"()").find(in[i]) == std::string_view::npos) {
      ++i;
    }
    tokens.push_back({TokenType::kWord, std::string(in.substr(start, i - start)), start});
  }
  tokens.push_back({TokenType::kEnd, "", in.size()});
  return tokens;
}

absl::StatusOr<FilterOp> OpFromText(const std::string& text) {
  if (text == "=") return FilterOp::kEq;
  if (text == "!=") return FilterOp::kNe;
  if (text == "<") return FilterOp::kLt;
  if (text == "<=") return FilterOp::kLe;
  if (text == ">") return FilterOp::kGt;
  if (text == ">=") return FilterOp::kGe;
  if (text == ":") return FilterOp::kHas;
  return absl::InvalidArgumentError(absl::StrCat("filter: unknown operator '", text, "'"));
}

bool Allowed(FieldKind kind, FilterOp op) {
  switch (kind) {
    case FieldKind::kEquality: return op == FilterOp::kEq || op == FilterOp::kNe;
    case FieldKind::kOrdered: return op != FilterOp::kHas && op != FilterOp::kSearch;
    case FieldKind::kRepeated: return op == FilterOp::kHas;
    case FieldKind::kExactDate: return op == FilterOp::kEq;
  }
  return false;
}

std::string KnownFields(const FilterSchema& schema) {
  std::vector<std::string> names;
  for (const auto& [name, kind] : schema) names.push_back(name);
  std::sort(names.begin(), names.end());
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::StatusOr<std::string> EnumValueName(const google::protobuf::EnumDescriptor* descriptor,
                                          absl::string_view prefix, absl::string_view value,
                                          absl::string_view field) {
  std::string name = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(name, prefix)) name = absl::StrCat(prefix, name);
  const auto* v = descriptor->FindValueByName(name);
  if (v == nullptr || v->number() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: ", field, " '", value, "' is not valid"));
  }
  return name;
}

const char* SqlComparison(FilterOp op) {
  switch (op) {
    case FilterOp::kNe: return " <> ";
    case FilterOp::kLt: return " < ";
    case FilterOp::kLe: return " <= ";
    case FilterOp::kGt: return " > ";
    case FilterOp::kGe: return " >= ";
    default: return " = ";
  }
}

absl::StatusOr<std::vector<FilterTerm>> ParseFilter(absl::string_view filter,
                                                    const FilterSchema& schema) {
  auto tokens_or = Tokenize(filter);
  if (!tokens_or.ok()) return tokens_or.status();
  const std::vector<Token>& tokens = *tokens_or;
  std::vector<FilterTerm> terms;
  size_t i = 0;
  if (tokens[0].type == TokenType::kEnd) return terms;
  for (;;) {
    const Token& first = tokens[i];
    if (first.type == TokenType::kWord && (first.text == "OR" || first.text == "NOT")) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: ", first.text, " is not supported; only AND of terms"));
    }
    if (first.type == TokenType::kString ||
        (first.type == TokenType::kWord && tokens[i + 1].type != TokenType::kOp)) {
      terms.push_back({"", FilterOp::kSearch, first.text});
      ++i;
    } else if (first.type == TokenType::kWord) {
      const Token& op_token = tokens[i + 1];
      const Token& value = tokens[i + 2];
      if (value.type != TokenType::kWord && value.type != TokenType::kString) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: missing value after '", first.text, " ", op_token.text, "'"));
      }
      auto field = schema.find(first.text);
      if (field == schema.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "filter: unknown field '", first.text, "'; filterable fields: ", KnownFields(schema)));
      }
      auto op = OpFromText(op_token.text);
      if (!op.ok()) return op.status();
      if (!Allowed(field->second, *op)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "filter: operator '", op_token.text, "' is not allowed on field '", first.text, "'"));
      }
      terms.push_back({first.text, *op, value.text});
      i += 3;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: unexpected '", first.text, "' at offset ", first.offset));
    }
    if (tokens[i].type == TokenType::kEnd) break;
    if (tokens[i].type == TokenType::kWord && tokens[i].text == "AND") {
      ++i;
      if (tokens[i].type == TokenType::kEnd) {
        return absl::InvalidArgumentError("filter: AND at the end needs a term after it");
      }
      continue;
    }
    if (tokens[i].type == TokenType::kWord && tokens[i].text == "OR") {
      return absl::InvalidArgumentError("filter: OR is not supported; only AND of terms");
    }
    // AIP-160: juxtaposition means AND.
  }
  return terms;
}

}  // namespace imp::api
