// Operators' commands on the control plane's state: boost, approve, freezes,
// drain. Each one logs an event naming who did it, so the decision log
// shows every manual intervention next to the scheduler's own decisions.
#include <algorithm>

#include <fmt/format.h>

#include "server/control.h"

namespace gpusched::server {

std::string_view FreezeScopeName(FreezeScope scope) {
  switch (scope) {
    case FreezeScope::kCluster: return "cluster";
    case FreezeScope::kTenant: return "tenant";
    case FreezeScope::kJob: return "job";
  }
  return "cluster";
}

std::optional<FreezeScope> ParseFreezeScope(std::string_view name) {
  for (FreezeScope s : {FreezeScope::kCluster, FreezeScope::kTenant, FreezeScope::kJob}) {
    if (FreezeScopeName(s) == name) return s;
  }
  return std::nullopt;
}

namespace {

std::string Describe(const Freeze& f) {
  return f.scope == FreezeScope::kCluster ? std::string("the cluster")
                                          : fmt::format("{} {}", FreezeScopeName(f.scope), f.target);
}

tl::unexpected<Error> Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

Status Control::Boost(JobId id, const std::string& class_name, Instant until,
                      const std::string& by, Instant now, ChangeSet& out) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return MakeError(ErrorCode::kNotFound, fmt::format("no job {}", id));
  JobRecord& r = it->second;
  if (IsFinal(r.state)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("job {} already {}", id, JobStateName(r.state)));
  }
  if (!settings_.classes.Find(class_name)) {
    return Invalid(fmt::format("class: unknown priority class \"{}\"", class_name));
  }
  if (until <= now) return Invalid("for: the boost must last at least one second");
  r.job.boost = gpusched::Boost{class_name, until};
  next_expiry_ = std::min(next_expiry_, until);
  Log(out, id, "boost",
      fmt::format("boosted from {} to {} for {} s by {}", r.job.class_name, class_name,
                  (until - now).count(), by));
  return OkStatus();
}

Status Control::Approve(JobId id, const std::string& by, Instant now, ChangeSet& out) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return MakeError(ErrorCode::kNotFound, fmt::format("no job {}", id));
  JobRecord& r = it->second;
  if (r.state != JobState::kPending) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("job {} is {}; only a pending job can be approved", id,
                                 JobStateName(r.state)));
  }
  if (r.job.approved) {
    return MakeError(ErrorCode::kFailedPrecondition, fmt::format("job {} is already approved", id));
  }
  r.job.approved = true;
  // A job that waited for the approval competes from now on; one approved
  // in advance keeps its place.
  if (r.wait && r.wait->code == WaitCode::kAwaitingApproval) r.job.eligible_since = now;
  Log(out, id, "approve", fmt::format("approved by {}", by));
  return OkStatus();
}

Result<Freeze> Control::AddFreeze(Freeze f, const std::string& by, Instant now, ChangeSet& out) {
  switch (f.scope) {
    case FreezeScope::kCluster:
      if (!f.target.empty()) return Invalid("target: a cluster freeze has no target");
      break;
    case FreezeScope::kTenant:
      if (std::none_of(settings_.tenants.begin(), settings_.tenants.end(),
                       [&](const Tenant& t) { return t.name == f.target; })) {
        return Invalid(fmt::format("target: unknown tenant \"{}\"", f.target));
      }
      break;
    case FreezeScope::kJob: {
      const JobId id = static_cast<JobId>(std::strtoull(f.target.c_str(), nullptr, 10));
      if (f.target.empty() || f.target.find_first_not_of("0123456789") != std::string::npos ||
          !Find(id)) {
        return Invalid(fmt::format("target: no job \"{}\"", f.target));
      }
      break;
    }
  }
  if (f.expires_at <= now) return Invalid("for: the freeze must last at least one second");
  auto same = std::find_if(freezes_.begin(), freezes_.end(), [&](const Freeze& k) {
    return k.scope == f.scope && k.target == f.target;
  });
  next_expiry_ = std::min(next_expiry_, f.expires_at);
  if (same == freezes_.end()) {
    freezes_.push_back(f);
  } else {
    same->expires_at = f.expires_at;
  }
  Begin(out);
  out.settings = true;
  Log(out, 0, "freeze",
      fmt::format("preemption frozen for {} for {} s by {}", Describe(f),
                  (f.expires_at - now).count(), by));
  return f;
}

