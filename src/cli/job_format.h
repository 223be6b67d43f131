// Text forms of the server's job views (docs/openapi.yaml, schema Job) for
// `gpusched submit`, `jobs`, `describe`, `cancel`, `boost` and `approve`.
// Pure: each takes the decoded response body and, where times are shown
// relative, the current Unix time. Missing optional fields are left out;
// a field of the wrong type throws nlohmann::json::type_error, which the
// caller reports as a malformed answer.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace gpusched::cli {

using Json = nlohmann::ordered_json;

// "job 12 submitted: pending, class critical, tenant quality\n", from the
// answer to POST /v1/jobs.
std::string SubmittedText(const Json& reply);

// The table of GET /v1/jobs: ID NAME TENANT CLASS STATE GPUS PROGRESS
// WHERE/WHY (CLASS "medium->critical" while a boost lasts); "no jobs\n" for
// an empty list.
std::string JobsText(const Json& reply);

// The WHERE/WHY cell: the placement ("node-a:0,node-a:1") of a running job,
// the shortened wait reason of a pending one, the end reason of an ended one.
std::string WhereOrWhy(const Json& job);

// "3/50": epochs done of the total; "-" when the job reports none.
std::string ProgressCell(const Json& job);

// GET /v1/jobs/ID as "Key: value" lines, then the wait (pending jobs) and
// the history, one line per event.
std::string DescribeText(const Json& job, std::int64_t now_s);

// One line after a change to a job: `what` is "cancelled" or "approved":
// "job 12 cancelled: state cancelled\n".
std::string JobChangeText(std::string_view what, const Json& job);
// The line after a boost: "job 12 boosted to critical until T (in 2h): state
// pending\n".
std::string BoostedText(const Json& job, std::int64_t now_s);

}  // namespace gpusched::cli
