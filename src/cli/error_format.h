// The one-line messages of the client commands when a request fails: the
// server could not be reached, or it answered with an HTTP error. Pure
// functions; the caller prints "gpusched: " and the message.
#pragma once

#include <string>
#include <string_view>

namespace gpusched::cli {

// "cannot reach the gpusched server at URL: WHY (set --server or
// GPUSCHED_SERVER)". `why` is a few words: "connection refused".
std::string CannotReachMessage(std::string_view server, std::string_view why);

// "the request to the gpusched server at URL failed: WHY" for failures after
// the connection was made (a read timed out, the answer was cut off).
std::string RequestFailedMessage(std::string_view server, std::string_view why);

// Words for an errno value a failed connect() left: "connection refused",
// "host unreachable", ...; "could not connect" for anything else (0 too).
std::string ConnectErrorWords(int error_number);

// The message for an HTTP error answer (status >= 400). The server answers
// {"error": {"code", "message"}}: "<message> (HTTP 404 not_found)". A 401
// adds how to give a token. A body that is not such an object (a route this
// server does not serve, a proxy's page) is described by the status, the
// method and the path instead.
std::string HttpErrorMessage(int status, std::string_view body, std::string_view method,
                             std::string_view path);

}  // namespace gpusched::cli