int Control::RemoveFreezes(FreezeScope scope, const std::string& target, const std::string& by,
                           ChangeSet& out) {
  const auto removed = std::erase_if(freezes_, [&](const Freeze& f) {
    return f.scope == scope && f.target == target;
  });
  if (removed > 0) {
    Begin(out);
    out.settings = true;
    Log(out, 0, "unfreeze",
        fmt::format("preemption unfrozen for {} by {}", Describe(Freeze{scope, target, kNever}), by));
  }
  return static_cast<int>(removed);
}

Status Control::SetDrained(const std::string& node, bool drained, const std::string& by,
                           ChangeSet& out) {
  const NodeState* n = fleet_.Find(node);
  if (!n) return MakeError(ErrorCode::kNotFound, fmt::format("no node \"{}\"", node));
  if (n->drained == drained) return OkStatus();
  if (Status s = fleet_.SetDrained(node, drained, ledger_); !s) return s;
  Begin(out);
  out.nodes.insert(node);
  Log(out, 0, drained ? "drain" : "undrain",
      fmt::format("node {} {} by {}", node, drained ? "drained" : "undrained", by));
  return OkStatus();
}

Status Control::PutClass(PriorityClass pc, const std::string& by, ChangeSet& out) {
  ClassTable table;
  for (const PriorityClass& existing : settings_.classes.classes()) {
    if (existing.name == pc.name) continue;
    GPUSCHED_CHECK(table.Add(existing).has_value(), existing.name);
  }
  const std::string text = fmt::format(
      "class {} {} by {}: value {}, {}, grace {} s", pc.name,
      settings_.classes.Find(pc.name) ? "changed" : "added", by, pc.value,
      pc.policy == PreemptionPolicy::kNever ? "never preempts" : "preempts lower classes",
      pc.preemption_grace.count());
  if (Status s = table.Add(std::move(pc)); !s) {
    return MakeError(ErrorCode::kInvalidArgument, s.error().message);
  }
  settings_.classes = std::move(table);
  Begin(out);
  out.policy = true;
  Log(out, 0, "class", text);
  return OkStatus();
}

Status Control::PutTenant(Tenant t, const std::string& by, ChangeSet& out) {
  for (const std::string* cls : {&t.default_class, &t.max_class_without_approval}) {
    if (!settings_.classes.Find(*cls)) {
      return Invalid(fmt::format("{}: unknown priority class \"{}\"",
                                 cls == &t.default_class ? "default_class" : "max_class_without_approval",
                                 *cls));
    }
  }
  auto it = std::find_if(settings_.tenants.begin(), settings_.tenants.end(),
                         [&](const Tenant& x) { return x.name == t.name; });
  const std::string text =
      fmt::format("tenant {} {} by {}: guaranteed {} GPUs, default class {}", t.name,
                  it == settings_.tenants.end() ? "added" : "changed", by, t.guaranteed_gpus,
                  t.default_class);
  if (it == settings_.tenants.end()) {
    settings_.tenants.push_back(std::move(t));
  } else {
    t.critical_used_gpu_s = it->critical_used_gpu_s;
    *it = std::move(t);
  }
  Begin(out);
  out.policy = true;
  Log(out, 0, "tenant", text);
  return OkStatus();
}

void Control::RestorePolicy(ClassTable classes, std::vector<Tenant> tenants) {
  settings_.classes = std::move(classes);
  settings_.tenants = std::move(tenants);
}

// Runs when the earliest expiry is due; finds the next one on the way.
void Control::ExpireOperatorActions(Instant now, ChangeSet& out) {
  if (now < next_expiry_) return;
  next_expiry_ = kNever;
  for (auto& [id, r] : jobs_) {
    if (IsFinal(r.state) || !r.job.boost) continue;
    if (r.job.boost->expires_at > now) {
      next_expiry_ = std::min(next_expiry_, r.job.boost->expires_at);
      continue;
    }
    const std::string cls = r.job.boost->class_name;
    r.job.boost.reset();
    Log(out, id, "boost", fmt::format("boost to {} expired; back to {}", cls, r.job.class_name));
  }
  const auto expired = std::erase_if(freezes_, [&](const Freeze& f) { return f.expires_at <= now; });
  for (const Freeze& f : freezes_) next_expiry_ = std::min(next_expiry_, f.expires_at);
  if (expired > 0) {
    Begin(out);
    out.settings = true;
    Log(out, 0, "unfreeze", fmt::format("{} freeze(s) expired", expired));
  }
}

}  // namespace gpusched::server
