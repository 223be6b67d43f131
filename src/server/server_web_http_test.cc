// The dashboard over HTTP: its files are served from the binary without a
// token, with a Content-Security-Policy; /v1/whoami names the caller.
#include <set>
#include <string>
#include <vector>

#include "server/server_http_testing.h"

namespace gpusched::server {
namespace {

TEST_F(ServerTest, TheDashboardIsServedWithoutATokenUnderAContentSecurityPolicy) {
  httplib::Client anonymous("127.0.0.1", server->port());
  auto page = anonymous.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");
  EXPECT_NE(page->body.find("<script type=\"module\" src=\"/app.js\""), std::string::npos);

  auto script = anonymous.Get("/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("import "), std::string::npos);

  auto style = anonymous.Get("/app.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->status, 200);
  EXPECT_EQ(style->get_header_value("Content-Type"), "text/css; charset=utf-8");
}

// The modules named in `from './x.js'` clauses of `script`.
std::vector<std::string> ImportedModules(const std::string& script) {
  std::vector<std::string> out;
  const std::string mark = "from './";
  for (std::size_t at = script.find(mark); at != std::string::npos; at = script.find(mark, at + 1)) {
    const std::size_t begin = at + mark.size();
    const std::size_t end = script.find('\'', begin);
    if (end != std::string::npos) out.push_back(script.substr(begin, end - begin));
  }
  return out;
}

TEST_F(ServerTest, EveryModuleThePageImportsIsServedAsJavaScript) {
  httplib::Client anonymous("127.0.0.1", server->port());
  std::vector<std::string> todo{"app.js"};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const std::string name = todo.back();
    todo.pop_back();
    if (!seen.insert(name).second) continue;
    auto r = anonymous.Get("/" + name);
    ASSERT_TRUE(r) << name;
    ASSERT_EQ(r->status, 200) << name;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/javascript; charset=utf-8") << name;
    for (const std::string& m : ImportedModules(r->body)) todo.push_back(m);
  }
  EXPECT_TRUE(seen.count("core.js") && seen.count("chart.js") && seen.count("job.js"))
      << "the views' modules are reached from app.js";
  auto core = anonymous.Get("/core.js");
  ASSERT_TRUE(core);
  EXPECT_NE(core->body.find("sessionStorage"), std::string::npos) << "the token stays in this tab";
}

TEST_F(ServerTest, OnlyTheDashboardsFilesAreServed) {
  httplib::Client anonymous("127.0.0.1", server->port());
  auto r = anonymous.Get("/CMakeLists.txt");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  auto api = anonymous.Get("/v1/jobs");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401) << "the API still needs a token";
}

TEST_F(ServerTest, WhoamiNamesTheCallersRoleAndTenant) {
  auto [status, admin] = Get(kAdmin, "/v1/whoami");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(admin["role"], "admin");
  EXPECT_EQ(admin["name"], "ops");
  EXPECT_FALSE(admin.contains("tenant"));
  auto [tstatus, tenant] = Get(kQuality, "/v1/whoami");
  EXPECT_EQ(tstatus, 200);
  EXPECT_EQ(tenant["role"], "tenant");
  EXPECT_EQ(tenant["tenant"], "quality");
  httplib::Client anonymous("127.0.0.1", server->port());
  auto r = anonymous.Get("/v1/whoami");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

}  // namespace
}  // namespace gpusched::server
