#include "tools/impctl/export_common.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "common/api/errors.h"
#include "common/status.h"
#include "tools/impctl/flags.h"
#include "tools/impctl/paging.h"

namespace imp::impctl {

namespace reg = registry::v1;

grpc::Status LoadExportContext(Client& client, ExportContext* ctx) {
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  ctx->today.set_year(static_cast<int>(day.year()));
  ctx->today.set_month(day.month());
  ctx->today.set_day(day.day());
  reg::ListCooperationAreasResponse areas;
  grpc::Status s = RetryRead(client, [&](grpc::ClientContext* c) {
    return client.registry().ListCooperationAreas(c, {}, &areas);
  });
  if (!s.ok()) return s;
  for (const auto& a : areas.cooperation_areas()) ctx->area_labels[a.code()] = a.display_name();
  return grpc::Status::OK;
}

int ExportPageSize() {
  const int flag = absl::GetFlag(FLAGS_page_size);
  return flag > 0 ? flag : 100;
}

grpc::Status GetInstitutions(Client& client, const std::vector<std::string>& names,
                             absl::flat_hash_map<std::string, reg::Institution>* out) {
  constexpr size_t kBatch = 1000;  // BatchGetInstitutionsRequest.names limit
  std::vector<std::string> wanted;
  absl::flat_hash_set<std::string> seen;
  for (const auto& n : names) {
    if (!out->contains(n) && seen.insert(n).second) wanted.push_back(n);
  }
  size_t limit = kBatch;
  for (size_t i = 0; i < wanted.size();) {
    const size_t end = std::min(wanted.size(), i + limit);
    reg::BatchGetInstitutionsRequest req;
    for (size_t j = i; j < end; ++j) req.add_names(wanted[j]);
    reg::BatchGetInstitutionsResponse resp;
    grpc::Status s = RetryRead(client, [&](grpc::ClientContext* c) {
      resp.Clear();
      return client.registry().BatchGetInstitutions(c, req, &resp);
    });
    // An answer past the registry's byte budget: ask for the names that fit, then the rest.
    const int fits = api::AnswerFitsOf(FromGrpcStatus(s));
    if (fits > 0 && static_cast<size_t>(fits) < end - i) {
      limit = static_cast<size_t>(fits);
      continue;
    }
    if (!s.ok()) return s;
    i = end;
    for (auto& in : *resp.mutable_institutions()) {
      std::string name = in.name();
      (*out)[std::move(name)] = std::move(in);
    }
  }
  return grpc::Status::OK;
}

grpc::Status WriteStatus(const std::ostream& out) {
  return out ? grpc::Status::OK : grpc::Status(grpc::StatusCode::CANCELLED, "writing failed");
}

}  // namespace imp::impctl
