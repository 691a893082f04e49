// impctl: the programme office's admin CLI for the imp suite.
//
// It talks to the gateway (one address, a bearer token) with the generated stubs of
// imp.registry.v1.RegistryService, imp.activity.v1.ActivityService (both served by the gateway
// as an authenticated facade) and imp.gateway.v1.GatewayService. Any other server works for
// the RPCs it serves itself, e.g. `--target=127.0.0.1:50051` for the registry, without a token.
//
//   impctl health [--target=HOST:PORT] [--service=NAME] [--wait_seconds=N]
//   impctl whoami
//   impctl get|list|create|update|delete|undelete KIND ...     KIND: institution(s),
//   impctl import KIND FILE.csv                                       agreement(s), activity/ies
//   impctl export KIND [--output=FILE]
//   impctl export iati --reporting_org_ref=REF --reporting_org_name=NAME --reporting_org_type=T
//   impctl export hxl [--from --to --country --oblast --area --institution]
//   impctl summary [--from --to --country --oblast --area --institution] [--allow_partial]
//   impctl map [--include_inactive] [--allow_partial]
//   impctl check statistics [--max_mismatches=N]
//
// Connection: --target, else $IMP_TARGET, else 127.0.0.1:50050. Token (sent as
// `authorization: Bearer <token>`): --token, else the file --token_file names, else $IMP_TOKEN,
// else the file $IMP_TOKEN_FILE names; surrounding whitespace is trimmed. TLS: --ca_cert (else
// $IMP_CA_CERT) verifies the server; --client_cert/--client_key (else $IMP_CLIENT_CERT /
// $IMP_CLIENT_KEY) identify impctl to a service called directly under mutual TLS.
//
// CSV (import/export): the formats of deploy/demo/*.csv (RFC 4180, UTF-8, the exact header).
// Ids are bare (okhmatdyt for institutions/okhmatdyt), enum values drop their prefix (HOSPITAL
// for KIND_HOSPITAL), lists are separated by '|', participants read
// institution_id:PROFESSION:headcount. Institutions and agreements import row by row with the
// request id "<request_id>-<line>" (default request id: derived from the file's content, so a
// re-run of the same file creates nothing twice); rows that exist already count as "already
// there" unless --strict. Activities import through the streaming ImportActivities, all or
// nothing unless --mode=best_effort, retried whole on UNAVAILABLE with the same request id. Every
// rejected row is reported as "line N: field: reason" on stderr (and in --errors_csv), N being the
// CSV line the record starts on.
//
// Output: results on stdout (tables for people; with --json exactly one proto JSON document),
// progress and errors on stderr (a progress bar only when stderr is a terminal).
//
// Exit codes (a gRPC error prints "impctl: CODE: the server's message", then its google.rpc
// error details, one "impctl:   ..." line each: field violations, precondition failures, the
// resource, the reason):
//   0  OK
//   1  any other error (INTERNAL, UNKNOWN, CANCELLED, UNIMPLEMENTED, DATA_LOSS)
//   2  usage: bad command line, unreadable or malformed input file, bad flag value
//   3  health: the server answers but is not SERVING; summary/map --allow_partial: the answer
//      is partial (a service behind the gateway failed; its figures are missing, not zero)
//   4  INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE; import: rows were rejected
//   5  NOT_FOUND
//   6  ALREADY_EXISTS, ABORTED with reason ETAG_MISMATCH (stale etag: read again, retry);
//      import --strict: every rejected row already existed
//   7  UNAUTHENTICATED, PERMISSION_DENIED; import: every rejected row was denied
//   8  UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, another ABORTED (retry later)
//   9  check: the data is not consistent (the mismatches are listed)
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tools/impctl/commands.h"

