#include "server/persist.h"

#include <algorithm>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/policy_json.h"
#include "server/records.h"

namespace gpusched::server {

namespace {
constexpr const char* kCountersKey = "counters";
constexpr const char* kFreezesKey = "freezes";
constexpr const char* kLearnedKey = "learned";
constexpr const char* kClassesKey = "classes";
constexpr const char* kTenantsKey = "tenants";
}

store::Mutation ToMutation(const Control& control, const ChangeSet& cs, Instant now,
                           std::int64_t& next_event_seq) {
  store::Mutation m;
  for (JobId id : cs.jobs) {
    const JobRecord* r = control.Find(id);
    if (!r) continue;
    m.put_jobs.push_back(store::JobRow{static_cast<std::int64_t>(id), r->job.tenant,
                                       std::string(JobStateName(r->state)),
                                       JobToJson(*r, control.ledger())});
  }
  for (const std::string& name : cs.nodes) {
    if (const NodeState* n = control.fleet().Find(name)) {
      m.put_nodes.push_back(store::NodeRow{name, NodeToJson(*n)});
    }
  }
  m.put_settings.push_back(store::SettingRow{kCountersKey, CountersToJson(control.counters())});
  if (cs.settings) {
    m.put_settings.push_back(store::SettingRow{kFreezesKey, FreezesToJson(control.freezes())});
  }
  if (cs.policy) {
    m.put_settings.push_back(store::SettingRow{kClassesKey, ClassesToJson(control.settings().classes)});
    m.put_settings.push_back(store::SettingRow{kTenantsKey, TenantsToJson(control.settings().tenants)});
  }
  if (cs.learned) {
    m.put_settings.push_back(
        store::SettingRow{kLearnedKey, LearnedToJson(control.estimator(), control.runtime())});
  }
  for (const ChangeSet::Event& e : cs.events) {
    m.events.push_back(store::EventRow{next_event_seq++, static_cast<std::int64_t>(e.job),
                                       SecondsOf(now), e.kind,
                                       nlohmann::json{{"text", e.text}, {"change", cs.seq}}.dump()});
  }
  return m;
}

namespace {

// Decodes the job rows, in parallel slices (decoding is pure and most of a
// restart's time); the first failing row, in row order, names the error.
Result<std::vector<StoredJob>> DecodeJobs(const std::vector<store::JobRow>& rows,
                                          const GpuCatalog& catalog) {
  constexpr std::size_t kMinSlice = 4096;
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  const std::size_t slices = std::max<std::size_t>(1, std::min(threads, rows.size() / kMinSlice));
  std::vector<std::optional<Result<StoredJob>>> out(rows.size());
  auto decode = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) out[i] = JobFromJson(rows[i].json, catalog);
  };
  std::vector<std::thread> workers;
  const std::size_t per = (rows.size() + slices - 1) / slices;
  for (std::size_t k = 1; k < slices; ++k) {
    workers.emplace_back(decode, k * per, std::min(rows.size(), (k + 1) * per));
  }
  decode(0, std::min(rows.size(), per));
  for (std::thread& w : workers) w.join();
  std::vector<StoredJob> jobs;
  jobs.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Result<StoredJob>& j = *out[i];
    if (!j) return MakeError(j.error().code, fmt::format("job {}: {}", rows[i].id, j.error().message));
    jobs.push_back(std::move(*j));
  }
  return jobs;
}

// Classes and tenants an admin changed through the API (both rows are
// written together) replace the configuration file's.
Status RestorePolicy(const store::Loaded& loaded, Control& control) {
  const store::SettingRow* classes = nullptr;
  const store::SettingRow* tenants = nullptr;
  for (const store::SettingRow& row : loaded.settings) {
    if (row.key == kClassesKey) classes = &row;
    if (row.key == kTenantsKey) tenants = &row;
  }
  if (!classes || !tenants) return OkStatus();
  Result<ClassTable> c = ClassesFromJson(classes->json);
  if (!c) return tl::unexpected(c.error());
  Result<std::vector<Tenant>> t = TenantsFromJson(tenants->json);
  if (!t) return tl::unexpected(t.error());
  control.RestorePolicy(std::move(*c), std::move(*t));
  return OkStatus();
}

}  // namespace

Result<std::int64_t> RestoreFrom(const store::Loaded& loaded, Control& control, Instant now) {
  if (Status s = RestorePolicy(loaded, control); !s) return tl::unexpected(s.error());
  std::vector<NodeState> nodes;
  for (const store::NodeRow& row : loaded.nodes) {
    Result<NodeState> n = NodeFromJson(row.json);
    if (!n) return MakeError(n.error().code, fmt::format("node \"{}\": {}", row.name, n.error().message));
    nodes.push_back(std::move(*n));
  }
  Result<std::vector<StoredJob>> decoded = DecodeJobs(loaded.jobs, control.ledger().catalog());
  if (!decoded) return tl::unexpected(decoded.error());
  std::vector<StoredJob> jobs = std::move(*decoded);
  Counters counters;
  std::vector<Freeze> freezes;
  LearnedFigures learned;
  for (const store::SettingRow& row : loaded.settings) {
    if (row.key == kCountersKey) {
      Result<Counters> c = CountersFromJson(row.json);
      if (!c) return tl::unexpected(c.error());
      counters = *c;
    } else if (row.key == kFreezesKey) {
      Result<std::vector<Freeze>> f = FreezesFromJson(row.json);
      if (!f) return tl::unexpected(f.error());
      freezes = std::move(*f);
    } else if (row.key == kLearnedKey) {
      Result<LearnedFigures> l = LearnedFromJson(row.json, control.ledger().catalog());
      if (!l) return tl::unexpected(l.error());
      learned = std::move(*l);
    }
  }
  if (Status s = control.Restore(std::move(nodes), std::move(jobs), counters, std::move(freezes),
                                 now);
      !s) {
    return tl::unexpected(s.error());
  }
  control.RestoreLearned(learned.peaks, learned.epochs);
  return loaded.last_event_seq + 1;
}

}  // namespace gpusched::server
