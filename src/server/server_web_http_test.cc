// The dashboard over HTTP: its files are served from the binary without a
// token, with a Content-Security-Policy; /v1/whoami names the caller.
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
  EXPECT_NE(page->body.find("<script src=\"/app.js\""), std::string::npos);

  auto script = anonymous.Get("/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("sessionStorage"), std::string::npos);

  auto style = anonymous.Get("/app.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->status, 200);
  EXPECT_EQ(style->get_header_value("Content-Type"), "text/css; charset=utf-8");
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
