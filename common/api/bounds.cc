#include "common/api/bounds.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace imp::api {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

const FieldLimit& LimitOf(const FieldDescriptor* field, const FieldLimits& limits) {
  auto it = limits.find(field->full_name());
  return it == limits.end() ? kDefaultFieldLimit : it->second;
}

std::string Join(absl::string_view prefix, absl::string_view name) {
  return prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
}

absl::Status TooLong(absl::string_view path, size_t max, size_t got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": at most ", max, " bytes (got ", got, ")"));
}

// A string field's value within its limit, and without control characters when it is text.
absl::Status CheckString(const FieldDescriptor* field, const FieldLimit& limit,
                         absl::string_view path, const std::string& value) {
  if (value.size() > limit.max_bytes) return TooLong(path, limit.max_bytes, value.size());
  if (field->type() == FieldDescriptor::TYPE_BYTES) return absl::OkStatus();
  return CheckStoredText(value, path, limit.lines);
}

absl::Status Check(const Message& message, absl::string_view prefix, const FieldLimits& limits) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const FieldLimit& limit = LimitOf(field, limits);
    const std::string path = Join(prefix, field->name());
    const bool is_string = field->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!field->is_repeated()) {
      if (is_string) {
        std::string scratch;
        const std::string& value = reflection->GetStringReference(message, field, &scratch);
        if (absl::Status s = CheckString(field, limit, path, value); !s.ok()) return s;
      } else if (is_message) {
        absl::Status s = Check(reflection->GetMessage(message, field), path, limits);
        if (!s.ok()) return s;
      }
      continue;
    }
    const int size = reflection->FieldSize(message, field);
    if (static_cast<size_t>(size) > limit.max_entries) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": at most ", limit.max_entries, " entries (got ", size, ")"));
    }
    for (int i = 0; i < size && (is_string || is_message); ++i) {
      const std::string element = absl::StrCat(path, "[", i, "]");
      if (is_string) {
        std::string scratch;
        const std::string& value =
            reflection->GetRepeatedStringReference(message, field, i, &scratch);
        if (absl::Status s = CheckString(field, limit, element, value); !s.ok()) return s;
      } else {
        absl::Status s = Check(reflection->GetRepeatedMessage(message, field, i), element, limits);
        if (!s.ok()) return s;
      }
    }
  }
  return absl::OkStatus();
}

void Collect(const google::protobuf::Descriptor* d, const FieldLimits& limits,
             absl::flat_hash_set<const google::protobuf::Descriptor*>& seen,
             std::set<std::string>& out) {
  if (!seen.insert(d).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const bool bounded = f->is_repeated() || f->cpp_type() == FieldDescriptor::CPPTYPE_STRING;
    if (bounded && !limits.contains(f->full_name())) out.insert(f->full_name());
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE)
      Collect(f->message_type(), limits, seen, out);
  }
}

}  // namespace

absl::Status CheckBounds(const Message& message, absl::string_view prefix,
                         const FieldLimits& limits) {
  return Check(message, prefix, limits);
}

std::vector<std::string> UnlistedFields(const google::protobuf::Descriptor* root,
                                        const FieldLimits& limits) {
  absl::flat_hash_set<const google::protobuf::Descriptor*> seen;
  std::set<std::string> out;
  Collect(root, limits, seen, out);
  return {out.begin(), out.end()};
}

}  // namespace imp::api
