#include "tools/impctl/flags.h"

#include "absl/flags/flag.h"

// Help texts start with the commands a flag applies to; `impctl --help` lists them all.
ABSL_FLAG(std::string, target, "",
          "Gateway or service HOST:PORT (else $IMP_TARGET, else 127.0.0.1:50050).");
ABSL_FLAG(std::string, token, "", "Bearer token (else --token_file, $IMP_TOKEN, $IMP_TOKEN_FILE).");
ABSL_FLAG(std::string, token_file, "",
          "File holding the bearer token; whitespace around it is ignored.");
ABSL_FLAG(std::string, ca_cert, "",
          "PEM CA certificate: call --target over TLS and verify it against this CA (else "
          "$IMP_CA_CERT; neither: plaintext).");
ABSL_FLAG(std::string, client_cert, "",
          "PEM client certificate for calling a service directly under mutual TLS, e.g. "
          "health --target=127.0.0.1:50051 (else $IMP_CLIENT_CERT; needs --ca_cert).");
ABSL_FLAG(std::string, client_key, "", "PEM key of --client_cert (else $IMP_CLIENT_KEY).");
ABSL_FLAG(bool, json, false, "Print the result as one proto JSON document on stdout.");
ABSL_FLAG(std::string, filter, "",
          "list/export (export iati: agreements, export hxl: activities): AIP-160 filter, e.g. "
          "'country = \"FR\"'.");
ABSL_FLAG(std::string, order_by, "", "list/export: sort order, e.g. 'display_name'.");
ABSL_FLAG(int, page_size, 0,
          "list/export: results per call (default 50; export iati/hxl: 100; max 1000); all pages "
          "are read.");
ABSL_FLAG(bool, show_deleted, false, "list/export: include soft-deleted resources.");
ABSL_FLAG(std::string, etag, "", "update/delete/undelete: act only on this version.");
ABSL_FLAG(std::string, update_mask, "",
          "update: comma-separated fields to change (default: those given).");
ABSL_FLAG(std::string, request_id, "",
          "create/import: idempotency key (import: per row <id>-<line>; default from the file).");
ABSL_FLAG(std::string, mode, "all_or_nothing", "import activities: all_or_nothing or best_effort.");
ABSL_FLAG(bool, validate_only, false, "import activities: check every row, apply nothing.");
ABSL_FLAG(bool, strict, false,
          "import institutions/agreements: rows that exist already are errors.");
ABSL_FLAG(std::string, errors_csv, "", "import: also write the per-row error report to this file.");
ABSL_FLAG(std::string, output, "",
          "export: write here instead of standard output (iati/hxl: only once complete).");
ABSL_FLAG(std::string, from, "",
          "summary, export hxl: first day YYYY-MM-DD (default: the beginning).");
ABSL_FLAG(std::string, to, "", "summary, export hxl: last day YYYY-MM-DD (default: today).");
ABSL_FLAG(std::string, country, "", "summary, export hxl: only this country (ISO alpha-2).");
ABSL_FLAG(std::string, oblast, "",
          "summary, export hxl: only this Ukrainian oblast (ISO 3166-2:UA).");
ABSL_FLAG(std::string, area, "", "summary, export hxl: only this cooperation area code.");
ABSL_FLAG(std::string, institution, "",
          "summary, export hxl: only this institution (id or institutions/id).");
ABSL_FLAG(bool, include_inactive, false, "map: also count agreements that are not in force.");
ABSL_FLAG(bool, allow_partial, false,
          "summary, map: when a service behind the gateway fails, print the figures of the "
          "others instead of failing (marked partial, announced on stderr, exit 3).");
ABSL_FLAG(std::string, service, "", "health: the service name to check (default: the server).");
ABSL_FLAG(int, wait_seconds, 0, "health: keep asking until SERVING or this many seconds pass.");
ABSL_FLAG(int, max_mismatches, 0,
          "check statistics: list at most this many mismatches (default: the server's, 100).");
ABSL_FLAG(std::string, traceparent, "",
          "W3C traceparent every call of this command carries (else $IMP_TRACEPARENT; neither: a "
          "new sampled trace). A failed call prints its trace_id: grep the servers' logs for it.");
