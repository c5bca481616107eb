// The map: node boxes in a grid, the Pending lane, pods elsewhere and the Deployments list,
// drawn from one ClusterModel (the live one, or a revision in the past).
//
// Every drawn thing is kept by key (pod uid, node name, Deployment "ns/name"). The model marks
// keys touched; the next animation frame redraws only those, so a burst of changes costs one
// layout, and a change to one pod never walks the other 1,999.

import { h, setData, setHidden, setText } from "./dom.js";
import { naturalCompare } from "./format.js";
import { deploymentKey } from "./model.js";
import { NodeBox } from "./nodes.js";
import { PodChip } from "./pods.js";

// Chips animate in and out at the pace a person follows. Beyond it (a snapshot, a long jump in
// time, a bench's 100 changes a second) they just appear and go: every animated chip costs the
// browser a repaint of its box for each frame it runs, and a blur of them shows nothing.
const ANIMATIONS_PER_SECOND = 12;
const ANIMATION_BURST = 40;
const MIN_FRAME_MILLISECONDS = 100;

export class MapView {
  constructor(elements, { onFrame }) {
    this.elements = elements; // map, grid, pending{Lane,List,Count,Empty}, elsewhere{,List}, nodesEmpty, deployments{List,Empty}
    this.onFrame = onFrame;
    this.source = null;
    this.mode = "live";
    this.nodeBoxes = new Map(); // name -> NodeBox
    this.podChips = new Map(); // uid -> PodChip
    this.deploymentItems = new Map(); // "ns/name" -> {item, button, view}
    this.dirtyPods = new Set();
    this.dirtyNodes = new Set();
    this.dirtyDeployments = new Set();
    this.full = false;
    this.frameRequested = false;
    this.lastFrameAt = -Infinity;
    this.animations = new AnimationBudget();
  }

  /** Draws `model` from now on (replacing whatever was drawn), and follows its changes; mode: live | past. */
  show(model, mode) {
    if (this.source && this.source !== model) this.source.observer = null;
    this.source = model;
    this.mode = mode;
    model.observer = this;
    this.touchAll();
  }

  touchPod(uid) { this.dirtyPods.add(uid); this.#schedule(); }
  touchNode(name) { this.dirtyNodes.add(name); this.#schedule(); }
  touchDeployment(key) { this.dirtyDeployments.add(key); this.#schedule(); }
  touchAll() { this.full = true; this.#schedule(); }

  chipOf(uid) { return this.podChips.get(uid) ?? null; }

  #schedule() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    // Changes coalesce for at least MIN_FRAME_MILLISECONDS: every drawn frame repaints the boxes it
    // touched, and at 100 changes a second ten frames show as much as sixty and cost a sixth.
    // A whole new picture (a snapshot, the scrubber, Live) is someone waiting: it goes at once.
    const wait = this.full ? 0 : this.lastFrameAt + MIN_FRAME_MILLISECONDS - performance.now();
    if (wait > 0) setTimeout(() => requestAnimationFrame(() => this.#frame()), wait);
    else requestAnimationFrame(() => this.#frame());
  }

  #frame() {
    this.frameRequested = false;
    this.lastFrameAt = performance.now();
    const model = this.source;
    if (!model) return;
    const full = this.full;
    if (full) this.#drawAll(model);
    else this.#drawTouched(model);
    this.full = false;
    this.dirtyPods.clear();
    this.dirtyNodes.clear();
    this.dirtyDeployments.clear();
    this.#drawCounts(model);
    setData(this.elements.map, "mode", this.mode);
    setData(document.body, "mode", this.mode);
    setData(this.elements.map, "revision", model.revision);
    setData(this.elements.map, "podCount", model.pods.size);
    this.onFrame?.(model, { full });
  }

  #drawTouched(model) {
    for (const name of this.dirtyNodes) this.#drawNode(model, name);
    for (const uid of this.dirtyPods) this.#drawPod(model, uid, { animate: true });
    for (const key of this.dirtyDeployments) this.#drawDeployment(model, key);
  }

  #drawAll(model) {
    const grid = this.elements.grid;
    for (const name of [...this.nodeBoxes.keys()]) {
      if (!model.nodes.has(name)) this.#drawNode(model, name);
    }
    // The first drawing fills the boxes before they join the page, so it is laid out once.
    const fresh = grid.children.length === 0 ? document.createDocumentFragment() : null;
    const names = [...model.nodes.keys()].sort(naturalCompare);
    names.forEach((name, index) => {
      this.#drawNode(model, name, { place: false });
      const section = this.nodeBoxes.get(name).section;
      if (fresh) fresh.append(section);
      else if (grid.children[index] !== section) grid.insertBefore(section, grid.children[index] ?? null);
    });

    const leaving = [...this.podChips.keys()].filter((uid) => !model.pods.has(uid));
    const arriving = [...model.pods.keys()].filter((uid) => !this.podChips.has(uid));
    const animate = this.podChips.size > 0 && leaving.length + arriving.length <= ANIMATION_BURST;
    for (const uid of leaving) this.#drawPod(model, uid, { animate });
    // Plain string order (a collator is ten times slower, and 2,000 names need 20,000 comparisons).
    const order = [...model.pods.values()].map((pod) => [`${pod.namespace}/${pod.name}`, pod.uid]);
    order.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [, uid] of order) this.#drawPod(model, uid, { animate });
    if (fresh) grid.append(fresh);

    for (const key of [...this.deploymentItems.keys()]) {
      if (!model.deployments.has(key)) this.#drawDeployment(model, key);
    }
    for (const key of [...model.deployments.keys()].sort(naturalCompare)) this.#drawDeployment(model, key);
  }

  #drawNode(model, name, { place = true } = {}) {
    const node = model.nodes.get(name);
    let box = this.nodeBoxes.get(name);
    if (!node) {
      if (box) {
        box.section.remove();
        this.nodeBoxes.delete(name);
      }
      return;
    }
    if (!box) {
      box = new NodeBox(name);
      this.nodeBoxes.set(name, box);
      if (place) this.#placeNode(box);
    }
    box.update(node, model.usageOf(name));
  }

  #placeNode(box) {
    const grid = this.elements.grid;
    const after = [...grid.children].find((section) => naturalCompare(section.dataset.node, box.name) > 0);
    grid.insertBefore(box.section, after ?? null);
  }

