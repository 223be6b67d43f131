// The server's configuration: tokens and settings here, the rest through the
// cluster document's loader.
#include "config/server_config.h"

#include <cstdlib>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "config/cluster_document.h"
#include "config/yaml_fields.h"

namespace gpusched::config {
namespace {

using internal::ExpectSequence;
using internal::Fail;
using internal::Index;
using internal::Map;

Result<Role> ParseRole(const std::string& text, const std::string& path) {
  if (text == "admin") return Role::kAdmin;
  if (text == "tenant") return Role::kTenant;
  if (text == "agent") return Role::kAgent;
  return Fail(path, ErrorCode::kInvalidArgument,
              fmt::format("unknown role \"{}\" (known: admin, tenant, agent)", text));
}

// The secret from exactly one of token, token_env, token_file.
Result<std::string> ReadSecret(const Map& m, const SecretSources& sources) {
  const int given = int{m.Has("token")} + int{m.Has("token_env")} + int{m.Has("token_file")};
  if (given != 1) {
    return Fail(m.Path("token"), ErrorCode::kInvalidArgument,
                "give exactly one of token, token_env, token_file");
  }
  std::string value;
  if (m.Has("token")) {
    CF_TRY(m.Required("token", value));
    return value;
  }
  if (m.Has("token_env")) {
    CF_TRY(m.Name("token_env", value));
    std::optional<std::string> secret = sources.env(value);
    if (!secret) {
      return Fail(m.Path("token_env"), ErrorCode::kNotFound,
                  fmt::format("environment variable {} is not set", value));
    }
    return *secret;
  }
  CF_TRY(m.Name("token_file", value));
  Result<std::string> text = sources.file(value);
  if (!text) return Fail(m.Path("token_file"), text.error().code, text.error().message);
  return text->substr(0, text->find_first_of("\r\n"));
}

Result<Token> ParseToken(const YAML::Node& yaml, const std::string& path, const ClusterConfig& c,
                         const SecretSources& sources) {
  Result<Map> m = Map::Open(yaml, path, {"name", "role", "tenant", "token", "token_env", "token_file"});
  CF_TRY(m);
  Token t;
  std::string role;
  CF_TRY(m->Name("name", t.name));
  CF_TRY(m->Name("role", role));
  Result<Role> parsed = ParseRole(role, m->Path("role"));
  CF_TRY(parsed);
  t.role = *parsed;
  if (t.role == Role::kTenant) {
    CF_TRY(m->Name("tenant", t.tenant));
    const bool known = std::any_of(c.tenants.begin(), c.tenants.end(),
                                   [&](const Tenant& x) { return x.name == t.tenant; });
    if (!known) {
      return Fail(m->Path("tenant"), ErrorCode::kNotFound,
                  fmt::format("unknown tenant \"{}\"", t.tenant));
    }
  } else if (m->Has("tenant")) {
    return Fail(m->Path("tenant"), ErrorCode::kInvalidArgument,
                fmt::format("only a tenant token names a tenant (this one is {})", role));
  }
  Result<std::string> secret = ReadSecret(*m, sources);
  CF_TRY(secret);
  if (secret->size() < kMinSecretLength) {
    return Fail(path, ErrorCode::kInvalidArgument,
                fmt::format("the secret of token \"{}\" is {} characters; at least {} are needed",
                            t.name, secret->size(), kMinSecretLength));
  }
  t.secret = std::move(*secret);
  return t;
}

Status ParseTokens(const YAML::Node& yaml, const SecretSources& sources, ServerConfig& out) {
  CF_TRY(ExpectSequence(yaml, "tokens"));
  for (std::size_t i = 0; i < yaml.size(); ++i) {
    const std::string path = Index("tokens", i);
    Result<Token> t = ParseToken(yaml[i], path, out.cluster, sources);
    CF_TRY(t);
    for (const Token& other : out.tokens) {
      if (other.name == t->name) {
        return Fail(path, ErrorCode::kAlreadyExists,
                    fmt::format("duplicate token name \"{}\"", t->name));
      }
      if (other.secret == t->secret) {
        return Fail(path, ErrorCode::kAlreadyExists,
                    fmt::format("token \"{}\" has the same secret as \"{}\"", t->name, other.name));
      }
    }
    out.tokens.push_back(std::move(*t));
  }
  return OkStatus();
}

Status ParseSettings(const YAML::Node& yaml, ServerSettings& s) {
  Result<Map> m = Map::Open(yaml, "server",
                            {"lease_s", "cycle_interval_ms", "max_body_bytes", "http_threads"});
  CF_TRY(m);
  std::int64_t lease = s.lease.count();
  std::int64_t interval = s.cycle_interval.count();
  CF_TRY(m->AtLeast<std::int64_t>("lease_s", lease, 1));
  CF_TRY(m->AtLeast<std::int64_t>("cycle_interval_ms", interval, 10));
  CF_TRY(m->AtLeast<std::int64_t>("max_body_bytes", s.max_body_bytes, 1024));
  CF_TRY(m->AtLeast<int>("http_threads", s.http_threads, 2));
  s.lease = Duration(lease);
  s.cycle_interval = std::chrono::milliseconds(interval);
  return OkStatus();
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kTenant: return "tenant";
    case Role::kAgent: return "agent";
  }
  return "admin";
}

SecretSources SystemSecretSources() {
  SecretSources s;
  s.env = [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  s.file = [](const std::string& path) -> Result<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(ErrorCode::kNotFound, fmt::format("cannot read \"{}\"", path));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text;
  };
  return s;
}

Result<ServerConfig> ParseServerConfig(std::string_view yaml_text, const GpuCatalog& catalog,
                                       const SecretSources& sources) {
  ServerConfig out;
  Status extra = OkStatus();
  Result<ClusterConfig> cluster = ParseYamlText(yaml_text, [&](const YAML::Node& root) {
    DocumentOptions o;
    o.nodes_required = false;
    o.extra_keys = {"tokens", "server"};
    Result<ClusterConfig> c = ParseClusterDocument(root, catalog, o);
    if (!c) return c;
    out.cluster = *c;
    if (root.IsMap() && root["tokens"]) extra = ParseTokens(root["tokens"], sources, out);
    if (extra && root.IsMap() && root["server"]) extra = ParseSettings(root["server"], out.settings);
    return c;
  });
  if (!cluster) return tl::unexpected(cluster.error());
  if (!extra) return tl::unexpected(extra.error());
  if (!out.cluster.nodes.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "nodes: the server learns its nodes from agents; remove this section");
  }
  out.cluster.open_tenants = false;  // the server admits declared tenants only
  return out;
}

ServerConfig DefaultServerConfig(std::string admin_secret) {
  GPUSCHED_CHECK(admin_secret.size() >= kMinSecretLength, "admin secret too short");
  ServerConfig c;
  c.cluster.classes = ClassTable::Defaults();
  Tenant t;
  t.name = "default";
  c.cluster.tenants.push_back(std::move(t));
  c.tokens.push_back(Token{"admin", std::move(admin_secret), Role::kAdmin, ""});
  return c;
}

Status AddAdminToken(ServerConfig& config, std::string name, std::string secret) {
  if (secret.size() < kMinSecretLength) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the admin token is {} characters; at least {} are needed",
                                 secret.size(), kMinSecretLength));
  }
  for (const Token& t : config.tokens) {
    if (t.secret == secret) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("the admin token is already token \"{}\"", t.name));
    }
  }
  config.tokens.push_back(Token{std::move(name), std::move(secret), Role::kAdmin, ""});
  return OkStatus();
}

}  // namespace gpusched::config
