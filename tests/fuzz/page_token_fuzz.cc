// libFuzzer harness: page token decoding. The first byte chooses what the rest is:
//   even: a page_token as a client sends it (must be rejected unless it is a token we issued);
//   odd:  a token payload, signed here with the service's key, so that the parsing behind the
//         MAC check is explored too (authentic but malformed payloads must be rejected cleanly).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/api/page_token.h"
#include "tests/fuzz/fuzz_checks.h"

namespace {

constexpr char kKey[] = "fuzz-page-token-key-0123456789abcdef";
constexpr char kCollection[] = "registry.institutions";

std::string Sign(const std::string& payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kKey, sizeof(kKey) - 1, reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), mac, &len);
  return absl::WebSafeBase64Escape(payload + std::string(reinterpret_cast<char*>(mac), len));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!imp::api::SetPageTokenKey(kKey).ok()) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool signed_payload = data[0] % 2 == 1;
  const std::string token = signed_payload ? Sign(rest) : rest;
  const std::string query = imp::api::PageQuery({"", "display_name", "0"});
  auto decoded = imp::api::DecodePageToken(token, kCollection, query);
  if (!decoded.ok()) {
    if (decoded.status().code() != absl::StatusCode::kInvalidArgument ||
        !absl::StartsWith(decoded.status().message(), "page_token: ") ||
        decoded.status().message().size() > 300) {
      imp::fuzz::Fail("page_token error", decoded.status().ToString());
    }
    return 0;
  }
  // Accepted: the position must be one we could have issued, and survive a round trip.
  if (decoded->pk <= 0) imp::fuzz::Fail("accepted a non-positive pk", token);
  const std::string again = imp::api::EncodePageToken(*decoded, kCollection, query);
  auto round = imp::api::DecodePageToken(again, kCollection, query);
  if (!round.ok() || round->pk != decoded->pk || round->sort_value != decoded->sort_value) {
    imp::fuzz::Fail("round trip", token);
  }
  return 0;
}
