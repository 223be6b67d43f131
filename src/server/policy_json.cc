#include "server/policy_json.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gpusched::server {
namespace {

using nlohmann::json;

// A field error: "field: why".
struct Bad {
  std::string message;
};

json ClassView(const PriorityClass& pc) {
  json sla = nullptr;
  if (pc.sla) sla = json{{"percentile", pc.sla->percentile}, {"max_wait_s", pc.sla->max_wait.count()}};
  return json{{"name", pc.name},
              {"value", pc.value},
              {"preempts", pc.policy == PreemptionPolicy::kPreemptLowerPriority},
              {"sla", sla},
              {"min_runtime_s", pc.min_runtime.count()},
              {"preemption_grace_s", pc.preemption_grace.count()},
              {"save_period", pc.save_period}};
}

json TenantView(const Tenant& t) {
  return json{{"name", t.name},
              {"guaranteed_gpus", t.guaranteed_gpus},
              {"borrow_limit_gpus", t.borrow_limit_gpus ? json(*t.borrow_limit_gpus) : json(nullptr)},
              {"default_class", t.default_class},
              {"max_class_without_approval", t.max_class_without_approval},
              {"critical_budget_gpu_s",
               t.critical_budget_gpu_s ? json(*t.critical_budget_gpu_s) : json(nullptr)},
              {"credit", t.credit}};
}

json ParseObject(std::string_view text) {
  json o = json::parse(text, nullptr, false);
  if (o.is_discarded() || !o.is_object()) throw Bad{"the body must be a JSON object"};
  return o;
}

void OnlyKnown(const json& o, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : o.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw Bad{fmt::format("{}: unknown field", key)};
    }
  }
}

template <typename T>
T Number(const json& o, const char* key, T min, T max) {
  const json& v = o.at(key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < static_cast<std::int64_t>(min) ||
      v.get<std::int64_t>() > static_cast<std::int64_t>(max)) {
    throw Bad{fmt::format("{}: must be a whole number from {} to {}, got {}", key, min, max, v.dump())};
  }
  return static_cast<T>(v.get<std::int64_t>());
}

std::string Text(const json& o, const char* key) {
  if (!o.at(key).is_string() || o.at(key).get<std::string>().empty()) {
    throw Bad{fmt::format("{}: must be a non-empty string", key)};
  }
  return o.at(key).get<std::string>();
}

void CheckName(const json& o, std::string_view name) {
  if (o.contains("name") && (!o["name"].is_string() || o["name"].get<std::string>() != name)) {
    throw Bad{fmt::format("name: must be \"{}\" (the name in the path)", name)};
  }
}

constexpr std::int64_t kMaxSeconds = 10LL * 365 * 86400;

