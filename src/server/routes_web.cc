// The dashboard (web/, compiled in by cmake/embed_web.cmake) and the one
// API route it needs beyond the others: who the caller is.
//
// The page and its script hold no data, so they are served without a token;
// every API call the script makes carries the token the user signed in
// with. The Content-Security-Policy lets the page load only its own files
// and talk only to this server: no inline script, nothing from elsewhere.
#include "server/server_impl.h"
#include "server/web_assets.h"

namespace gpusched::server {

void AddWebRoutes(Server::Impl& s) {
  for (const WebAsset& asset : WebAssets()) {
    s.http.Get(std::string(asset.path), [&asset](const httplib::Request&, httplib::Response& res) {
      res.set_header(
          "Content-Security-Policy",
          "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
    });
  }
  // Any role, the agent's included: the dashboard asks it at sign-in to
  // show only what the role may see and do.
  s.http.Get("/v1/whoami", [&s](const httplib::Request& req, httplib::Response& res) {
    auto who = s.Authenticate(req);
    if (auto* r = std::get_if<Reply>(&who)) return Send(res, *r);
    const Caller& caller = std::get<Caller>(who);
    nlohmann::json body{{"name", caller.name}, {"role", config::RoleName(caller.role)}};
    if (caller.role == config::Role::kTenant) body["tenant"] = caller.tenant;
    Send(res, Reply{200, body});
  });
}

}  // namespace gpusched::server
