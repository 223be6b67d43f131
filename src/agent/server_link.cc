#include "agent/server_link.h"

#include <httplib.h>

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gpusched::agent {
namespace {

using nlohmann::json;

json GpusJson(const std::vector<GpuInfo>& gpus) {
  json out = json::array();
  for (const GpuInfo& g : gpus) {
    out.push_back(json{{"index", g.index},
                       {"uuid", g.uuid},
                       {"name", g.name},
                       {"memory_mib", g.memory_total_mib},
                       {"memory_used_mib", g.memory_used_mib},
                       {"utilization_pct", g.utilization_pct},
                       {"temperature_c", g.temperature_c},
                       {"healthy", g.healthy},
                       {"health_reason", g.health_reason}});
  }
  return out;
}

json ReportJson(const RunReport& r) {
  json o{{"assignment", r.assignment}, {"kind", r.kind}};
  if (r.kind == "epoch" || r.kind == "checkpoint" || r.kind == "exited" || r.kind == "preempted") {
    o["epoch"] = r.epoch;
  }
  if (r.kind == "epoch" && r.epoch_s > 0) o["epoch_s"] = static_cast<std::int64_t>(r.epoch_s + 0.5);
  if (r.kind == "memory") o["peak_mib"] = r.peak_mib;
  if (r.kind == "exited") {
    o["exit_code"] = r.exit_code;
    o["message"] = r.message;
  }
  if (r.kind == "log") {
    o["offset"] = r.offset;
    o["text"] = r.text;
  }
  return o;
}

// `text` as one URL path segment.
std::string PathSegment(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// The server's error message, or the body itself.
std::string ErrorText(const httplib::Result& res) {
  const json body = json::parse(res->body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    return fmt::format("{} {}", res->status, body["error"].value("message", ""));
  }
  return fmt::format("{} {}", res->status, res->body.substr(0, 200));
}

}  // namespace

struct ServerLink::Impl {
  std::string node;
  httplib::Client client;
  Impl(const std::string& server, const std::string& token, std::string n)
      : node(std::move(n)), client(server) {
    client.set_bearer_token_auth(token);
    client.set_connection_timeout(std::chrono::seconds(3));
    client.set_read_timeout(std::chrono::seconds(75));  // longer than a long poll
    client.set_write_timeout(std::chrono::seconds(10));
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
  }

  // The outcome of a finished request; `parse` reads a 2xx body.
  template <typename T, typename Parse>
  Call<T> Finish(const httplib::Result& res, Parse parse) {
    Call<T> call;
    if (!res) {
      call.outcome = CallOutcome::kUnreachable;
      call.message = httplib::to_string(res.error());
      return call;
    }
    if (res->status == 409) {
      call.outcome = CallOutcome::kLost;
      call.message = ErrorText(res);
    } else if (res->status >= 500) {
      call.outcome = CallOutcome::kUnreachable;
      call.message = ErrorText(res);
    } else if (res->status >= 400) {
      call.outcome = CallOutcome::kRefused;
      call.message = ErrorText(res);
    } else {
      parse(res->body, call);
    }
    return call;
  }

  template <typename T, typename Parse>
  Call<T> PostJson(const std::string& path, const json& body, Parse parse) {
    return Finish<T>(client.Post(path, body.dump(-1, ' ', false, json::error_handler_t::replace),
                                 "application/json"),
                     parse);
  }
};

ServerLink::ServerLink(std::string server, std::string token, std::string node)
    : impl_(std::make_unique<Impl>(server, token, std::move(node))) {}
ServerLink::~ServerLink() = default;

Call<Registered> ServerLink::Register(const std::string& agent_id, const std::vector<GpuInfo>& gpus,
                                      const std::vector<std::string>& labels,
                                      const std::vector<std::uint64_t>& running) {
  const json body{{"node", impl_->node}, {"agent_id", agent_id}, {"gpus", GpusJson(gpus)},
                  {"labels", labels},    {"running", running}};
  return impl_->PostJson<Registered>(
      "/v1/agents/register", body, [](const std::string& text, Call<Registered>& call) {
        const json o = json::parse(text, nullptr, false);
        try {
          call.value.generation = o.at("generation").get<std::uint64_t>();
          call.value.lease_s = o.at("lease_s").get<int>();
          call.value.stop = o.value("stop", std::vector<std::uint64_t>{});
        } catch (const json::exception& e) {
          call.outcome = CallOutcome::kRefused;
          call.message = fmt::format("unreadable registration answer: {}", e.what());
        }
      });
}

Call<bool> ServerLink::Heartbeat(std::uint64_t generation, const std::vector<GpuInfo>& gpus) {
  const json body{{"node", impl_->node}, {"generation", generation}, {"gpus", GpusJson(gpus)}};
  return impl_->PostJson<bool>("/v1/agents/heartbeat", body,
                               [](const std::string&, Call<bool>& call) { call.value = true; });
}

Call<AssignmentList> ServerLink::Assignments(std::uint64_t generation, const std::string& since,
                                             int wait_s) {
  httplib::Params params{{"generation", std::to_string(generation)}};
  if (!since.empty()) {
    params.emplace("since", since);
    params.emplace("wait_s", std::to_string(wait_s));
  }
  const std::string path = httplib::append_query_params(
      fmt::format("/v1/agents/{}/assignments", PathSegment(impl_->node)), params);
  return impl_->Finish<AssignmentList>(
      impl_->client.Get(path), [](const std::string& text, Call<AssignmentList>& call) {
        Result<AssignmentList> list = ParseAssignmentList(text);
        if (list) {
          call.value = std::move(*list);
        } else {
          call.outcome = CallOutcome::kRefused;
          call.message = list.error().message;
        }
      });
}

Call<bool> ServerLink::Report(std::uint64_t generation, const std::vector<RunReport>& reports) {
  return impl_->Finish<bool>(
      impl_->client.Post(fmt::format("/v1/agents/{}/reports",
                                     PathSegment(impl_->node)),
                         ReportsBody(generation, reports), "application/json"),
      [](const std::string&, Call<bool>& call) { call.value = true; });
}

void ServerLink::Cancel() { impl_->client.stop(); }

std::string ReportsBody(std::uint64_t generation, const std::vector<RunReport>& reports) {
  json list = json::array();
  for (const RunReport& r : reports) list.push_back(ReportJson(r));
  return json{{"generation", generation}, {"reports", list}}.dump(-1, ' ', false,
                                                                    json::error_handler_t::replace);
}

}  // namespace gpusched::agent
