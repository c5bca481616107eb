// What the panel shows for a pod, a node or a Deployment, built from the dashboard server's
// details answer. Each section stands alone: one that failed shows its own error line.
//
// Countdowns and lease ages are drawn with a `Clock` that counts down from what the API said
// at fetch time (`secondsLeft`, `ageSeconds`); nothing here re-derives a timer from constants.

import { h } from "./dom.js";
import { clockTime, duration, formatCpu, formatMemory, podCount, readyWord } from "./format.js";

/** Ticking texts, from the moment the details were fetched. */
export class Clock {
  constructor() {
    this.fetchedAt = performance.now();
    this.countdowns = []; // {element, secondsLeft}
    this.ages = []; // {element, ageSeconds}
  }

  elapsedSeconds() {
    return (performance.now() - this.fetchedAt) / 1000;
  }

  countdown(secondsLeft) {
    const element = h("span", { className: "countdown-left", "aria-live": "off" });
    this.countdowns.push({ element, secondsLeft });
    return element;
  }

  age(ageSeconds) {
    const element = h("span", { className: "lease-age", "aria-live": "off" });
    this.ages.push({ element, ageSeconds });
    return element;
  }

  /** Redraws every ticking text; true when a countdown ran out since the fetch (its owner acts about now). */
  tick() {
    const elapsed = this.elapsedSeconds();
    let expired = false;
    for (const { element, secondsLeft } of this.countdowns) {
      const left = secondsLeft - elapsed;
      element.textContent = left > 0 ? `in ${duration(Math.ceil(left))}` : "due now";
      if (left <= 0 && secondsLeft > 0) expired = true;
    }
    for (const { element, ageSeconds } of this.ages) element.textContent = `${duration(ageSeconds + elapsed)} ago`;
    return expired;
  }
}

function section(name, title, ...content) {
  return h("section", { className: "panel-section", "data-section": name }, h("h3", {}, title), ...content);
}

function note(text, className = "muted") {
  return h("p", { className }, text);
}

function errorLine(text) {
  return h("p", { className: "section-error", role: "note" }, text);
}

