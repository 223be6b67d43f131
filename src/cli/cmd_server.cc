// `gpusched server`: loads the configuration, starts the server, prints the
// address it listens on, and stops cleanly on SIGINT or SIGTERM.
#include <csignal>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <pthread.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "config/server_config.h"
#include "server/server.h"
#include "sim/file_text.h"

namespace gpusched::cli {
namespace {

Result<std::pair<std::string, int>> ParseListen(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--listen: expected HOST:PORT, got \"{}\"", text));
  }
  const std::string port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("--listen: port must be 0..65535, got \"{}\"", port));
  }
  return std::pair{text.substr(0, colon), std::stoi(port)};
}

Result<config::ServerConfig> LoadConfig(const ServerCommandOptions& o, const GpuCatalog& catalog) {
  std::string admin = o.admin_token;
  if (admin.empty()) {
    if (const char* env = std::getenv("GPUSCHED_ADMIN_TOKEN")) admin = env;
  }
  config::ServerConfig config;
  if (!o.config.empty()) {
    Result<std::string> text = sim::ReadFileText(o.config);
    if (!text) return tl::unexpected(text.error());
    Result<config::ServerConfig> parsed =
        config::ParseServerConfig(*text, catalog, config::SystemSecretSources());
    if (!parsed) {
      return MakeError(parsed.error().code, fmt::format("{}: {}", o.config, parsed.error().message));
    }
    config = std::move(*parsed);
  } else {
    config = config::DefaultServerConfig(std::string(config::kMinSecretLength, 'x'));
    config.tokens.clear();
  }
  if (!admin.empty()) {
    if (Status s = config::AddAdminToken(config, "admin", admin); !s) return tl::unexpected(s.error());
  }
  if (config.tokens.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no token can use the API: give --admin-token, set GPUSCHED_ADMIN_TOKEN, "
                     "or list tokens in --config");
  }
  return config;
}

}  // namespace

int RunServer(const ServerCommandOptions& options) {
  static const GpuCatalog catalog = GpuCatalog::BuiltIn();
  Result<std::pair<std::string, int>> listen = ParseListen(options.listen);
  if (!listen) {
    PrintError("server", listen.error().message);
    return kExitUsage;
  }
  Result<config::ServerConfig> config = LoadConfig(options, catalog);
  if (!config) {
    PrintError("server", config.error().message);
    return kExitUsage;
  }
  // Block the stop signals in every thread; this one waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  server::ServerOptions o;
  o.db_path = options.db;
  o.host = listen->first;
  o.port = listen->second;
  o.config = std::move(*config);
  Result<std::unique_ptr<server::Server>> s = server::Server::Start(std::move(o), &catalog);
  if (!s) {
    PrintError("server", s.error().message);
    return kExitFailure;
  }
  fmt::print("gpusched server listening on {}:{} (database {})\n", listen->first, (*s)->port(),
             options.db);
  std::fflush(stdout);
  const timespec tick{0, 200'000'000};
  int signal = -1;
  while (signal < 0 && !(*s)->failed()) signal = sigtimedwait(&stop_signals, nullptr, &tick);
  if ((*s)->failed()) {
    (*s)->Stop();
    PrintError("server", "a change could not be made durable; stopped (see above)");
    return kExitFailure;
  }
  fmt::print("gpusched server: {} received, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
  (*s)->Stop();
  return kExitOk;
}

}  // namespace gpusched::cli
