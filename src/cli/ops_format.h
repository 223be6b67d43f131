// Text forms of the operations answers (freezes, nodes, SLA, events) for
// the client commands. Pure, like job_format.h: the decoded response body
// in, the text to print out; a field of the wrong type throws
// nlohmann::json::type_error.
#pragma once

#include <cstdint>
#include <string>

#include "cli/job_format.h"

namespace gpusched::cli {

// The answer to POST /v1/freezes: "frozen: tenant quality until T (in 1h)\n".
std::string FreezeText(const Json& reply, std::int64_t now_s);
// The answer to DELETE /v1/freezes: "removed 1 freeze\n".
std::string UnfreezeText(const Json& reply);
// GET /v1/freezes: a table SCOPE TARGET EXPIRES, or "no freezes\n".
std::string FreezesText(const Json& reply, std::int64_t now_s);

// GET /v1/nodes: a line per node (NAME STATE GPUS LABELS), each followed by
// one indented line per GPU (INDEX TYPE MEMORY HEALTH JOBS); "no nodes
// registered ...\n" for an empty fleet.
std::string NodesText(const Json& reply);
// The answer to drain / undrain: "node n1 drained: state drained\n".
std::string NodeChangeText(std::string_view what, const Json& node);

// GET /v1/sla: the window, then a table CLASS TARGET STARTED MET ATTAINMENT
// P50 P95 PENDING OLDEST, one row per class.
std::string SlaText(const Json& reply);

// GET /v1/events: a table SEQ TIME JOB KIND TEXT, or "no events\n".
std::string EventsText(const Json& reply);

}  // namespace gpusched::cli
