// Cluster-file loader: walks the YAML tree section by section, naming the
// path of every field it reads so that errors point at the offending one.
#include "config/cluster_file.h"

#include "config/cluster_document.h"
#include "config/yaml_fields.h"

#include <cmath>
#include <functional>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace gpusched::config {
namespace {

using internal::ExpectSequence;
using internal::Fail;
using internal::Index;
using internal::Map;
using internal::ReadStrings;

// --- nodes --------------------------------------------------------------

Status ParseNodeGroup(const YAML::Node& yaml, const std::string& path, const GpuCatalog& catalog,
                      std::vector<NodeSpec>& out) {
  Result<Map> m = Map::Open(yaml, path, {"name", "count", "gpus", "labels"});
  CF_TRY(m);
  NodeSpec node;
  std::string gpus;
  int count = 1;
  CF_TRY(m->Name("name", node.name));
  CF_TRY(m->AtLeast("count", count, 1));
  CF_TRY(m->Required("gpus", gpus));
  Result<std::vector<GpuGroup>> groups = ParseGpuList(gpus, catalog);
  if (!groups) return Fail(m->Path("gpus"), groups.error().code, groups.error().message);
  for (const GpuGroup& g : *groups) {
    for (int i = 0; i < g.count; ++i)
      node.gpus.push_back(GpuSpec{g.type, catalog.type(g.type).memory_mib, "", true});
  }
  if (m->Has("labels")) CF_TRY(ReadStrings((*m)["labels"], m->Path("labels"), node.labels));
  if (count == 1) {
    out.push_back(std::move(node));
    return OkStatus();
  }
  for (int i = 0; i < count; ++i) {
    NodeSpec copy = node;
    copy.name = fmt::format("{}{}", node.name, i);
    out.push_back(std::move(copy));
  }
  return OkStatus();
}

Status ParseNodes(const YAML::Node& yaml, const GpuCatalog& catalog, std::vector<NodeSpec>& out) {
  CF_TRY(ExpectSequence(yaml, "nodes"));
  std::set<std::string> names;
  for (std::size_t i = 0; i < yaml.size(); ++i) {
    const std::string path = Index("nodes", i);
    const std::size_t first = out.size();
    CF_TRY(ParseNodeGroup(yaml[i], path, catalog, out));
    for (std::size_t n = first; n < out.size(); ++n) {
      if (!names.insert(out[n].name).second) {
        return Fail(path, ErrorCode::kAlreadyExists,
                    fmt::format("duplicate node name \"{}\"", out[n].name));
      }
    }
  }
  return OkStatus();
}

// --- tenants ------------------------------------------------------------

Status CheckClass(const Map& m, std::string_view key, const std::string& name,
                  const ClassTable& classes) {
  if (classes.Find(name) != nullptr) return OkStatus();
  return Fail(m.Path(key), ErrorCode::kNotFound, fmt::format("unknown class \"{}\"", name));
}

Result<Tenant> ParseTenant(const YAML::Node& yaml, const std::string& path,
                           const ClassTable& classes) {
  Result<Map> m = Map::Open(yaml, path,
                            {"name", "guaranteed_gpus", "borrow_limit_gpus", "default_class",
                             "max_class_without_approval", "critical_budget_gpu_hours", "credit"});
  CF_TRY(m);
  Tenant t;
  CF_TRY(m->Name("name", t.name));
  CF_TRY(m->AtLeast("guaranteed_gpus", t.guaranteed_gpus, 0));
  if (m->Has("borrow_limit_gpus")) {
    int limit = 0;
    CF_TRY(m->AtLeast("borrow_limit_gpus", limit, 0));
    t.borrow_limit_gpus = limit;
  }
  CF_TRY(m->Optional("default_class", t.default_class));
  CF_TRY(CheckClass(*m, "default_class", t.default_class, classes));
  CF_TRY(m->Optional("max_class_without_approval", t.max_class_without_approval));
  CF_TRY(CheckClass(*m, "max_class_without_approval", t.max_class_without_approval, classes));
  if (m->Has("critical_budget_gpu_hours")) {
    double hours = 0;
    CF_TRY(m->AtLeast("critical_budget_gpu_hours", hours, 0.0));
    if (hours > 1e12)
      return Fail(m->Path("critical_budget_gpu_hours"), ErrorCode::kInvalidArgument, "too large");
    t.critical_budget_gpu_s = std::llround(hours * 3600.0);
  }
  CF_TRY(m->AtLeast("credit", t.credit, 0));
  if (t.credit > 100) return Fail(m->Path("credit"), ErrorCode::kInvalidArgument, "must be <= 100");
  return t;
}

Status ParseTenants(const YAML::Node& yaml, const ClassTable& classes, std::vector<Tenant>& out) {
  CF_TRY(ExpectSequence(yaml, "tenants"));
  std::set<std::string> names;
  for (std::size_t i = 0; i < yaml.size(); ++i) {
    const std::string path = Index("tenants", i);
    Result<Tenant> t = ParseTenant(yaml[i], path, classes);
    CF_TRY(t);
    if (!names.insert(t->name).second) {
      return Fail(path, ErrorCode::kAlreadyExists,
                  fmt::format("duplicate tenant name \"{}\"", t->name));
    }
    out.push_back(std::move(*t));
  }
  return OkStatus();
}

// --- classes ------------------------------------------------------------

Result<SlaTarget> ParseSla(const YAML::Node& yaml, const std::string& path) {
  Result<Map> m = Map::Open(yaml, path, {"percentile", "max_wait_s"});
  CF_TRY(m);
  SlaTarget sla;
  CF_TRY(m->Optional("percentile", sla.percentile));
  CF_TRY(m->Seconds("max_wait_s", sla.max_wait));
  return sla;
}

Result<PriorityClass> ParseClass(const YAML::Node& yaml, const std::string& path) {
  Result<Map> m =
      Map::Open(yaml, path, {"name", "value", "policy", "sla", "min_runtime_s", "grace_s", "save_period"});
  CF_TRY(m);
  PriorityClass pc;
  CF_TRY(m->Required("name", pc.name));
  CF_TRY(m->Required("value", pc.value));
  if (m->Has("policy")) {
    std::string text;
    CF_TRY(m->Optional("policy", text));
    Result<PreemptionPolicy> p = ParsePreemptionPolicy(text);
    if (!p) return Fail(m->Path("policy"), p.error().code, p.error().message);
    pc.policy = *p;
  }
  if (m->Has("sla")) {
    Result<SlaTarget> sla = ParseSla((*m)["sla"], m->Path("sla"));
    CF_TRY(sla);
    pc.sla = *sla;
  }
  CF_TRY(m->Seconds("min_runtime_s", pc.min_runtime));
  CF_TRY(m->Seconds("grace_s", pc.preemption_grace));
  CF_TRY(m->Optional("save_period", pc.save_period));
  if (pc.save_period < 1) {
    return Fail(m->Path("save_period"), ErrorCode::kInvalidArgument,
                fmt::format("must be at least 1 epoch, got {}", pc.save_period));
  }
  return pc;
}

Result<ClassTable> ParseClasses(const YAML::Node& yaml) {
  CF_TRY(ExpectSequence(yaml, "classes"));
  if (yaml.size() == 0)
    return Fail("classes", ErrorCode::kInvalidArgument, "must list at least one class");
  ClassTable table;
  for (std::size_t i = 0; i < yaml.size(); ++i) {
    const std::string path = Index("classes", i);
    Result<PriorityClass> pc = ParseClass(yaml[i], path);
    CF_TRY(pc);
    Status added = table.Add(std::move(*pc));
    if (!added) return Fail(path, added.error().code, added.error().message);
  }
  return table;
}

// --- policy -------------------------------------------------------------

Status ParsePolicy(const YAML::Node& yaml, PolicyConfig& p) {
  Result<Map> m =
      Map::Open(yaml, "policy",
                {"max_preemptions_per_window", "preemption_window_s", "restart_overhead_s",
                 "restart_overhead_uncached_s", "enable_preemption", "enable_backfill",
                 "enable_defrag", "enable_reservations", "reclaim_equal_priority",
                 "enforce_preemption_limits", "enforce_guarantees", "wait_instead",
                 "respect_min_runtime", "nomination_ttl_s", "max_reservations"});
  CF_TRY(m);
  CF_TRY(m->AtLeast("max_preemptions_per_window", p.max_preemptions_per_window, 0));
  CF_TRY(m->Seconds("preemption_window_s", p.preemption_window));
  CF_TRY(m->Seconds("restart_overhead_s", p.restart_overhead));
  CF_TRY(m->Seconds("restart_overhead_uncached_s", p.restart_overhead_uncached));
  CF_TRY(m->Optional("enable_preemption", p.enable_preemption));
  CF_TRY(m->Optional("enable_backfill", p.enable_backfill));
  CF_TRY(m->Optional("enable_defrag", p.enable_defrag));
  CF_TRY(m->Optional("reclaim_equal_priority", p.reclaim_equal_priority));
  CF_TRY(m->Optional("enable_reservations", p.enable_reservations));
  CF_TRY(m->Optional("enforce_preemption_limits", p.enforce_preemption_limits));
  CF_TRY(m->Optional("enforce_guarantees", p.enforce_guarantees));
  CF_TRY(m->Optional("wait_instead", p.wait_instead));
  CF_TRY(m->Optional("respect_min_runtime", p.respect_min_runtime));
  CF_TRY(m->Seconds("nomination_ttl_s", p.nomination_ttl));
  CF_TRY(m->AtLeast("max_reservations", p.max_reservations, 0));
  return OkStatus();
}

// --- the document -------------------------------------------------------

}  // namespace

