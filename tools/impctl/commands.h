#ifndef IMP_TOOLS_IMPCTL_COMMANDS_H_
#define IMP_TOOLS_IMPCTL_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/impctl/client.h"
#include "tools/impctl/kind.h"

// The commands. Each takes its positional arguments (after the command word) and returns the
// exit code. Results go to stdout (tables, or proto JSON with --json); progress, row errors and
// errors go to stderr.
namespace imp::impctl {

// summary/map --allow_partial: the answer lacks the figures of a service that failed (it is
// printed, marked partial). Shares its number with health's kExitNotServing: both mean "it
// answered, but not fully", and no command can return both.
inline constexpr int kExitPartial = 3;

int Health(const std::vector<std::string>& args);                  // health.cc
int WhoAmI(Client& client, const std::vector<std::string>& args);  // health.cc
int Get(Client& client, const std::vector<std::string>& args);     // resources.cc
int List(Client& client, const std::vector<std::string>& args);
int Create(Client& client, const std::vector<std::string>& args);
int Update(Client& client, const std::vector<std::string>& args);
int Delete(Client& client, const std::vector<std::string>& args, bool undelete);
int Import(Client& client, const std::vector<std::string>& args);      // import.cc
int Export(Client& client, const std::vector<std::string>& args);      // export.cc
int ExportIati(Client& client, const std::vector<std::string>& args);  // export_iati.cc
int ExportHxl(Client& client, const std::vector<std::string>& args);   // export_hxl.cc
int Summary(Client& client, const std::vector<std::string>& args);     // summary.cc
int Map(Client& client, const std::vector<std::string>& args);         // summary.cc
int Check(Client& client, const std::vector<std::string>& args);       // check.cc

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_COMMANDS_H_
