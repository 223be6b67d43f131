// `gpusched server`: the control plane process. Opens (creates, migrates)
// the SQLite store, rebuilds the state, and serves the REST API while its
// owner thread runs the scheduling loop (docs/control-plane.md).
//
// Threads: cpp-httplib's pool parses and authenticates requests and posts
// commands to the owner thread; the owner applies them to the Control and
// hands each change to the group committer; a request is answered after its
// change is durable. A failed commit stops the server (fail-stop).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/server_config.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched::server {

struct ServerOptions {
  std::string db_path;               // the SQLite file (created if missing)
  std::string host = "127.0.0.1";
  int port = 0;                      // 0: a free port (see Server::port)
  config::ServerConfig config;
  std::function<Instant()> clock;    // default: the system clock, in seconds
};

class Server {
 public:
  // Starts everything; returns once the port is bound and the state loaded.
  // Fails naming the cause: the database (locked by another server, newer
  // schema, unreadable rows) or the address.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, const GpuCatalog* catalog);
  ~Server();  // Stop()

  int port() const;
  // True once a commit failed: the server stopped serving and must exit.
  bool failed() const;
  // Stops accepting requests, finishes the owner's queue, makes every
  // acknowledged change durable, closes the store. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpusched::server
