// JobId -> dense index, for the cycle's hot paths (tens of thousands of
// lookups per cycle, each a likely cache miss). Drivers usually number jobs
// sequentially, so ids in [min_id, min_id + 4n + 1024) go to a direct table
// of 4-byte slots; the few ids beyond go to an open-addressing table with
// linear probing (at most half full, ids mixed with splitmix64).
// Insert-only: the cycle builds it once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "gpusched/types.h"

namespace gpusched::internal {

class JobIndexMap {
 public:
  // Sizes the tables for exactly these keys. REQUIRES: called once, first.
  void Reserve(std::span<const JobId> ids) {
    if (ids.empty()) return;
    base_ = *std::min_element(ids.begin(), ids.end());
    span_ = 4 * static_cast<JobId>(ids.size()) + 1024;
    std::size_t outliers = 0;
    JobId top = base_;
    for (JobId id : ids) {
      if (id - base_ >= span_) {
        ++outliers;
      } else {
        top = std::max(top, id);
      }
    }
    direct_.assign(static_cast<std::size_t>(top - base_) + 1, -1);
    std::size_t cap = 16;
    while (cap < 2 * outliers + 1) cap <<= 1;
    slots_.assign(outliers ? cap : 0, Slot{0, -1});
    mask_ = cap - 1;
  }
  // Keeps the first value inserted for a key. REQUIRES: the key was reserved.
  void Insert(JobId id, int value) {
    if (id - base_ < direct_.size()) {
      int& slot = direct_[static_cast<std::size_t>(id - base_)];
      if (slot < 0) slot = value;
      return;
    }
    for (std::size_t i = Hash(id) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].value < 0) {
        slots_[i] = Slot{id, value};
        return;
      }
      if (slots_[i].id == id) return;
    }
  }
  // The value for `id`, or -1.
  int Find(JobId id) const {
    if (id - base_ < direct_.size()) return direct_[static_cast<std::size_t>(id - base_)];
    if (slots_.empty()) return -1;
    for (std::size_t i = Hash(id) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].value < 0) return -1;
      if (slots_[i].id == id) return slots_[i].value;
    }
  }

 private:
  struct Slot {
    JobId id;
    int value;
  };
  static std::size_t Hash(JobId x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(x ^ (x >> 31));
  }
  JobId base_ = 0;
  JobId span_ = 0;
  std::vector<int> direct_;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace gpusched::internal