namespace {

constexpr char kUsage[] = R"(impctl COMMAND [ARGS] [--flags]

The International Medical Partnership programme's admin CLI. Talks to the gateway
(--target or $IMP_TARGET, default 127.0.0.1:50050) with a bearer token (--token,
--token_file, $IMP_TOKEN or $IMP_TOKEN_FILE, in that order). KIND is institution(s),
agreement(s), activity/activities or project(s); NAME is an id (okhmatdyt) or a resource name
(institutions/okhmatdyt). Over TLS with --ca_cert or $IMP_CA_CERT (the CA that signed the
server's certificate); calling a service directly under mutual TLS also takes a client
certificate: --client_cert/--client_key or $IMP_CLIENT_CERT/$IMP_CLIENT_KEY.

Commands:
  health                        grpc.health.v1 status of --target (--service, --wait_seconds)
  whoami                        the caller the gateway sees (actor, role, scope)
  get KIND NAME                 one resource, as JSON
  list KIND                     all of them as a table (--filter, --order_by, --show_deleted),
                                or one JSON document with --json
  create KIND FILE|- [ID]       create from the resource's proto JSON (--request_id)
  update KIND NAME FILE|-       update from proto JSON (--update_mask=a,b --etag=E)
  delete KIND NAME              soft delete (--etag); admin only
  undelete KIND NAME            restore (--etag); admin only
  import KIND FILE.csv          import a CSV in the deploy/demo formats, with progress and a
                                per-row error report "line N: field: reason" (--errors_csv,
                                --request_id, --strict; activities: --mode=all_or_nothing|
                                best_effort, --validate_only; retried on UNAVAILABLE with
                                the same request id after 1, 2, 4, 8, 16 s, said on stderr)
                                (projects: one row each, see docs/design/h-projpub.md)
  export KIND                   CSV in the import format (--filter, --show_deleted, --output)
  export iati                   IATI 2.03 activity XML, one activity per agreement, with the
                                activity counts as results, then one per project
                                (--reporting_org_ref, --reporting_org_name,
                                --reporting_org_type; --filter, --project_filter,
                                --projects=false, --output)
  export hxl                    HXL-tagged "3W" CSV, one row per activity; its counts add up to
                                `summary` with the same flags (--from --to --country --oblast
                                --area --institution; --filter, --output)
  summary                       programme figures (--from --to --country --oblast --area
                                --institution). When a service behind the gateway fails,
                                its error (exit 8 when retrying later may help); with
                                --allow_partial the other services' figures, marked
                                PARTIAL ANSWER, exit 3
  map                           partnerships and institutions per country and oblast
                                (--include_inactive; --allow_partial as summary)
  check statistics              recompute the statistics rollups from the activities and
                                compare (--max_mismatches); admin only; exit 9 when they differ
Every command that prints results takes --json (one proto JSON document on stdout).

CSV: RFC 4180, UTF-8, the header of deploy/demo/*.csv; bare ids; enum values without their
prefix (HOSPITAL, ACTIVE, UKRAINIAN_PARTNER, TRAINING, DOCTOR, TO_UKRAINE, INTERNSHIP); lists
separated by '|'; participants as institution_id:PROFESSION:headcount.

Exit codes: 0 ok; 1 other error; 2 usage or unreadable input; 3 health: not serving,
summary/map --allow_partial: a partial answer (figures of a failed service missing);
4 invalid input (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, import rows rejected);
5 NOT_FOUND; 6 ALREADY_EXISTS or ABORTED ETAG_MISMATCH (stale etag: read again and retry);
7 UNAUTHENTICATED or PERMISSION_DENIED; 8 UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
or another ABORTED (retry later); 9 check: the data is not consistent. Errors print the gRPC
code and the server's message, then the error details: the fields at fault, the resource, the
reason (google.rpc.ErrorInfo).

Tracing: every call of a command carries one W3C traceparent (a new sampled trace, or
--traceparent / $IMP_TRACEPARENT), which the gateway passes on to the services; every server
logs each call with its trace_id (event=rpc, at info level for impctl's sampled calls). A
failed call prints "impctl: trace_id=<32 hex>": grep the gateway's, registry's and activity
service's logs for it to follow the command through all of them.
)";

// `impctl --help` (or `impctl help`): the usage text and impctl's own flags, exit 0. absl's
// own --help would exit 1, which reads as a failure in scripts.
bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-help" || arg == "-h" || (i == 1 && arg == "help")) return true;
  }
  return false;
}

void PrintHelp() {
  std::printf("%s\nFlags:\n", kUsage);
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::StrContains(flag->Filename(), "tools/impctl/")) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  for (const auto* flag : flags) {
    const std::string def = flag->DefaultValue();
    const bool shown = !def.empty() && def != "false" && def != "0";
    std::printf("  --%-17s %s%s\n", std::string(flag->Name()).c_str(), flag->Help().c_str(),
                shown ? absl::StrCat(" [default: ", def, "]").c_str() : "");
  }
}

// absl ends the process with status 1 on an unknown flag or a value it cannot parse; impctl
// promises 2 for every usage error, so the flags are checked before absl parses them.
bool FlagsAreValid(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") return true;  // the rest are positional
    if (arg.size() < 2 || arg[0] != '-') continue;
    absl::ConsumePrefix(&arg, "-");
    absl::ConsumePrefix(&arg, "-");
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    // absl's usage flags are not registered flags; absl handles them itself.
    for (absl::string_view usage_flag : {"help", "helpfull", "helpshort", "helppackage", "helpon",
                                         "helpmatch", "version", "only_check_args"}) {
      if (name == usage_flag) return true;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>() && eq == absl::string_view::npos) {
        continue;
      }
    }
    if (flag == nullptr) {
      std::fprintf(stderr, "impctl: unknown flag --%s; see impctl --help\n",
                   std::string(name).c_str());
      return false;
    }
    std::string value;
    if (eq != absl::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < argc) {
      value = argv[++i];  // "--target host:port"
    } else {
      std::fprintf(stderr, "impctl: --%s needs a value\n", std::string(name).c_str());
      return false;
    }
    // Parsing into the flag is harmless: absl sets it again from the same text.
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "impctl: --%s: %s\n", std::string(name).c_str(), error.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace imp::impctl;  // NOLINT: the command table below
  absl::SetProgramUsageMessage(kUsage);
  // absl's --helpshort and --help=SUBSTRING list impctl's own flags (by default they show only
  // flags defined in main.cc).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "tools/impctl/");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  if (WantsHelp(argc, argv)) {
    PrintHelp();
    return kExitOk;
  }
  if (!FlagsAreValid(argc, argv)) return kExitUsage;
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::fprintf(stderr, "%s", kUsage);
    return kExitUsage;
  }
  if (absl::Status trace = InitCommandTrace(); !trace.ok()) {
    std::fprintf(stderr, "impctl: %s\n", std::string(trace.message()).c_str());
    return kExitUsage;
  }
  const std::string command = positional[1];
  const std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (command == "health") return Health(args);
  auto client = Client::FromFlags();
  if (!client.ok()) {
    std::fprintf(stderr, "impctl: %s\n", std::string(client.status().message()).c_str());
    return kExitUsage;
  }
  if (command == "whoami") return WhoAmI(*client, args);
  if (command == "get") return Get(*client, args);
  if (command == "list") return List(*client, args);
  if (command == "create") return Create(*client, args);
  if (command == "update") return Update(*client, args);
  if (command == "delete") return Delete(*client, args, false);
  if (command == "undelete") return Delete(*client, args, true);
  if (command == "import") return Import(*client, args);
  if (command == "export" && !args.empty() && args[0] == "iati") return ExportIati(*client, args);
  if (command == "export" && !args.empty() && args[0] == "hxl") return ExportHxl(*client, args);
  if (command == "export") return Export(*client, args);
  if (command == "summary") return Summary(*client, args);
  if (command == "map") return Map(*client, args);
  if (command == "check") return Check(*client, args);
  std::fprintf(stderr, "impctl: unknown command '%s'; see impctl --help\n", command.c_str());
  return kExitUsage;
}
