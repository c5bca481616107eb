// The details panel: one subject at a time (a pod, a node or a Deployment), fetched from the
// dashboard server, refreshed when the live stream says the subject changed, and told when it goes.
//
//   closed --open(subject)--> loading --answer--> shown --change--> (refetch, debounced) shown
//                                        \--4xx/5xx--> shown with #panel-message
//   shown --DELETED change, a `gone` answer, or a new snapshot without it--> gone ("pod default/x was deleted")
//   any --Escape / close button--> closed, focus back on what opened it

import { apiPath, getJson } from "./api.js";
import { Clock, deploymentSections, nodeSections, podSections, rolloutSection } from "./details.js";
import { h } from "./dom.js";

const REFRESH_DEBOUNCE_MILLISECONDS = 600;
const NODE_REFRESH_MILLISECONDS = 5000; // heartbeats change the lease and conditions without changing the NodeView
const TICK_MILLISECONDS = 500;

/** What the panel is about: "pod:NS/NAME", "node:NAME", "deployment:NS/NAME". */
export class Subject {
  constructor(kind, name, namespace = null) {
    this.kind = kind;
    this.name = name;
    this.namespace = namespace;
  }

  static parse(text) {
    const colon = text.indexOf(":");
    const kind = text.slice(0, colon);
    const rest = text.slice(colon + 1);
    if (kind === "node") return new Subject(kind, rest);
    const slash = rest.indexOf("/");
    return new Subject(kind, rest.slice(slash + 1), rest.slice(0, slash));
  }

  get key() { return `${this.kind}:${this.qualifiedName}`; }
  get qualifiedName() { return this.namespace === null ? this.name : `${this.namespace}/${this.name}`; }
  get url() {
    const plural = { pod: "pods", node: "nodes", deployment: "deployments" }[this.kind];
    return this.namespace === null ? apiPath(plural, this.name) : apiPath(plural, this.namespace, this.name);
  }

  /** The element on the map that stands for this subject, to give focus back to. */
  selector() {
    const value = CSS.escape(this.qualifiedName);
    return { pod: `[data-pod="${value}"]`, node: `[data-node-button="${value}"]`,
             deployment: `[data-deployment="${value}"]` }[this.kind];
  }

  /** Whether `model` holds this subject; pods are kept by uid there, so one is looked for by name. */
  isIn(model) {
    if (this.kind === "node") return model.nodes.has(this.name);
    if (this.kind === "deployment") return model.deployments.has(this.qualifiedName);
    for (const pod of model.pods.values()) {
      if (pod.name === this.name && pod.namespace === this.namespace) return true;
    }
    return false;
  }

  matches(change) {
    const view = change.pod ?? change.node ?? change.deployment;
    if (!view || change.kind.toLowerCase() !== this.kind) return false;
    return view.name === this.name && (this.namespace === null || view.namespace === this.namespace);
  }
}

export class Panel {
  constructor(elements, liveModel) {
    this.elements = elements; // aside, title, close, message, body
    this.liveModel = liveModel;
    this.subject = null;
    this.opener = null;
    this.details = null;
    this.clock = null;
    this.gone = false;
    this.request = null; // AbortController of the fetch in flight
    this.refreshTimer = null;
    this.ticker = null;
    this.expiryRefreshed = false;
    elements.close.addEventListener("click", () => this.close());
  }

  get isOpen() { return this.subject !== null; }

  /** Shows `subject`; `opener` gets the focus back on close (null: keep the current one, for links inside). */
  open(subject, opener) {
    const same = this.subject?.key === subject.key;
    if (opener !== null || !this.isOpen) this.opener = opener ?? document.activeElement;
    this.subject = subject;
    const { aside, title, body } = this.elements;
    aside.hidden = false;
    aside.dataset.subject = subject.key;
    document.body.dataset.panel = "open";
    title.textContent = `${subject.kind} ${subject.qualifiedName}`;
    if (!same) {
      this.gone = false;
      this.details = null;
      this.#showMessage(null);
      body.replaceChildren(h("p", { className: "muted loading" }, "Loading…"));
    }
    title.focus();
    this.#load();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.#tick(), TICK_MILLISECONDS);
  }

  close() {
    if (!this.isOpen) return;
    const subject = this.subject;
    this.subject = null;
    this.request?.abort();
    clearTimeout(this.refreshTimer);
    clearInterval(this.ticker);
    const { aside, body } = this.elements;
    aside.hidden = true;
    aside.dataset.subject = "";
    document.body.dataset.panel = "closed";
    body.replaceChildren();
    this.#showMessage(null);
    this.#restoreFocus(subject);
  }

