// The operations commands, clients of /v1/freezes, /v1/nodes, /v1/sla and
// /v1/events: freeze, unfreeze, freezes, nodes, drain, undrain, sla, events.
#include <string>

#include <fmt/core.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/ops_format.h"

namespace gpusched::cli {
namespace {

struct FreezeScope {
  std::string scope;
  std::string target;
};

FreezeScope ScopeOf(const FreezeOptions& o) {
  if (o.job) return {"job", std::to_string(*o.job)};
  if (!o.tenant.empty()) return {"tenant", o.tenant};
  return {"cluster", ""};
}

std::string OptionalNumber(const std::optional<std::int64_t>& n) {
  return n ? std::to_string(*n) : "";
}

int RunNodeAction(const NodeOptions& o, std::string_view action, std::string_view done) {
  const std::string path = fmt::format("/v1/nodes/{}/{}", PathSegment(o.node), action);
  return RunRequest(
      o.client, [&](ApiClient& c) { return c.Post(path, Json::object()); },
      [&](const Json& node) { return NodeChangeText(done, node); });
}

}  // namespace

int RunFreeze(const FreezeOptions& options) {
  const FreezeScope s = ScopeOf(options);
  const Json body{{"scope", s.scope}, {"target", s.target}, {"for_s", options.for_s}};
  return RunRequest(
      options.client, [&](ApiClient& c) { return c.Post("/v1/freezes", body); },
      [](const Json& reply) { return FreezeText(reply, NowUnixSeconds()); });
}

int RunUnfreeze(const FreezeOptions& options) {
  const FreezeScope s = ScopeOf(options);
  // The target is sent even when empty: the cluster's freeze has target "".
  const Query query{{"scope", s.scope}, {"target", s.target}};
  return RunRequest(
      options.client, [&](ApiClient& c) { return c.Delete("/v1/freezes", query); }, UnfreezeText);
}

int RunFreezes(const ClientOptions& options) {
  return RunRequest(
      options, [](ApiClient& c) { return c.Get("/v1/freezes"); },
      [](const Json& reply) { return FreezesText(reply, NowUnixSeconds()); });
}

int RunNodes(const ClientOptions& options) {
  return RunRequest(
      options, [](ApiClient& c) { return c.Get("/v1/nodes"); }, NodesText);
}

int RunDrain(const NodeOptions& options) { return RunNodeAction(options, "drain", "drained"); }

int RunUndrain(const NodeOptions& options) {
  return RunNodeAction(options, "undrain", "undrained");
}

int RunSla(const SlaOptions& options) {
  const Query query = NonEmpty({{"window_s", OptionalNumber(options.window_s)}});
  return RunRequest(
      options.client, [&](ApiClient& c) { return c.Get("/v1/sla", query); }, SlaText);
}

int RunEvents(const EventsOptions& options) {
  const Query query = NonEmpty({{"job", OptionalNumber(options.job)},
                                {"kind", options.kind},
                                {"limit", OptionalNumber(options.limit)},
                                {"after", OptionalNumber(options.after)}});
  return RunRequest(
      options.client, [&](ApiClient& c) { return c.Get("/v1/events", query); }, EventsText);
}

}  // namespace gpusched::cli
