#ifndef IMP_COMMON_API_TEXT_H_
#define IMP_COMMON_API_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// Client text in error messages and URLs: the two places where what a client sent is handed on
// (to another client in a status message, to a browser in a link) and must not carry more than
// it should.
namespace imp::api {

// How many bytes of a value QuoteForMessage shows at most.
inline constexpr size_t kMaxQuotedBytes = 64;

// `value` in single quotes, safe to put in a status message: at most kMaxQuotedBytes bytes of
// it (cut on a UTF-8 boundary), control characters, quotes and backslashes escaped (\n \r \t
// \' \\ \xNN), bytes that are not UTF-8 escaped as \xNN; a cut value is followed by its full
// length: 'Laparoscopic...' (15360 bytes). The result is at most about 100 bytes, so a status
// message that quotes client input stays short whatever the client sent (gRPC carries the
// message in a trailer, and a trailer larger than the client's metadata limit turns the answer
// into RESOURCE_EXHAUSTED).
std::string QuoteForMessage(absl::string_view value);

// Text from elsewhere (a library's error message that quotes client input) made fit for a
// status message or a UTF-8 file: bytes that are not UTF-8 written as \xNN, at most `max_bytes`
// bytes of the result, cut between characters.
std::string Utf8Escaped(absl::string_view value, size_t max_bytes);

// The longest prefix of `value` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence.
absl::string_view Utf8Prefix(absl::string_view value, size_t max_bytes);

// The number of bytes of the UTF-8 sequence starting at value[i] when it is well formed (1 to
// 4), 0 when the byte at i does not start a well-formed sequence.
size_t Utf8SequenceLength(absl::string_view value, size_t i);

// The code point of a well-formed UTF-8 sequence (as Utf8SequenceLength accepts).
uint32_t CodePointOf(absl::string_view sequence);

// Whether a well-formed UTF-8 sequence is a character that changes how text is laid out or read
// rather than what it says: C0 and C1 controls, DEL, line and paragraph separators, and the
// bidirectional formatting characters (which can make "moc.live" display as "evil.com").
bool IsControlSequence(absl::string_view sequence);

// How a stored text field may be laid out: on one line (a title, a name) or on several (notes,
// descriptions, reasons).
enum class TextLines { kOne, kMany };

// Text a client stores for others to read (in a list, a CSV or HXL file, a terminal) carries no
// characters that change how it is shown rather than what it says: no control character
// (IsControlSequence: C0, DEL, C1, line/paragraph separators, bidi overrides), except that a
// multi-line field may hold tabs, line feeds and a carriage return before a line feed.
// INVALID_ARGUMENT otherwise, naming `field`, the character and its byte offset:
//   "activity.title: control character U+001B at byte 7 is not allowed"
// Bytes that are not UTF-8 are left to the wire format, which refuses them in a string field.
absl::Status CheckStoredText(absl::string_view value, absl::string_view field, TextLines lines);

// A link a client stores for others to follow (Institution.website, Agreement.document_uri):
// an absolute http:// or https:// URL with a host, at most `max_bytes` bytes, no spaces, no
// control characters (C0, DEL, C1, Unicode line/paragraph separators and bidi overrides) and
// no ASCII character that RFC 3986 does not allow in a URL (" < > \ ^ ` { | }); non-ASCII
// letters (an IRI such as https://moz.gov.ua/новини) are allowed. INVALID_ARGUMENT naming
// `field` otherwise. An empty value is for the caller to accept or refuse.
absl::Status ValidateHttpUrl(absl::string_view value, absl::string_view field, size_t max_bytes);

}  // namespace imp::api

#endif  // IMP_COMMON_API_TEXT_H_
