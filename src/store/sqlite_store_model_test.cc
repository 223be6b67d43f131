// Randomized model-based test of SqliteStore: the store and a trivially
// correct model (std::map and a vector) take the same random batches; after
// each one, everything the store returns (LoadAll and the whole event log)
// must equal the model. Now and then a batch carries a reused event seq in
// its last mutation: the store must refuse the whole batch and the model
// stays as it was. The store is closed and reopened every few batches.
//
// Seeds 1..3 always run; GPUSCHED_TEST_SEED=<n> adds one more. A failure
// names the seed and the batch number.
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "store/store_testing.h"

namespace gpusched::store {
namespace {

using testing::TempDir;

constexpr int kBatches = 250;
constexpr int kReopenEvery = 40;

struct Model {
  std::map<std::int64_t, JobRow> jobs;
  std::map<std::string, std::string> nodes;
  std::map<std::string, std::string> settings;
  std::vector<EventRow> events;  // ascending seq: the test assigns them so

  void Apply(const Mutation& m) {
    for (const JobRow& j : m.put_jobs) jobs[j.id] = j;
    for (std::int64_t id : m.delete_jobs) jobs.erase(id);
    for (const NodeRow& n : m.put_nodes) nodes[n.name] = n.json;
    for (const std::string& n : m.delete_nodes) nodes.erase(n);
    for (const SettingRow& s : m.put_settings) settings[s.key] = s.json;
    events.insert(events.end(), m.events.begin(), m.events.end());
  }
};

class RandomBatches {
 public:
  explicit RandomBatches(unsigned seed) : rng_(seed) {}

  // 1..4 mutations of random rows; `next_seq` is advanced for each event.
  std::vector<Mutation> Next(std::int64_t& next_seq) {
    std::vector<Mutation> batch(static_cast<std::size_t>(Count(1, 4)));
    for (Mutation& m : batch) {
      for (int i = Count(0, 3); i > 0; --i) {
        m.put_jobs.push_back(JobRow{Uniform(1, 20), Pick({"default", "vision", "ünï"}),
                                    Pick({"pending", "running", "succeeded"}), Text()});
      }
      for (int i = Count(0, 2); i > 0; --i) m.delete_jobs.push_back(Uniform(1, 20));
      for (int i = Count(0, 2); i > 0; --i) {
        std::string name = "node-" + std::to_string(Count(0, 5));
        if (Count(0, 2) == 0) {
          m.delete_nodes.push_back(name);
        } else {
          m.put_nodes.push_back(NodeRow{name, Text()});
        }
      }
      if (Count(0, 2) == 0) m.put_settings.push_back({"k" + std::to_string(Count(0, 3)), Text()});
      for (int i = Count(0, 2); i > 0; --i) {
        m.events.push_back(EventRow{next_seq++, Uniform(0, 20), Uniform(0, 1'000'000),
                                    Pick({"job.submitted", "decision.bind", "node.lost"}), Text()});
      }
    }
    return batch;
  }

  bool OneIn(int n) { return Count(1, n) == 1; }
  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }

 private:
  int Count(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string Pick(std::initializer_list<const char*> options) {
    return *(options.begin() + Count(0, static_cast<int>(options.size()) - 1));
  }
  // JSON-ish text with quotes, backslashes and multi-byte characters.
  std::string Text() {
    static const std::string kAlphabet[] = {"a", "Z", "0", "\"", "\\", "{", "}", " ", "é", "GPU"};
    std::string text;
    for (int i = Count(0, 40); i > 0; --i) text += kAlphabet[Count(0, 9)];
    return text;
  }

  std::mt19937_64 rng_;
};

void ExpectSame(Store& store, const Model& model) {
  Result<Loaded> loaded = store.LoadAll();
  ASSERT_TRUE(loaded) << loaded.error().message;
  std::vector<JobRow> jobs;
  for (const auto& [id, row] : model.jobs) jobs.push_back(row);
  EXPECT_EQ(loaded->jobs, jobs);
  std::vector<NodeRow> nodes;
  for (const auto& [name, json] : model.nodes) nodes.push_back({name, json});
  EXPECT_EQ(loaded->nodes, nodes);
  std::vector<SettingRow> settings;
  for (const auto& [key, json] : model.settings) settings.push_back({key, json});
  EXPECT_EQ(loaded->settings, settings);
  EXPECT_EQ(loaded->last_event_seq, model.events.empty() ? 0 : model.events.back().seq);
  EventQuery all;
  all.limit = kMaxEventLimit;
  Result<std::vector<EventRow>> events = store.Events(all);
  ASSERT_TRUE(events) << events.error().message;
  EXPECT_EQ(*events, model.events);
}

void RunSeed(unsigned seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with GPUSCHED_TEST_SEED)");
  TempDir dir;
  std::string path = dir.File("model.db");
  SqliteOptions options;
  options.durability = Durability::kNormal;  // durability is not under test here
  auto store = SqliteStore::Open(path, options);
  ASSERT_TRUE(store) << store.error().message;
  Model model;
  RandomBatches random(seed);
  std::int64_t next_seq = 1;
  for (int b = 1; b <= kBatches; ++b) {
    SCOPED_TRACE("batch " + std::to_string(b));
    const std::int64_t seq_before = next_seq;
    std::vector<Mutation> batch = random.Next(next_seq);
    const bool sabotage = next_seq > 1 && random.OneIn(8);
    if (sabotage) {  // reuse a seq already in the store or earlier in this batch
      batch.back().events.push_back(EventRow{random.Uniform(1, next_seq - 1), 0, 0, "dup", ""});
    }
    Status s = (*store)->Apply(batch);
    if (sabotage) {
      ASSERT_FALSE(s) << "a batch with a reused event seq was accepted";
      EXPECT_EQ(s.error().code, ErrorCode::kAlreadyExists) << s.error().message;
      next_seq = seq_before;
    } else {
      ASSERT_TRUE(s) << s.error().message;
      for (const Mutation& m : batch) model.Apply(m);
    }
    if (b % kReopenEvery == 0) {
      store->reset();
      store = SqliteStore::Open(path, options);
      ASSERT_TRUE(store) << store.error().message;
    }
    ASSERT_NO_FATAL_FAILURE(ExpectSame(**store, model));
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(SqliteStoreModelTest, MatchesAMapModelOverRandomBatches) {
  std::vector<unsigned> seeds = {1, 2, 3};
  if (const char* extra = std::getenv("GPUSCHED_TEST_SEED")) {
    seeds.push_back(static_cast<unsigned>(std::strtoul(extra, nullptr, 10)));
  }
  for (unsigned seed : seeds) RunSeed(seed);
}

}  // namespace
}  // namespace gpusched::store
