// Helpers for the store's tests: a temporary directory per test, and row
// builders. Test-only; header-only so the library glob does not pick it up.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/store.h"

namespace gpusched::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its content when
// the object goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string base = std::filesystem::temp_directory_path() / "gpusched-store-XXXXXX";
    if (mkdtemp(base.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << base;
    path_ = base;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline JobRow Job(std::int64_t id, std::string state = "pending", std::string tenant = "default") {
  std::string json = fmt::format(R"({{"id":{},"tenant":"{}","state":"{}"}})", id, tenant, state);
  return JobRow{id, std::move(tenant), std::move(state), std::move(json)};
}

inline EventRow Event(std::int64_t seq, std::int64_t job_id, std::string kind = "job.submitted") {
  return EventRow{seq, job_id, 1'700'000'000 + seq, std::move(kind),
                  fmt::format(R"({{"seq":{}}})", seq)};
}

// Builds a Mutation: Mut().Put(Job(1)).Append(Event(1, 1)).Build().
class Mut {
 public:
  Mut& Put(JobRow job) { return Add(m_.put_jobs, std::move(job)); }
  Mut& DeleteJob(std::int64_t id) { return Add(m_.delete_jobs, id); }
  Mut& PutNode(std::string name, std::string json) {
    return Add(m_.put_nodes, NodeRow{std::move(name), std::move(json)});
  }
  Mut& DeleteNode(std::string name) { return Add(m_.delete_nodes, std::move(name)); }
  Mut& Set(std::string key, std::string json) {
    return Add(m_.put_settings, SettingRow{std::move(key), std::move(json)});
  }
  Mut& Append(EventRow event) { return Add(m_.events, std::move(event)); }
  Mutation Build() const { return m_; }

 private:
  template <typename T, typename V>
  Mut& Add(std::vector<T>& rows, V value) {
    rows.push_back(std::move(value));
    return *this;
  }
  Mutation m_;
};

// One submission as the server makes it: a job row and its event.
inline Mutation Submission(std::int64_t id, std::int64_t seq) {
  return Mut().Put(Job(id)).Append(Event(seq, id)).Build();
}

}  // namespace gpusched::store::testing