PriorityClass ReadClass(const json& o, PriorityClass pc) {
  OnlyKnown(o, {"name", "value", "preempts", "sla", "min_runtime_s", "preemption_grace_s",
                "save_period"});
  if (o.contains("value")) pc.value = Number<std::int32_t>(o, "value", 0, 1'000'000);
  if (o.contains("preempts")) {
    if (!o["preempts"].is_boolean()) throw Bad{"preempts: must be true or false"};
    pc.policy = o["preempts"].get<bool>() ? PreemptionPolicy::kPreemptLowerPriority
                                          : PreemptionPolicy::kNever;
  }
  if (o.contains("sla")) {
    if (o["sla"].is_null()) {
      pc.sla.reset();
    } else if (!o["sla"].is_object()) {
      throw Bad{"sla: must be an object {percentile, max_wait_s} or null"};
    } else {
      const json& s = o["sla"];
      OnlyKnown(s, {"percentile", "max_wait_s"});
      if (!s.contains("max_wait_s")) throw Bad{"sla.max_wait_s: missing"};
      pc.sla = SlaTarget{s.contains("percentile") ? Number<int>(s, "percentile", 1, 100) : 95,
                         Duration(Number<std::int64_t>(s, "max_wait_s", 0, kMaxSeconds))};
    }
  }
  if (o.contains("min_runtime_s")) {
    pc.min_runtime = Duration(Number<std::int64_t>(o, "min_runtime_s", 0, kMaxSeconds));
  }
  if (o.contains("preemption_grace_s")) {
    pc.preemption_grace = Duration(Number<std::int64_t>(o, "preemption_grace_s", 0, 86400));
  }
  if (o.contains("save_period")) pc.save_period = Number<int>(o, "save_period", 1, 100'000);
  return pc;
}

Tenant ReadTenant(const json& o, Tenant t) {
  OnlyKnown(o, {"name", "guaranteed_gpus", "borrow_limit_gpus", "default_class",
                "max_class_without_approval", "critical_budget_gpu_s", "credit"});
  if (o.contains("guaranteed_gpus")) t.guaranteed_gpus = Number<int>(o, "guaranteed_gpus", 0, 1'000'000);
  if (o.contains("borrow_limit_gpus")) {
    t.borrow_limit_gpus = o["borrow_limit_gpus"].is_null()
                              ? std::nullopt
                              : std::optional<int>(Number<int>(o, "borrow_limit_gpus", 0, 1'000'000));
  }
  if (o.contains("default_class")) t.default_class = Text(o, "default_class");
  if (o.contains("max_class_without_approval")) {
    t.max_class_without_approval = Text(o, "max_class_without_approval");
  }
  if (o.contains("critical_budget_gpu_s")) {
    t.critical_budget_gpu_s =
        o["critical_budget_gpu_s"].is_null()
            ? std::nullopt
            : std::optional<std::int64_t>(
                  Number<std::int64_t>(o, "critical_budget_gpu_s", 0, kMaxSeconds * 1024));
  }
  if (o.contains("credit")) t.credit = Number<int>(o, "credit", 0, 100);
  return t;
}

}  // namespace

std::string ClassToJson(const PriorityClass& pc) { return ClassView(pc).dump(); }
std::string TenantToJson(const Tenant& t) { return TenantView(t).dump(); }

std::string ClassesToJson(const ClassTable& classes) {
  json out = json::array();
  for (const PriorityClass& pc : classes.classes()) out.push_back(ClassView(pc));
  return out.dump();
}

std::string TenantsToJson(const std::vector<Tenant>& tenants) {
  json out = json::array();
  for (const Tenant& t : tenants) out.push_back(TenantView(t));
  return out.dump();
}

Result<PriorityClass> ClassFromBody(std::string_view name, std::string_view body,
                                    PriorityClass base) {
  try {
    const json o = ParseObject(body);
    CheckName(o, name);
    base.name = std::string(name);
    return ReadClass(o, std::move(base));
  } catch (const Bad& b) {
    return MakeError(ErrorCode::kInvalidArgument, b.message);
  }
}

Result<Tenant> TenantFromBody(std::string_view name, std::string_view body, Tenant base) {
  try {
    const json o = ParseObject(body);
    CheckName(o, name);
    base.name = std::string(name);
    return ReadTenant(o, std::move(base));
  } catch (const Bad& b) {
    return MakeError(ErrorCode::kInvalidArgument, b.message);
  }
}

Result<ClassTable> ClassesFromJson(std::string_view text) {
  try {
    ClassTable table;
    for (const json& o : json::parse(text)) {
      PriorityClass pc;
      pc.name = o.at("name").get<std::string>();
      if (Status s = table.Add(ReadClass(o, std::move(pc))); !s) throw Bad{s.error().message};
    }
    return table;
  } catch (const Bad& b) {
    return MakeError(ErrorCode::kInvalidArgument, "not a class list: " + b.message);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("not a class list: {}", e.what()));
  }
}

Result<std::vector<Tenant>> TenantsFromJson(std::string_view text) {
  try {
    std::vector<Tenant> out;
    for (const json& o : json::parse(text)) {
      Tenant t;
      t.name = o.at("name").get<std::string>();
      out.push_back(ReadTenant(o, std::move(t)));
    }
    return out;
  } catch (const Bad& b) {
    return MakeError(ErrorCode::kInvalidArgument, "not a tenant list: " + b.message);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("not a tenant list: {}", e.what()));
  }
}

}  // namespace gpusched::server
