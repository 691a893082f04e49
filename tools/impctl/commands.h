#ifndef IMP_TOOLS_IMPCTL_COMMANDS_H_
#define IMP_TOOLS_IMPCTL_COMMANDS_H_

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "tools/impctl/client.h"

// Each command takes its positional arguments (after the command word) and returns the exit
// code. Output goes to stdout (tables, or proto JSON with --json); errors to stderr.
namespace imp::impctl {

enum class Kind { kInstitution, kAgreement, kActivity };

// "institution", "institutions", "agreement(s)", "activity"/"activities".
bool ParseKind(const std::string& word, Kind* kind);
// "okhmatdyt" -> "institutions/okhmatdyt"; full names pass through.
std::string FullName(Kind kind, const std::string& name_or_id);
// Proto JSON, pretty-printed, with a trailing newline.
std::string Json(const google::protobuf::Message& message);

int Health(const std::vector<std::string>& args);
int WhoAmI(Client& client, const std::vector<std::string>& args);
int Get(Client& client, const std::vector<std::string>& args);
int List(Client& client, const std::vector<std::string>& args);
int Create(Client& client, const std::vector<std::string>& args);
int Update(Client& client, const std::vector<std::string>& args);
int Delete(Client& client, const std::vector<std::string>& args, bool undelete);
int Import(Client& client, const std::vector<std::string>& args);
int Export(Client& client, const std::vector<std::string>& args);
int Summary(Client& client, const std::vector<std::string>& args);
int Map(Client& client, const std::vector<std::string>& args);

}  // namespace imp::impctl

#endif  // IMP_TOOLS_IMPCTL_COMMANDS_H_
