#include "store/store.h"

#include <fmt/format.h>

namespace gpusched::store {
namespace {

// Fixed cost per row in ByteSize: ids, keys and bookkeeping.
constexpr std::size_t kRowOverhead = 32;

}  // namespace

bool Mutation::empty() const {
  return put_jobs.empty() && delete_jobs.empty() && put_nodes.empty() && delete_nodes.empty() &&
         put_settings.empty() && events.empty();
}

std::size_t Mutation::ByteSize() const {
  std::size_t bytes = 0;
  for (const JobRow& j : put_jobs) {
    bytes += kRowOverhead + j.tenant.size() + j.state.size() + j.json.size();
  }
  bytes += delete_jobs.size() * kRowOverhead;
  for (const NodeRow& n : put_nodes) bytes += kRowOverhead + n.name.size() + n.json.size();
  for (const std::string& n : delete_nodes) bytes += kRowOverhead + n.size();
  for (const SettingRow& s : put_settings) bytes += kRowOverhead + s.key.size() + s.json.size();
  for (const EventRow& e : events) bytes += kRowOverhead + e.kind.size() + e.json.size();
  return bytes;
}

Status ValidateMutation(const Mutation& m) {
  auto bad = [](std::string message) { return MakeError(ErrorCode::kInvalidArgument, message); };
  for (std::size_t i = 0; i < m.put_jobs.size(); ++i) {
    if (m.put_jobs[i].id <= 0) {
      return bad(fmt::format("put_jobs[{}].id must be positive, got {}", i, m.put_jobs[i].id));
    }
  }
  for (std::size_t i = 0; i < m.delete_jobs.size(); ++i) {
    if (m.delete_jobs[i] <= 0) {
      return bad(fmt::format("delete_jobs[{}] must be positive, got {}", i, m.delete_jobs[i]));
    }
  }
  for (std::size_t i = 0; i < m.put_nodes.size(); ++i) {
    if (m.put_nodes[i].name.empty()) return bad(fmt::format("put_nodes[{}].name is empty", i));
  }
  for (std::size_t i = 0; i < m.delete_nodes.size(); ++i) {
    if (m.delete_nodes[i].empty()) return bad(fmt::format("delete_nodes[{}] is empty", i));
  }
  for (std::size_t i = 0; i < m.put_settings.size(); ++i) {
    if (m.put_settings[i].key.empty()) return bad(fmt::format("put_settings[{}].key is empty", i));
  }
  for (std::size_t i = 0; i < m.events.size(); ++i) {
    const EventRow& e = m.events[i];
    if (e.seq <= 0) return bad(fmt::format("events[{}].seq must be positive, got {}", i, e.seq));
    if (e.job_id < 0) {
      return bad(fmt::format("events[{}].job_id must not be negative, got {}", i, e.job_id));
    }
  }
  return OkStatus();
}

}  // namespace gpusched::store
