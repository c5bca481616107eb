// One pod chip: how a PodView reads as a small labelled button, kept in step with the view.
//
//   <li class="pod-item"><button class="pod" data-pod="NS/NAME" data-phase data-status data-ready data-tone
//        aria-label="pod NS/NAME: Running, ready"><span class="pod-name">web-x7k2p</span>
//        <span class="pod-status">Running</span></button></li>

import { h, setText } from "./dom.js";
import { podKey } from "./model.js";

// Statuses that mean something went wrong, whatever the phase says.
const TROUBLE = /Err|BackOff|Error|OOMKilled|Evicted|Invalid|Failed|Unknown/;

/** The chip's colour family, named so the legend and the CSS share one vocabulary. */
export function toneOf(pod) {
  if (pod.deleting || pod.status === "Terminating") return "terminating";
  if (pod.phase === "Failed" || TROUBLE.test(pod.status ?? "")) return "error";
  if (pod.phase === "Succeeded") return "done";
  if (pod.phase === "Running") return pod.ready ? "ready" : "unready";
  if (pod.phase === "Unknown") return "error";
  return "pending";
}

/** "web-x7k2p" for a Deployment's "web-5d8f9c-x7k2p": its owner's name and the pod's own suffix. */
export function shortName(pod) {
  const owner = pod.owner?.startsWith("Deployment/") ? pod.owner.slice("Deployment/".length) : null;
  if (owner && pod.name.startsWith(`${owner}-`)) {
    const suffix = pod.name.slice(pod.name.lastIndexOf("-") + 1);
    return `${owner}-${suffix}`;
  }
  return pod.name;
}

export function podLabel(pod) {
  const parts = [`pod ${podKey(pod)}: ${pod.status || pod.phase}`, pod.ready ? "ready" : "not ready"];
  if (pod.restarts) parts.push(`${pod.restarts} restart${pod.restarts === 1 ? "" : "s"}`);
  return parts.join(", ");
}

export class PodChip {
  constructor() {
    // Cloned from one built chip: 2,000 clones cost a fraction of 2,000 builds.
    this.item = chipTemplate().cloneNode(true);
    this.button = this.item.firstChild;
    this.name = this.button.firstChild;
    this.status = this.button.lastChild;
    this.view = null;
  }

  update(pod) {
    if (this.view === pod) return;
    this.view = pod;
    const status = pod.status || pod.phase || "Pending";
    this.#set("data-pod", podKey(pod));
    this.#set("data-phase", pod.phase ?? "Pending");
    this.#set("data-status", status);
    this.#set("data-ready", pod.ready ? "true" : "false");
    this.#set("data-tone", toneOf(pod));
    this.#set("aria-label", podLabel(pod)); // also its tooltip: main.js copies it to `title` on hover
    setText(this.name, shortName(pod));
    setText(this.status, status);
  }

  // What this chip last wrote, so an update compares strings instead of reading the DOM back
  // (element.dataset reads were the largest cost of drawing 2,000 chips).
  #written = {};

  #set(attribute, value) {
    if (this.#written[attribute] === value) return;
    this.#written[attribute] = value;
    this.button.setAttribute(attribute, value);
  }

  /** Plays the leaving animation, then takes the chip out; it stops answering to [data-pod] at once. */
  leave({ animate }) {
    const button = this.button;
    if (button.dataset.pod) button.dataset.leavingPod = button.dataset.pod;
    delete button.dataset.pod;
    button.tabIndex = -1;
    if (!animate) {
      this.item.remove();
      return;
    }
    this.item.classList.add("leaving");
    setTimeout(() => this.item.remove(), LEAVE_MILLISECONDS);
  }
}

const LEAVE_MILLISECONDS = 260; // the .leaving animation's length in dashboard.css

let template = null;

function chipTemplate() {
  template ??= h("li", { className: "pod-item" },
    h("button", { type: "button", className: "pod" }, h("span", { className: "pod-name" }, ""),
      h("span", { className: "pod-status" }, "")));
  return template;
}
