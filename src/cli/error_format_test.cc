#include "cli/error_format.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace gpusched::cli {
namespace {

TEST(CannotReachMessage, NamesTheServerTheCauseAndTheFix) {
  EXPECT_EQ(CannotReachMessage("http://127.0.0.1:8080", ConnectErrorWords(ECONNREFUSED)),
            "cannot reach the gpusched server at http://127.0.0.1:8080: connection refused "
            "(set --server or GPUSCHED_SERVER)");
}

TEST(ConnectErrorWords, KnownAndUnknownErrors) {
  EXPECT_EQ(ConnectErrorWords(ETIMEDOUT), "connection timed out");
  EXPECT_EQ(ConnectErrorWords(EHOSTUNREACH), "host unreachable");
  EXPECT_EQ(ConnectErrorWords(0), "could not connect");
}

TEST(HttpErrorMessage, UsesTheServersMessageAndCode) {
  EXPECT_EQ(HttpErrorMessage(404, R"({"error": {"code": "not_found", "message": "no job 9"}})",
                             "GET", "/v1/jobs/9"),
            "no job 9 (HTTP 404 not_found)");
  EXPECT_EQ(
      HttpErrorMessage(400, R"({"error": {"message": "gpus: must be >= 1"}})", "POST", "/v1/jobs"),
      "gpus: must be >= 1 (HTTP 400)");
}

TEST(HttpErrorMessage, Unauthorized401HintsAtTheToken) {
  const std::string m =
      HttpErrorMessage(401, R"({"error": {"code": "unauthenticated", "message": "unknown token"}})",
                       "GET", "/v1/jobs");
  EXPECT_EQ(m.rfind("unknown token (HTTP 401 unauthenticated); ", 0), 0u) << m;
  EXPECT_NE(m.find("--token"), std::string::npos) << m;
  EXPECT_NE(m.find("GPUSCHED_TOKEN"), std::string::npos) << m;
}

TEST(HttpErrorMessage, ABodyThatIsNotAnErrorObject) {
  EXPECT_EQ(HttpErrorMessage(404, "", "POST", "/v1/jobs/3/boost"),
            "the server does not serve POST /v1/jobs/3/boost (HTTP 404 not found; is it older "
            "than this client?)");
  EXPECT_EQ(HttpErrorMessage(502, "<html>bad gateway</html>", "GET", "/v1/nodes"),
            "GET /v1/nodes failed: HTTP 502 bad gateway");
  EXPECT_EQ(HttpErrorMessage(500, R"({"error": "boom"})", "GET", "/v1/sla"),
            "GET /v1/sla failed: HTTP 500 internal server error");
}

}  // namespace
}  // namespace gpusched::cli
