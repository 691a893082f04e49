// impctl: the programme office's admin CLI. It talks to the gateway (one address, bearer token)
// with the generated stubs.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/impctl/commands.h"

namespace {

constexpr char kUsage[] = R"(impctl COMMAND [ARGS] [--flags]

The International Medical Partnership programme's admin CLI. Talks to the gateway
(--target or $IMP_TARGET, default 127.0.0.1:50050) with a bearer token (--token, $IMP_TOKEN,
--token_file or $IMP_TOKEN_FILE). KIND is institution(s), agreement(s) or activity/activities;
NAME is an id (okhmatdyt) or a resource name (institutions/okhmatdyt).

Commands:
  health                        grpc.health.v1 status of --target (--service, --wait_seconds)
  whoami                        the caller the gateway sees (actor, role, scope)
  get KIND NAME                 one resource, as JSON
  list KIND                     a table (--filter, --order_by, --page_size, --show_deleted, --json)
  create KIND FILE|- [ID]       create from the resource's proto JSON (--request_id)
  update KIND NAME FILE|-       update from proto JSON (--update_mask=a,b --etag=E)
  delete KIND NAME              soft delete (--etag); admin only
  undelete KIND NAME            restore (--etag); admin only
  import KIND FILE.csv          import a CSV in the deploy/demo formats, with progress and a
                                per-row error report (--errors_csv, --request_id, --strict;
                                activities: --mode=all_or_nothing|best_effort, --validate_only)
  export KIND                   CSV in the import format (--filter, --output)
  summary                       programme figures (--from --to --country --oblast --area --institution)
  map                           partnerships and institutions per country and oblast (--include_inactive)

Exit codes: 0 ok; 1 other error; 2 usage or unreadable input; 3 not serving;
4 invalid input (INVALID_ARGUMENT, FAILED_PRECONDITION, rows rejected); 5 NOT_FOUND;
6 ALREADY_EXISTS or ABORTED (stale etag); 7 UNAUTHENTICATED or PERMISSION_DENIED;
8 UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED.
Errors print the gRPC code and the server's message, which names the field.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace imp::impctl;  // NOLINT: the command table below
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    std::fprintf(stderr, "%s", kUsage);
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
  if (command == "export") return Export(*client, args);
  if (command == "summary") return Summary(*client, args);
  if (command == "map") return Map(*client, args);
  std::fprintf(stderr, "impctl: unknown command '%s'; see impctl --help\n", command.c_str());
  return kExitUsage;
}