function facts(rows) {
  return h("dl", { className: "facts" },
    rows.filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** A button that opens another subject's details in the panel ("node:NAME", "deployment:NS/NAME"). */
function subjectLink(subject, text) {
  return h("button", { type: "button", className: "subject-link", "data-open": subject,
                       "aria-label": `${text}: show its details` }, text);
}

function whySummary(why, whyError) {
  if (why) {
    return h("p", { className: "why" }, h("span", { className: "badge state-badge" }, why.state ?? "?"), " ",
      why.summary ?? "");
  }
  return errorLine(whyError ? `why: ${whyError}` : "why: no answer");
}

// ----- pods

export function podSections(details, clock) {
  const pod = details.pod;
  const why = details.why;
  const sections = [
    section("summary", "Summary", whySummary(why, details.whyError), pod ? facts([
      ["Node", pod.nodeName ? subjectLink(`node:${pod.nodeName}`, pod.nodeName) : "none (not scheduled)"],
      ["Phase", pod.phase],
      ["Status", pod.status],
      ["Ready", pod.ready ? "yes" : "no"],
      ["Restarts", String(pod.restarts ?? 0)],
      ["Requests", `cpu ${formatCpu(pod.cpuRequestMillis ?? 0)}, memory ${formatMemory(pod.memoryRequestBytes ?? 0)}`],
      ["Owner", pod.owner?.startsWith("Deployment/")
        ? subjectLink(`deployment:${pod.namespace}/${pod.owner.slice("Deployment/".length)}`, pod.owner)
        : pod.owner ?? "none"],
    ]) : null),
  ];
  const scheduling = why?.scheduling;
  if (scheduling?.suggestions?.length || (pod && !pod.nodeName)) sections.push(suggestionsSection(scheduling));
  sections.push(countdownsSection(why, clock));
  sections.push(eventsSection(details.events ?? [], details.eventsError));
  sections.push(section("log", "Log (last lines)",
    details.logError ? errorLine(details.logError)
      : (details.log ?? []).length ? h("pre", { className: "log", tabindex: "0", "aria-label": "log tail" }, details.log.join("\n"))
      : note("No log lines yet.")));
  sections.push(traceSection(details.trace, details.traceError));
  return sections;
}

function suggestionsSection(scheduling) {
  const suggestions = scheduling?.suggestions ?? [];
  return section("suggestions", "Why not scheduled, and what would help",
    scheduling?.message ? h("p", { className: "scheduling-message" }, scheduling.message) : null,
    suggestions.length
      ? h("ol", { className: "suggestions" }, suggestions.map((suggestion) => h("li", {},
          h("p", {}, suggestion.message),
          suggestion.command ? h("pre", { className: "command" }, h("code", {}, suggestion.command)) : null,
          suggestion.nodes?.length ? note(`fits: ${suggestion.nodes.join(", ")}`) : null)))
      : note("No checked suggestion: nothing the scheduler tried would make this pod fit."));
}

function countdownsSection(why, clock) {
  const countdowns = why?.countdowns ?? [];
  return section("countdowns", "Countdowns",
    countdowns.length
      ? h("ul", { className: "countdowns" }, countdowns.map((countdown) => h("li", {},
          h("strong", {}, countdown.name), " ", clock.countdown(countdown.secondsLeft ?? 0),
          h("span", { className: "countdown-message" }, ` — ${countdown.message}`),
          h("span", { className: "muted" }, ` (${countdown.owner})`))))
      : note(why ? "No timer running." : "Unknown: the why answer is missing."));
}

function eventsSection(events, eventsError) {
  return section("events", "Events",
    eventsError ? errorLine(eventsError) : null,
    events.length
      ? h("ul", { className: "events" }, events.map((event) => h("li", { "data-type": event.type },
          h("span", { className: "event-time" }, clockTime(event.lastTimestamp)), " ",
          h("span", { className: "badge event-type" }, event.type), " ",
          h("strong", {}, event.reason), (event.count ?? 1) > 1 ? ` ×${event.count}` : "", " ",
          h("span", {}, event.message),
          event.source ? h("span", { className: "muted" }, ` (${event.source})`) : null)))
      : eventsError ? null : note("No events."));
}

function traceSection(trace, traceError) {
  const roots = trace?.roots ?? [];
  return section("trace", "Trace (what caused what)",
    traceError ? errorLine(traceError) : null,
    roots.length ? h("ul", { className: "trace" }, roots.map(traceHop)) : traceError ? null : note("No recorded writes."),
    trace?.truncated ? note("The trace was cut at its size limit.") : null);
}

function traceHop(hop) {
  const actor = hop.provenance?.component || hop.provenance?.user || "?";
  const latency = hop.latencyMilliseconds === undefined || hop.latencyMilliseconds === null
    ? "" : ` +${Math.round(hop.latencyMilliseconds * 10) / 10} ms`;
  const subject = `${hop.resource} ${hop.namespace ? `${hop.namespace}/` : ""}${hop.name}`;
  return h("li", { "data-revision": hop.revision },
    h("span", { className: "trace-line" },
      h("span", { className: "muted" }, `r${hop.revision} ${clockTime(hop.time)}`), " ",
      h("strong", {}, actor), ` ${subject}: ${hop.summary}`,
      latency ? h("span", { className: "latency" }, latency) : null),
    hop.children?.length ? h("ul", {}, hop.children.map(traceHop)) : null);
}

// ----- nodes

export function nodeSections(details, clock, usage) {
  const node = details.node;
  const why = details.why;
  const health = why?.nodeHealth;
  const sections = [
    section("summary", "Summary", whySummary(why, details.whyError), node ? facts([
      ["Ready", readyWord(node.ready)],
      ["Cordoned", node.unschedulable ? "yes (unschedulable)" : "no"],
      ["Taints", (node.taints ?? []).join(", ") || "none"],
      ["Allocatable", `cpu ${formatCpu(node.cpuAllocatableMillis ?? 0)}, memory ${formatMemory(node.memoryAllocatableBytes ?? 0)}`],
      ["Requested", usage ? `cpu ${formatCpu(usage.cpu)}, memory ${formatMemory(usage.memory)}, ${podCount(usage)}` : null],
      ["Health", health ? health.message : null],
      ["Grace period", health ? duration(health.gracePeriodSeconds ?? 0) : null],
    ]) : null),
    section("conditions", "Conditions",
      (details.conditions ?? []).length
        ? h("table", { className: "conditions" },
            h("thead", {}, h("tr", {}, ["Type", "Status", "Reason", "Message", "Heartbeat"].map((title) => h("th", { scope: "col" }, title)))),
            h("tbody", {}, details.conditions.map((condition) => h("tr", { "data-status": condition.status },
              h("td", {}, condition.type), h("td", {}, condition.status), h("td", {}, condition.reason ?? ""),
              h("td", {}, condition.message ?? ""), h("td", {}, clockTime(condition.lastHeartbeatTime))))))
        : note("No conditions reported.")),
    leaseSection(details.lease, details.leaseError, clock),
    countdownsSection(why, clock),
  ];
  if (health?.pods?.length) {
    sections.push(section("evictions", "Pods to evict",
      h("ul", {}, health.pods.map((eviction) => h("li", {},
        `pod ${eviction.namespace}/${eviction.name}: `,
        eviction.tolerationSeconds === undefined || eviction.tolerationSeconds === null
          ? "tolerates forever" : `tolerates ${duration(eviction.tolerationSeconds)}`,
        eviction.replacedBy ? `; ${eviction.replacedBy}` : "")))));
  }
  return sections;
}

function leaseSection(lease, leaseError, clock) {
  if (!lease) return section("lease", "Lease (heartbeat)", errorLine(leaseError || "No lease: the kubelet never renewed one."));
  return section("lease", "Lease (heartbeat)", h("p", {},
    "Renewed ", clock.age(lease.ageSeconds ?? 0), ` by ${lease.holder ?? "?"}`,
    lease.durationSeconds ? `; valid for ${duration(lease.durationSeconds)}` : "",
    lease.renewTime ? h("span", { className: "muted" }, ` (at ${clockTime(lease.renewTime)})`) : null));
}

// ----- Deployments

export function deploymentSections(details, clock, liveView) {
  const deployment = liveView ?? details.deployment;
  const why = details.why;
  return [
    section("summary", "Summary", whySummary(why, details.whyError)),
    rolloutSection(deployment, why?.rollout),
    section("replicasets", "ReplicaSets",
      (details.replicaSets ?? []).length
        ? h("ul", {}, details.replicaSets.map((set) => h("li", {},
            h("strong", {}, set.name), ` revision ${set.revision ?? "?"}: ${set.readyReplicas ?? 0}/${set.replicas ?? 0} ready`)))
        : note("No ReplicaSets.")),
    countdownsSection(why, clock),
  ];
}

export function rolloutSection(deployment, rollout) {
  const desired = deployment?.replicas ?? rollout?.replicas ?? 0;
  const bars = deployment ? [
    ["updated", deployment.updatedReplicas ?? 0],
    ["ready", deployment.readyReplicas ?? 0],
    ["available", deployment.availableReplicas ?? 0],
  ].map(([word, count]) => progressBar(word, count, desired)) : [];
  return section("rollout", "Rollout",
    bars.length ? h("div", { className: "rollout-bars" }, bars) : null,
    rollout ? h("p", { className: "rollout-message" }, rollout.message) : note("No rollout report yet."),
    rollout?.waitingFor?.length
      ? [h("p", { className: "muted" }, "Waiting for:"), h("ul", { className: "waiting-for" }, rollout.waitingFor.map((item) => h("li", {}, item)))]
      : null,
    rollout?.complete ? note("Rollout complete.", "ok") : null);
}

function progressBar(word, count, desired) {
  const percent = desired > 0 ? Math.min(100, Math.round((count / desired) * 100)) : 100;
  const value = h("span", { className: "fill-value" });
  value.style.transform = `scaleX(${percent / 100})`;
  return h("div", { className: "fill rollout-bar", "data-rollout": word, role: "progressbar", "aria-valuemin": "0",
                    "aria-valuemax": String(desired), "aria-valuenow": String(count), "aria-label": `${word} ${count} of ${desired}` },
    h("span", { className: "fill-text" }, `${word} ${count} / ${desired}`),
    h("span", { className: "fill-track", "aria-hidden": "true" }, value));
}
