#include "common/api/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace imp::api {
namespace {

// Token (before URL-safe base64): "p2\n<collection>\n<query digest>\n<pk>\n<sort value>" followed
// by the 32-byte HMAC-SHA256 of everything before it. The collection and a digest of the query
// travel in clear (the MAC covers them) so that a genuine token used on the wrong request gets
// a precise message.
constexpr char kVersion[] = "p2";
constexpr size_t kMacBytes = 32;
constexpr size_t kMaxKeyFileBytes = 4096;

// Readers copy the key under the mutex; it is written at start (SetPageTokenKey) or once, at
// first use, when no key was installed.
ABSL_CONST_INIT absl::Mutex key_mu(absl::kConstInit);
std::string* key ABSL_GUARDED_BY(key_mu) = nullptr;

std::string CurrentKey() {
  absl::MutexLock lock(&key_mu);
  if (key == nullptr) {
    std::string random(kMinPageTokenKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(random.data()),
                   static_cast<int>(random.size())) != 1) {
      // No entropy source: there is no safe way to issue tokens at all.
      std::abort();
    }
    key = new std::string(std::move(random));
  }
  return *key;
}

std::string Mac(absl::string_view data) {
  const std::string k = CurrentKey();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// 128 bits of SHA-256, hex: tells queries apart in clear; the MAC is what makes it binding.
std::string QueryDigest(absl::string_view query) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(query.data(), query.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), std::min(length, 16u)));
}

absl::Status NotOurs() {
  return absl::InvalidArgumentError(
      "page_token: not a token returned by this method (tokens also expire when the service "
      "restarts without a --page_token_key_file)");
}

}  // namespace

std::string EncodePageToken(const PagePosition& position, absl::string_view collection,
                            absl::string_view query) {
  std::string payload = absl::StrCat(kVersion, "\n", collection, "\n", QueryDigest(query), "\n",
                                     position.pk, "\n", position.sort_value);
  payload += Mac(payload);
  return absl::WebSafeBase64Escape(payload);
}

absl::StatusOr<PagePosition> DecodePageToken(absl::string_view token, absl::string_view collection,
                                             absl::string_view query) {
  if (token.size() > kMaxPageTokenBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: at most ", kMaxPageTokenBytes, " bytes"));
  }
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() <= kMacBytes) return NotOurs();
  const absl::string_view payload(raw.data(), raw.size() - kMacBytes);
  const std::string expected = Mac(payload);
  if (CRYPTO_memcmp(expected.data(), raw.data() + payload.size(), kMacBytes) != 0) {
    return NotOurs();
  }
  // Authentic from here on: every part was written by EncodePageToken under our key.
  std::vector<absl::string_view> parts = absl::StrSplit(payload, absl::MaxSplits('\n', 4));
  if (parts.size() != 5 || parts[0] != kVersion) return NotOurs();
  if (parts[1] != collection) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: comes from another List method, not from ", collection));
  }
  if (parts[2] != QueryDigest(query)) {
    return absl::InvalidArgumentError(
        "page_token: belongs to a request with a different filter, order_by or show_deleted");
  }
  PagePosition position;
  if (!absl::SimpleAtoi(parts[3], &position.pk) || position.pk <= 0) return NotOurs();
  position.sort_value = std::string(parts[4]);
  return position;
}

std::string PageQuery(std::initializer_list<absl::string_view> fields) {
  std::string out;
  for (absl::string_view f : fields) absl::StrAppend(&out, f.size(), ":", f, ";");
  return out;
}

absl::Status SetPageTokenKey(std::string new_key) {
  if (new_key.size() < kMinPageTokenKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("page token key: at least ", kMinPageTokenKeyBytes, " bytes are required"));
  }
  absl::MutexLock lock(&key_mu);
  delete key;
  key = new std::string(std::move(new_key));
  return absl::OkStatus();
}

absl::Status LoadPageTokenKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::string contents;
  contents.resize(kMaxKeyFileBytes + 1);
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a page token key file holds at most ", kMaxKeyFileBytes, " bytes"));
  }
  contents = std::string(absl::StripTrailingAsciiWhitespace(contents));
  absl::Status s = SetPageTokenKey(std::move(contents));
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", s.message(), " (write one with: openssl rand -hex 32 > ", path, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

}  // namespace imp::api
