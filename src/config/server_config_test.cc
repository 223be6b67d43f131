// The server's configuration file: tokens, settings, and what it refuses.
#include "config/server_config.h"

#include <map>

#include <gtest/gtest.h>

namespace gpusched::config {
namespace {

const GpuCatalog& Catalog() {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  return catalog;
}

SecretSources Fake(std::map<std::string, std::string> env = {},
                   std::map<std::string, std::string> files = {}) {
  SecretSources s;
  s.env = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  s.file = [files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return MakeError(ErrorCode::kNotFound, "cannot read \"" + path + "\"");
    return it->second;
  };
  return s;
}

std::string ErrorOf(std::string_view yaml, const SecretSources& s = Fake()) {
  Result<ServerConfig> c = ParseServerConfig(yaml, Catalog(), s);
  EXPECT_FALSE(c.has_value());
  return c ? "" : c.error().message;
}

TEST(ServerConfig, TokensComeInlineFromTheEnvironmentOrFromAFile) {
  const auto c = ParseServerConfig(R"(
tenants: [{name: quality}, {name: research}]
tokens:
  - {name: ops, role: admin, token: "0123456789abcdef-ops"}
  - {name: quality-ci, role: tenant, tenant: quality, token_env: QUALITY_TOKEN}
  - {name: agents, role: agent, token_file: /etc/agent-token}
server: {lease_s: 15, cycle_interval_ms: 250, max_body_bytes: 65536}
)",
                                   Catalog(),
                                   Fake({{"QUALITY_TOKEN", "quality-secret-0001"}},
                                        {{"/etc/agent-token", "agent-secret-000001\nignored"}}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(c->tokens.size(), 3u);
  EXPECT_EQ(c->tokens[0].role, Role::kAdmin);
  EXPECT_EQ(c->tokens[1].tenant, "quality");
  EXPECT_EQ(c->tokens[1].secret, "quality-secret-0001");
  EXPECT_EQ(c->tokens[2].secret, "agent-secret-000001") << "the file's first line";
  EXPECT_EQ(c->settings.lease, Duration(15));
  EXPECT_EQ(c->settings.cycle_interval.count(), 250);
  EXPECT_EQ(c->settings.max_body_bytes, 65536);
  EXPECT_EQ(c->cluster.tenants.size(), 2u);
  EXPECT_FALSE(c->cluster.open_tenants) << "the server admits declared tenants only";
}

TEST(ServerConfig, AnEmptyFileGivesTheDefaults) {
  const auto c = ParseServerConfig("", Catalog(), Fake());
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_TRUE(c->tokens.empty());
  ASSERT_EQ(c->cluster.tenants.size(), 1u);
  EXPECT_EQ(c->cluster.tenants[0].name, "default");
  EXPECT_EQ(c->settings.lease, Duration(30));
}

TEST(ServerConfig, BadTokensAreRefusedWithoutShowingTheSecret) {
  EXPECT_EQ(ErrorOf("tokens: [{name: a, role: admin, token: short}]"),
            "tokens[0]: the secret of token \"a\" is 5 characters; at least 16 are needed");
  EXPECT_EQ(ErrorOf("tokens: [{name: a, role: root, token: 0123456789abcdef}]"),
            "tokens[0].role: unknown role \"root\" (known: admin, tenant, agent)");
  EXPECT_EQ(ErrorOf("tokens: [{name: a, role: tenant, tenant: qa, token: 0123456789abcdef}]"),
            "tokens[0].tenant: unknown tenant \"qa\"");
  EXPECT_EQ(ErrorOf("tokens: [{name: a, role: agent, tenant: default, token: 0123456789abcdef}]"),
            "tokens[0].tenant: only a tenant token names a tenant (this one is agent)");
  EXPECT_EQ(ErrorOf("tokens: [{name: a, role: admin}]"),
            "tokens[0].token: give exactly one of token, token_env, token_file");
  EXPECT_EQ(ErrorOf("tokens: [{name: a, role: admin, token_env: NOPE}]"),
            "tokens[0].token_env: environment variable NOPE is not set");
  EXPECT_EQ(ErrorOf(R"(tokens:
  - {name: a, role: admin, token: 0123456789abcdef}
  - {name: b, role: agent, token: 0123456789abcdef})"),
            "tokens[1]: token \"b\" has the same secret as \"a\"");
}

TEST(ServerConfig, NodesAndUnknownKeysAreRefused) {
  EXPECT_EQ(ErrorOf("nodes: [{name: n, gpus: 1xT4}]"),
            "nodes: the server learns its nodes from agents; remove this section");
  EXPECT_EQ(ErrorOf("server: {lease: 5}"), "server: unknown key \"lease\"");
  EXPECT_EQ(ErrorOf("tokenz: []"), "unknown key \"tokenz\"");
  EXPECT_EQ(ErrorOf("server: {lease_s: 0}"), "server.lease_s: must be >= 1");
}

TEST(ServerConfig, AnAdminTokenMayBeAddedFromTheCommandLine) {
  ServerConfig c = DefaultServerConfig("0123456789abcdef-admin");
  EXPECT_EQ(c.tokens.size(), 1u);
  EXPECT_FALSE(AddAdminToken(c, "cli", "short").has_value());
  EXPECT_FALSE(AddAdminToken(c, "cli", "0123456789abcdef-admin").has_value());
  EXPECT_TRUE(AddAdminToken(c, "cli", "0123456789abcdef-other").has_value());
  EXPECT_EQ(c.tokens.size(), 2u);
}

}  // namespace
}  // namespace gpusched::config