  /** A live change: refetch when it is about the subject, and say so when the subject is gone. */
  onChange(change) {
    if (!this.isOpen || !this.subject.matches(change)) return;
    if (change.type === "DELETED") {
      this.#markGone(`${this.subject.kind} ${this.subject.qualifiedName} was deleted`);
      return;
    }
    if (this.gone && change.type === "ADDED") {
      this.gone = false; // the same name came back (a recreated pod): show the new one
      this.#showMessage(null);
    }
    if (this.gone) return;
    if (this.subject.kind === "deployment" && this.details) this.#redrawRollout(change.deployment);
    this.#refreshSoon();
  }

  /** A new snapshot (the stream reconnected): the changes missed in the gap are not coming, so look again. */
  onSnapshot() {
    if (!this.isOpen) return;
    if (!this.subject.isIn(this.liveModel)) {
      this.#markGone(`${this.subject.kind} ${this.subject.qualifiedName} was deleted`);
      return;
    }
    if (this.gone) {
      this.gone = false; // back under the same name during the gap: show the new one
      this.#showMessage(null);
    }
    this.#load();
  }

  #restoreFocus(subject) {
    const opener = this.opener;
    this.opener = null;
    if (opener?.isConnected && !opener.closest("[hidden]") && opener.tabIndex >= 0) {
      opener.focus();
      return;
    }
    const standIn = document.querySelector(subject.selector());
    (standIn ?? document.getElementById("map")).focus();
  }

  #refreshSoon(delay = REFRESH_DEBOUNCE_MILLISECONDS) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.#load(), delay);
  }

  async #load() {
    const subject = this.subject;
    if (!subject || this.gone) return;
    clearTimeout(this.refreshTimer);
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    let answer;
    try {
      answer = await getJson(subject.url, { signal: request.signal });
    } catch {
      return; // aborted: a newer request or a close took over
    }
    if (this.subject !== subject || request.signal.aborted) return;
    if (answer.body?.gone) {
      this.#markGone(answer.body.message || `${subject.kind} ${subject.qualifiedName} was deleted`);
    } else if (!answer.ok) {
      this.#showMessage(answer.message, "error");
      this.#dropLoading();
    } else {
      this.#showMessage(null);
      this.#draw(answer.body);
    }
    if (subject.kind === "node" && !this.gone) this.#refreshSoon(NODE_REFRESH_MILLISECONDS);
  }

  #draw(details) {
    this.details = details;
    this.clock = new Clock();
    this.expiryRefreshed = false;
    const sections = this.#sections(details);
    const { aside, body } = this.elements;
    aside.setAttribute("aria-busy", "true");
    const scroll = body.scrollTop;
    body.replaceChildren(...sections);
    body.scrollTop = scroll;
    this.clock.tick();
    aside.setAttribute("aria-busy", "false");
  }

  #sections(details) {
    const subject = this.subject;
    if (subject.kind === "pod") return podSections(details, this.clock);
    if (subject.kind === "node") return nodeSections(details, this.clock, this.liveModel.usage.get(subject.name));
    const live = this.liveModel.deployments.get(subject.qualifiedName);
    return deploymentSections(details, this.clock, live);
  }

  #redrawRollout(view) {
    const current = this.elements.body.querySelector('[data-section="rollout"]');
    current?.replaceWith(rolloutSection(view, this.details.why?.rollout));
  }

  #markGone(message) {
    this.gone = true;
    this.request?.abort();
    clearTimeout(this.refreshTimer);
    this.#showMessage(message, "gone");
    this.elements.aside.dataset.gone = "true";
    this.#dropLoading(); // its request is cancelled
  }

  /** No details came (an error, or gone first): the body must not go on saying "Loading…" under the message. */
  #dropLoading() {
    if (!this.details) this.elements.body.replaceChildren();
  }

  #showMessage(text, kind = "error") {
    const message = this.elements.message;
    message.textContent = text ?? "";
    message.hidden = !text;
    message.dataset.kind = text ? kind : "";
    if (!text) delete this.elements.aside.dataset.gone;
  }

  #tick() {
    if (!this.clock) return;
    const expired = this.clock.tick();
    // A timer ran out: its owner acts about now, so ask again once to show what it did.
    if (expired && !this.expiryRefreshed && !this.gone) {
      this.expiryRefreshed = true;
      this.#refreshSoon(1500);
    }
  }
}
