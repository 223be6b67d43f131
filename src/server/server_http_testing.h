// Test support: a real server on a free port of 127.0.0.1 with a fresh
// database, an injected clock, tokens for an admin, two tenants and agents,
// and small HTTP helpers. Shared by the server's HTTP test files.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "server/server.h"

namespace gpusched::server {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kAdmin = "admin-secret-000000001";
constexpr const char* kQuality = "quality-secret-0000001";
constexpr const char* kResearch = "research-secret-000001";
constexpr const char* kAgent = "agent-secret-000000001";

inline const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

inline config::ServerConfig Config() {
  config::ServerConfig c;
  for (const char* name : {"default", "quality", "research"}) {
    Tenant t;
    t.name = name;
    // research may run up to high on its own; critical needs an operator
    if (t.name == "research") t.max_class_without_approval = "high";
    c.cluster.tenants.push_back(t);
  }
  c.tokens = {{"ops", kAdmin, config::Role::kAdmin, ""},
              {"quality", kQuality, config::Role::kTenant, "quality"},
              {"research", kResearch, config::Role::kTenant, "research"},
              {"agents", kAgent, config::Role::kAgent, ""}};
  c.settings.cycle_interval = std::chrono::milliseconds(50);
  return c;
}

constexpr const char* kYamlJob = R"(name: scratch-defect-v3
class: high
ultralytics:
  model: yolov8s.pt
  data: scratches.yaml
  epochs: 50
  imgsz: 640
  batch: 32
gpus: 1
gpu_types: [T4, A10, A100-40]
)";

struct ServerTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() /
                 ("gpusched-http-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::atomic<std::int64_t> clock{1'800'000'000};
  std::unique_ptr<Server> server;

  void SetUp() override {
    fs::create_directories(dir);
    StartServer();
  }
  void TearDown() override {
    server.reset();
    fs::remove_all(dir);
  }
  void StartServer() {
    ServerOptions o;
    o.db_path = (dir / "state.db").string();
    o.config = Config();
    o.clock = [this] { return Instant(std::chrono::seconds(clock.load())); };
    auto s = Server::Start(std::move(o), &Catalog());
    ASSERT_TRUE(s.has_value()) << s.error().message;
    server = std::move(*s);
  }
  httplib::Client Client(const char* token) {
    httplib::Client c("127.0.0.1", server->port());
    c.set_bearer_token_auth(token);
    return c;
  }
  json Body(const httplib::Result& r) {
    EXPECT_TRUE(r) << "no response";
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  std::int64_t SubmitYaml(const char* token) {
    auto r = Client(token).Post("/v1/jobs", kYamlJob, "application/yaml");
    EXPECT_TRUE(r && r->status == 201) << (r ? std::to_string(r->status) + " " + r->body : "no response");
    return r && r->status == 201 ? Body(r)["id"].get<std::int64_t>() : 0;
  }
  // Registers `node` with `t4s` T4 GPUs as an agent; returns the generation.
  std::uint64_t RegisterAgent(const std::string& node, int t4s) {
    nlohmann::json gpus = nlohmann::json::array();
    for (int i = 0; i < t4s; ++i) {
      gpus.push_back({{"index", i}, {"uuid", node + "-GPU-" + std::to_string(i)}, {"name", "T4"}});
    }
    auto r = Client(kAgent).Post("/v1/agents/register",
                                 nlohmann::json{{"node", node}, {"gpus", gpus}}.dump(),
                                 "application/json");
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no response");
    return r && r->status == 200 ? Body(r)["generation"].get<std::uint64_t>() : 0;
  }
  // The status and JSON body of a POST with a JSON body.
  std::pair<int, nlohmann::json> Post(const char* token, const std::string& path,
                                      const nlohmann::json& body = nlohmann::json::object()) {
    auto r = Client(token).Post(path, body.dump(), "application/json");
    return {r ? r->status : 0, Body(r)};
  }
  std::pair<int, nlohmann::json> Get(const char* token, const std::string& path) {
    auto r = Client(token).Get(path);
    return {r ? r->status : 0, Body(r)};
  }
  // Polls (bounded) until `pred` holds for the job's view.
  json WaitForJob(std::int64_t id, const std::function<bool(const json&)>& pred) {
    json view;
    for (int i = 0; i < 200; ++i) {
      view = Body(Client(kAdmin).Get("/v1/jobs/" + std::to_string(id)));
      if (pred(view)) return view;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "job " << id << " never reached the state; last: " << view.dump();
    return view;
  }
};

}  // namespace gpusched::server