Result<ClusterConfig> ParseClusterDocument(const YAML::Node& root, const GpuCatalog& catalog,
                                           const DocumentOptions& options) {
  ClusterConfig config{{}, {}, ClassTable::Defaults(), PolicyConfig{}};
  if (root.IsNull() && options.nodes_required) {
    return Fail("nodes", ErrorCode::kInvalidArgument, "missing");
  }
  std::vector<std::string_view> keys = {"nodes", "tenants", "classes", "policy"};
  keys.insert(keys.end(), options.extra_keys.begin(), options.extra_keys.end());
  if (!root.IsNull()) {
    Result<Map> m = Map::Open(root, "", keys);
    CF_TRY(m);
    if (!m->Has("nodes") && options.nodes_required) {
      return Fail("nodes", ErrorCode::kInvalidArgument, "missing");
    }
    if (m->Has("nodes")) CF_TRY(ParseNodes((*m)["nodes"], catalog, config.nodes));
    if (m->Has("classes")) {
      Result<ClassTable> classes = ParseClasses((*m)["classes"]);
      CF_TRY(classes);
      config.classes = std::move(*classes);
    }
    if (m->Has("tenants")) CF_TRY(ParseTenants((*m)["tenants"], config.classes, config.tenants));
    if (m->Has("policy")) CF_TRY(ParsePolicy((*m)["policy"], config.policy));
  }
  if (config.tenants.empty()) {
    Tenant fallback;
    fallback.name = "default";
    config.tenants.push_back(std::move(fallback));
    config.open_tenants = true;
  }
  return config;
}

Result<ClusterConfig> ParseYamlText(std::string_view text,
                                    const std::function<Result<ClusterConfig>(const YAML::Node&)>& parse) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return parse(root);
  } catch (const YAML::ParserException& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("malformed YAML at line {}, column {}: {}", e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("invalid configuration: {}", e.what()));
  }
}

namespace {
}  // namespace

Result<ClusterConfig> ParseClusterFile(std::string_view yaml_text, const GpuCatalog& catalog) {
  return ParseYamlText(yaml_text, [&](const YAML::Node& root) {
    return ParseClusterDocument(root, catalog, DocumentOptions{});
  });
}

}  // namespace gpusched::config
