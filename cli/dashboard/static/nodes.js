// One node box: its name button, readiness and cordon badges, CPU and memory fill bars, and the
// list its pod chips live in.

import { h, setData, setHidden, setText } from "./dom.js";
import { formatCpu, formatMemory, percentOf, podCount, readyWord } from "./format.js";

export class NodeBox {
  constructor(name) {
    this.name = name;
    this.readyBadge = h("span", { className: "badge ready-badge" });
    this.cordonBadge = h("span", { className: "badge cordon-badge", hidden: true }, "cordoned");
    this.podCount = h("span", { className: "node-pod-count" });
    this.cpu = new FillBar("cpu");
    this.memory = new FillBar("memory");
    this.taints = h("p", { className: "taints", hidden: true });
    this.pods = h("ul", { className: "pods" });
    this.section = h(
      "section",
      { className: "node", "data-node": name },
      h(
        "header",
        { className: "node-head" },
        h("h3", { className: "node-title" },
          h("button", { type: "button", className: "node-name", "data-node-button": name,
                        title: `Details of node ${name}` }, name)),
        this.readyBadge,
        this.cordonBadge,
        this.podCount,
      ),
      this.cpu.element,
      this.memory.element,
      this.taints,
      this.pods,
    );
  }

  update(node, usage) {
    const section = this.section;
    const ready = ["True", "False"].includes(node.ready) ? node.ready : "Unknown";
    const cordoned = Boolean(node.unschedulable);
    setData(section, "ready", ready);
    setData(section, "cordoned", cordoned ? "true" : "false");
    setText(this.readyBadge, readyWord(ready));
    setHidden(this.cordonBadge, !cordoned);
    setText(this.podCount, podCount(usage));
    const cpuPercent = this.cpu.update(usage.cpu, node.cpuAllocatableMillis ?? 0, formatCpu);
    const memoryPercent = this.memory.update(usage.memory, node.memoryAllocatableBytes ?? 0, formatMemory);
    const taints = (node.taints ?? []).join(", ");
    setHidden(this.taints, !taints);
    setText(this.taints, taints ? `taints: ${taints}` : "");
    const label = `node ${node.name}: ${readyWord(ready)}, cpu ${cpuPercent}%, memory ${memoryPercent}%` +
      (cordoned ? ", cordoned" : "");
    if (section.getAttribute("aria-label") !== label) section.setAttribute("aria-label", label);
  }
}

/** "cpu 350m / 2 (17%)" over a bar; past 100% (overcommitted) the bar turns to a warning. */
class FillBar {
  constructor(resource) {
    this.resource = resource;
    this.text = h("span", { className: "fill-text" });
    this.value = h("span", { className: "fill-value" });
    this.element = h("div", { className: "fill", "data-resource": resource },
      this.text, h("span", { className: "fill-track", "aria-hidden": "true" }, this.value));
    this.percent = -1;
  }

  update(used, allocatable, format) {
    const percent = percentOf(used, allocatable);
    setText(this.text, `${this.resource} ${format(used)} / ${format(allocatable)} (${percent}%)`);
    if (percent !== this.percent) {
      this.percent = percent;
      this.value.style.transform = `scaleX(${Math.min(100, percent) / 100})`;
      setData(this.element, "level", percent > 100 ? "over" : percent >= 85 ? "high" : "normal");
    }
    return percent;
  }
}
