#include "common/api/text.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace imp::api {
namespace {

// The code point of the well-formed sequence of `n` bytes at value[i].
uint32_t CodePoint(absl::string_view value, size_t i, size_t n) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(value[i + k]); };
  switch (n) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    case 3: return ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    default:
      return ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) |
             (b(3) & 0x3Fu);
  }
}

// See IsControlSequence.
bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// How QuoteForMessage writes the sequence of `n` bytes at value[i] (n == 0: a stray byte).
std::string Escaped(absl::string_view value, size_t i, size_t n) {
  if (n == 0) return absl::StrFormat("\\x%02X", static_cast<unsigned char>(value[i]));
  const uint32_t cp = CodePoint(value, i, n);
  switch (cp) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\'': return "\\'";
    case '\\': return "\\\\";
    default: break;
  }
  if (cp < 0x80 && IsControl(cp)) return absl::StrFormat("\\x%02X", cp);
  if (IsControl(cp)) return absl::StrFormat("\\u%04X", cp);
  return std::string(value.substr(i, n));
}

// RFC 3986 allows these ASCII characters in a URL besides letters and digits ('%' starts a
// percent-encoded byte).
bool IsUrlPunctuation(char c) {
  static constexpr absl::string_view kAllowed = "-._~:/?#[]@!$&'()*+,;=%";
  return kAllowed.find(c) != absl::string_view::npos;
}

absl::Status BadUrl(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

}  // namespace

uint32_t CodePointOf(absl::string_view sequence) { return CodePoint(sequence, 0, sequence.size()); }

bool IsControlSequence(absl::string_view sequence) { return IsControl(CodePointOf(sequence)); }

absl::Status CheckStoredText(absl::string_view value, absl::string_view field, TextLines lines) {
  for (size_t i = 0; i < value.size();) {
    const size_t n = Utf8SequenceLength(value, i);
    if (n == 0) {
      ++i;
      continue;
    }
    const uint32_t cp = CodePoint(value, i, n);
    const bool layout = cp == '\t' || cp == '\n' ||
                        (cp == '\r' && i + 1 < value.size() && value[i + 1] == '\n');
    if (IsControl(cp) && !(lines == TextLines::kMany && layout)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: control character U+%04X at byte %d is not allowed%s", field, cp, i,
          lines == TextLines::kMany ? " (a multi-line field may hold tabs and line breaks)"
                                    : " (a single-line field)"));
    }
    i += n;
  }
  return absl::OkStatus();
}

size_t Utf8SequenceLength(absl::string_view value, size_t i) {
  const auto b0 = static_cast<unsigned char>(value[i]);
  if (b0 < 0x80) return 1;
  size_t n;
  uint32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > value.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(value[i + k]) & 0xC0) != 0x80) return 0;
  }
  const uint32_t cp = CodePoint(value, i, n);
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

absl::string_view Utf8Prefix(absl::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) return value;
  size_t end = max_bytes;
  // Step back over continuation bytes to the start of the sequence that was cut.
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return value.substr(0, end);
}

std::string QuoteForMessage(absl::string_view value) {
  std::string out = "'";
  size_t i = 0;
  while (i < value.size()) {
    const size_t n = Utf8SequenceLength(value, i);
    const std::string piece = Escaped(value, i, n);
    if (out.size() - 1 + piece.size() > kMaxQuotedBytes) break;
    out += piece;
    i += n == 0 ? 1 : n;
  }
  out += "'";
  if (i < value.size()) absl::StrAppend(&out, "... (", value.size(), " bytes)");
  return out;
}

std::string Utf8Escaped(absl::string_view value, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < value.size();) {
    const size_t n = Utf8SequenceLength(value, i);
    const std::string piece = n == 0
                                  ? absl::StrFormat("\\x%02X", static_cast<unsigned char>(value[i]))
                                  : std::string(value.substr(i, n));
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += n == 0 ? 1 : n;
  }
  return out;
}

absl::Status ValidateHttpUrl(absl::string_view value, absl::string_view field, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return BadUrl(field,
                  absl::StrCat("must be at most ", max_bytes, " bytes (got ", value.size(), ")"));
  }
  const absl::string_view lower_start = value.substr(0, 8);
  size_t scheme_end;
  if (absl::StartsWithIgnoreCase(lower_start, "https://")) {
    scheme_end = 8;
  } else if (absl::StartsWithIgnoreCase(lower_start, "http://")) {
    scheme_end = 7;
  } else {
    return BadUrl(field, "must be an absolute http:// or https:// URL");
  }
  for (size_t i = 0; i < value.size();) {
    const size_t n = Utf8SequenceLength(value, i);
    if (n == 0) return BadUrl(field, "is not valid UTF-8");
    const uint32_t cp = CodePoint(value, i, n);
    if (cp == ' ') return BadUrl(field, "must not contain spaces (write them as %20)");
    if (IsControl(cp)) return BadUrl(field, "must not contain control characters");
    if (cp < 0x80 && !absl::ascii_isalnum(static_cast<unsigned char>(cp)) &&
        !IsUrlPunctuation(static_cast<char>(cp))) {
      return BadUrl(field, absl::StrCat("must not contain ", QuoteForMessage(value.substr(i, 1)),
                                        " (percent-encode it)"));
    }
    i += n;
  }
  const absl::string_view rest = value.substr(scheme_end);
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const size_t at = authority.rfind('@');
  const absl::string_view host_port =
      at == absl::string_view::npos ? authority : authority.substr(at + 1);
  const absl::string_view host = host_port.substr(0, host_port.rfind(':'));
  if (host.empty()) return BadUrl(field, "must name a host, e.g. https://example.org/");
  return absl::OkStatus();
}

}  // namespace imp::api
