#include "common/api/filter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/text.h"

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
           absl::string_view("=!<>:\"()").find(in[i]) == absl::string_view::npos) {
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
  for (const auto& [name, spec] : schema) names.push_back(name);
  std::sort(names.begin(), names.end());
  return absl::StrJoin(names, ", ");
}

void AddDistinct(std::vector<std::string>& values, std::string value) {
  if (std::find(values.begin(), values.end(), value) == values.end()) {
    values.push_back(std::move(value));
  }
}

bool Contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Folds a bound into `bound`: keeps the tighter one; at equal values the exclusive one.
void Tighten(std::optional<std::string>& bound, bool& inclusive, const std::string& value,
             bool value_inclusive, bool lower) {
  if (!bound || (lower ? value > *bound : value < *bound)) {
    bound = value;
    inclusive = value_inclusive;
  } else if (value == *bound) {
    inclusive = inclusive && value_inclusive;
  }
}

// False when the folded condition of a single-valued field can never hold; simplifies it.
bool SimplifySingleValued(FieldCondition& c, bool exact) {
  if (exact && c.equal.size() > 1) return false;
  for (const auto& v : c.equal) {
    if (Contains(c.not_equal, v)) return false;
    if (c.lower && (v < *c.lower || (v == *c.lower && !c.lower_inclusive))) return false;
    if (c.upper && (v > *c.upper || (v == *c.upper && !c.upper_inclusive))) return false;
  }
  if (c.lower && c.upper &&
      (*c.lower > *c.upper ||
       (*c.lower == *c.upper && !(c.lower_inclusive && c.upper_inclusive)))) {
    return false;
  }
  if (exact && c.equal.size() == 1) {
    // The one value satisfies every other term: they add nothing.
    c.not_equal.clear();
    c.lower.reset();
    c.upper.reset();
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<FilterTerm>> ParseFilter(absl::string_view filter,
                                                    const FilterSchema& schema) {
  if (filter.size() > kMaxFilterBytes) {
    return absl::InvalidArgumentError(absl::StrCat("filter: at most ", kMaxFilterBytes,
                                                   " bytes (this one has ", filter.size(), ")"));
  }
  auto tokens_or = Tokenize(filter);
  if (!tokens_or.ok()) return tokens_or.status();
  const std::vector<Token>& tokens = *tokens_or;
  std::vector<FilterTerm> terms;
  size_t i = 0;
  if (tokens[0].type == TokenType::kEnd) return terms;
  for (;;) {
    if (terms.size() == kMaxFilterTerms) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: at most ", kMaxFilterTerms, " terms joined by AND"));
    }
    const Token& first = tokens[i];
    if (first.type == TokenType::kWord && (first.text == "OR" || first.text == "NOT")) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: ", first.text, " is not supported; only AND of terms"));
    }
    if (first.type == TokenType::kString ||
        (first.type == TokenType::kWord && tokens[i + 1].type != TokenType::kOp)) {
      if (!IsValidUtf8(first.text)) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: search text ", QuoteForMessage(first.text), " is not valid UTF-8"));
      }
      terms.push_back({"", FilterOp::kSearch, first.text});
      ++i;
    } else if (first.type == TokenType::kWord) {
      const Token& op_token = tokens[i + 1];
      const Token& value = tokens[i + 2];
      auto field = schema.find(first.text);
      if (field == schema.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: unknown field ", QuoteForMessage(first.text),
                         "; filterable fields: ", KnownFields(schema)));
      }
      if (value.type != TokenType::kWord && value.type != TokenType::kString) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter: missing value after '", first.text, " ", op_token.text, "'"));
      }
      auto op = OpFromText(op_token.text);
      if (!op.ok()) return op.status();
      if (!Allowed(field->second.kind, *op)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "filter: operator '", op_token.text, "' is not allowed on field '", first.text, "'"));
      }
      auto canonical = CheckFilterValue(field->second, field->first, value.text);
      if (!canonical.ok()) return canonical.status();
      terms.push_back({first.text, *op, std::move(*canonical)});
      i += 3;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("filter: unexpected ", QuoteForMessage(first.text), " at offset ", first.offset));
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

absl::StatusOr<CompiledFilter> CompileFilter(absl::string_view filter, const FilterSchema& schema) {
  auto terms = ParseFilter(filter, schema);
  if (!terms.ok()) return terms.status();
  CompiledFilter out;
  for (auto& t : *terms) {
    if (t.op == FilterOp::kSearch) {
      AddDistinct(out.search, std::move(t.value));
      continue;
    }
    FieldCondition& c = out.fields[t.field];
    switch (t.op) {
      case FilterOp::kEq:
      case FilterOp::kHas: AddDistinct(c.equal, std::move(t.value)); break;
      case FilterOp::kNe: AddDistinct(c.not_equal, std::move(t.value)); break;
      case FilterOp::kLt:
      case FilterOp::kLe:
        Tighten(c.upper, c.upper_inclusive, t.value, t.op == FilterOp::kLe, false);
        break;
      case FilterOp::kGt:
      case FilterOp::kGe:
        Tighten(c.lower, c.lower_inclusive, t.value, t.op == FilterOp::kGe, true);
        break;
      case FilterOp::kSearch: break;
    }
  }
  for (auto& field : out.fields) {
    FieldCondition& c = field.second;  // named: lambdas cannot capture structured bindings
    const FieldSpec& spec = schema.at(field.first);
    std::sort(c.equal.begin(), c.equal.end());
    std::sort(c.not_equal.begin(), c.not_equal.end());
    const bool multi = spec.multi_valued || spec.kind == FieldKind::kRepeated;
    const bool exact = spec.value != FilterValue::kText && spec.value != FilterValue::kRegion;
    const bool possible =
        multi ? std::none_of(c.equal.begin(), c.equal.end(),
                             [&](const std::string& v) { return Contains(c.not_equal, v); })
              : SimplifySingleValued(c, exact);
    if (!possible) out.matches_nothing = true;
  }
  return out;
}

}  // namespace imp::api
