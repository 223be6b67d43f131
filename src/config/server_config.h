// The server's configuration file: the cluster file's tenants, classes and
// policy (nodes come from agents, not from the file), plus API tokens and
// server settings.
//
//   tenants: [...]            # as in a cluster file; one "default" when absent
//   classes: [...]
//   policy: {...}
//   tokens:
//     - {name: ops, role: admin, token: "a-long-random-secret-1"}
//     - {name: quality-ci, role: tenant, tenant: quality, token_env: QUALITY_TOKEN}
//     - {name: agents, role: agent, token_file: /etc/gpusched/agent-token}
//   server:
//     lease_s: 30             # an agent silent this long loses its lease
//     cycle_interval_ms: 1000 # the scheduling loop also runs on every event
//     max_body_bytes: 1048576
//     http_threads: 64        # connections served at once (agents long-poll)
//
// A token's secret is given inline (`token`), by environment variable
// (`token_env`) or by file (`token_file`, first line); exactly one of them.
// Secrets are at least 16 characters and unique.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cluster_file.h"

namespace gpusched::config {

enum class Role {
  kAdmin,   // everything
  kTenant,  // its own tenant's jobs only
  kAgent,   // the agent endpoints only
};
std::string_view RoleName(Role role);

struct Token {
  std::string name;    // for logs and audit; never the secret
  std::string secret;
  Role role = Role::kAdmin;
  std::string tenant;  // kTenant only
};

struct ServerSettings {
  Duration lease{30};
  std::chrono::milliseconds cycle_interval{1000};
  std::int64_t max_body_bytes = 1 << 20;
  // Each open connection (a keep-alive client, a long-polling agent) holds
  // one of these threads while it is served.
  int http_threads = 64;
};

struct ServerConfig {
  ClusterConfig cluster;  // tenants, classes, policy; no nodes
  std::vector<Token> tokens;
  ServerSettings settings;
};

// Where token_env and token_file are read from; injected so that parsing
// stays a pure function in tests.
struct SecretSources {
  std::function<std::optional<std::string>(std::string_view name)> env;
  std::function<Result<std::string>(const std::string& path)> file;
};
// The process environment and the file system.
SecretSources SystemSecretSources();

inline constexpr std::size_t kMinSecretLength = 16;

// Parses the server's configuration. Errors name the field's path
// (`tokens[1].tenant: unknown tenant "qa"`); a secret never appears in one.
Result<ServerConfig> ParseServerConfig(std::string_view yaml_text, const GpuCatalog& catalog,
                                       const SecretSources& sources);

// The configuration without a file: default classes and policy, one tenant
// "default", and one admin token with `admin_secret`.
// REQUIRES: admin_secret.size() >= kMinSecretLength (callers check first).
ServerConfig DefaultServerConfig(std::string admin_secret);

// Adds an admin token named `name` (e.g. from --admin-token); fails when the
// secret is too short or already used by another token.
Status AddAdminToken(ServerConfig& config, std::string name, std::string secret);

}  // namespace gpusched::config