  #drawPod(model, uid, { animate }) {
    const pod = model.pods.get(uid);
    let chip = this.podChips.get(uid);
    if (!pod) {
      if (chip) {
        this.podChips.delete(uid);
        chip.leave({ animate: animate && this.animations.take() });
      }
      return;
    }
    const list = this.#listFor(pod);
    if (!chip) {
      chip = new PodChip();
      this.podChips.set(uid, chip);
      if (animate && this.animations.take()) chip.item.classList.add("entering");
    }
    chip.update(pod);
    if (chip.item.parentNode !== list) {
      const hadFocus = chip.item.contains(document.activeElement);
      list.append(chip.item);
      if (hadFocus) chip.button.focus({ preventScroll: true });
    }
  }

  #listFor(pod) {
    if (!pod.nodeName) return this.elements.pendingList;
    return this.nodeBoxes.get(pod.nodeName)?.pods ?? this.elements.elsewhereList;
  }

  #drawDeployment(model, key) {
    const deployment = model.deployments.get(key);
    let entry = this.deploymentItems.get(key);
    if (!deployment) {
      if (entry) {
        entry.item.remove();
        this.deploymentItems.delete(key);
      }
      return;
    }
    if (!entry) {
      entry = new DeploymentEntry();
      this.deploymentItems.set(key, entry);
      const list = this.elements.deploymentsList;
      const after = [...list.children].find((item) => naturalCompare(item.dataset.key, key) > 0);
      entry.item.dataset.key = key;
      list.insertBefore(entry.item, after ?? null);
    }
    entry.update(deployment);
  }

  #drawCounts(model) {
    const pending = model.podsByNode.get("")?.size ?? 0;
    setText(this.elements.pendingCount, String(pending));
    setHidden(this.elements.pendingCount, false);
    setData(this.elements.pendingLane, "empty", pending === 0 ? "true" : "false");
    setHidden(this.elements.elsewhere, this.elements.elsewhereList.children.length === 0);
    setHidden(this.elements.deploymentsEmpty, model.deployments.size > 0);
    setHidden(this.elements.nodesEmpty, model.nodes.size > 0);
    // Until a model is drawn these say the page is still waiting: an empty list is a fact only from now on.
    setText(this.elements.pendingEmpty, "No pod is waiting for a node.");
    setText(this.elements.nodesEmpty, "No nodes in the cluster.");
    setText(this.elements.deploymentsEmpty, "No Deployments.");
  }
}

/** A token bucket: up to ANIMATION_BURST at once, refilled at ANIMATIONS_PER_SECOND. */
class AnimationBudget {
  constructor() {
    this.enabled = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.tokens = ANIMATION_BURST;
    this.refilledAt = performance.now();
  }

  take() {
    if (!this.enabled) return false;
    const now = performance.now();
    this.tokens = Math.min(ANIMATION_BURST, this.tokens + ((now - this.refilledAt) / 1000) * ANIMATIONS_PER_SECOND);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** "web 3/3 ready" with a small bar of ready pods against desired replicas. */
class DeploymentEntry {
  constructor() {
    this.text = h("span", { className: "deployment-text" });
    this.value = h("span", { className: "fill-value" });
    this.button = h("button", { type: "button", className: "deployment" },
      this.text, h("span", { className: "fill-track", "aria-hidden": "true" }, this.value));
    this.item = h("li", {}, this.button);
    this.view = null;
  }

  update(deployment) {
    if (this.view === deployment) return;
    this.view = deployment;
    const key = deploymentKey(deployment);
    const desired = deployment.replicas ?? 0;
    const ready = deployment.readyReplicas ?? 0;
    const name = deployment.namespace === "default" ? deployment.name : key;
    setData(this.button, "deployment", key);
    setData(this.button, "complete", ready >= desired && (deployment.updatedReplicas ?? 0) >= desired ? "true" : "false");
    setText(this.text, `${name} ${ready}/${desired} ready`);
    const label = `deployment ${key}: ${ready} of ${desired} ready`;
    if (this.button.getAttribute("aria-label") !== label) this.button.setAttribute("aria-label", label);
    this.value.style.transform = `scaleX(${desired > 0 ? Math.min(1, ready / desired) : 1})`;
  }
}
