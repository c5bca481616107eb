// The cluster as the page knows it: nodes, pods and Deployments kept from a snapshot plus the
// changes after it, with each node's requested CPU and memory summed as pods come and go.
//
// The model draws nothing. It tells its observer which keys it touched (a pod uid, a node name,
// a Deployment "ns/name"), so the map redraws only those: at 100 changes a second a full
// redraw of 2,000 pods would be the page's whole budget.

// Pods that finished hold no resources: the scheduler leaves them out of a node's requests and pod count.
const FINISHED_PHASES = new Set(["Succeeded", "Failed"]);

export const deploymentKey = (view) => `${view.namespace}/${view.name}`;
export const podKey = (view) => `${view.namespace}/${view.name}`;

export class ClusterModel {
  constructor() {
    this.revision = 0;
    this.nodes = new Map(); // name -> NodeView
    this.pods = new Map(); // uid -> PodView
    this.deployments = new Map(); // "ns/name" -> DeploymentView
    this.podsByNode = new Map(); // node name ("" = unscheduled) -> Set of uids
    this.usage = new Map(); // node name -> {cpu, memory, pods, finished}: pods counts the unfinished ones
    this.observer = null; // {touchPod(uid), touchNode(name), touchDeployment(key), touchAll()}
  }

  static fromSnapshot(snapshot) {
    const model = new ClusterModel();
    model.load(snapshot);
    return model;
  }

  /** Replaces everything with a snapshot (first connect, a relist, or a revision in the past). */
  load(snapshot) {
    this.revision = snapshot.revision ?? 0;
    this.nodes.clear();
    this.pods.clear();
    this.deployments.clear();
    this.podsByNode.clear();
    this.usage.clear();
    for (const node of snapshot.nodes ?? []) this.nodes.set(node.name, node);
    for (const pod of snapshot.pods ?? []) this.#storePod(pod);
    for (const deployment of snapshot.deployments ?? []) this.deployments.set(deploymentKey(deployment), deployment);
    this.observer?.touchAll();
  }

  /** One Change from the stream. */
  apply(change) {
    if (change.revision > this.revision) this.revision = change.revision;
    const gone = change.type === "DELETED";
    if (change.kind === "Pod" && change.pod) {
      if (gone) this.#removePod(change.pod.uid);
      else this.#setPod(change.pod);
    } else if (change.kind === "Node" && change.node) {
      this.#setNode(change.node, { gone });
    } else if (change.kind === "Deployment" && change.deployment) {
      const key = deploymentKey(change.deployment);
      if (gone) this.deployments.delete(key);
      else this.deployments.set(key, change.deployment);
      this.observer?.touchDeployment(key);
    }
  }

  usageOf(nodeName) {
    return this.usage.get(nodeName) ?? { cpu: 0, memory: 0, pods: 0, finished: 0 };
  }

  #setNode(node, { gone }) {
    const known = this.nodes.has(node.name);
    if (gone) this.nodes.delete(node.name);
    else this.nodes.set(node.name, node);
    this.observer?.touchNode(node.name);
    // A node that appears or goes takes its pods with it (between its box and the "elsewhere" box).
    if (gone || !known) {
      for (const uid of this.podsByNode.get(node.name) ?? []) this.observer?.touchPod(uid);
    }
  }

  #setPod(pod) {
    const previous = this.pods.get(pod.uid);
    if (previous) this.#unstorePod(previous);
    this.#storePod(pod);
    this.observer?.touchPod(pod.uid);
    const before = previous?.nodeName ?? "";
    const after = pod.nodeName ?? "";
    if (before && (before !== after || !sameRequests(previous, pod))) this.observer?.touchNode(before);
    if (after && (before !== after || !sameRequests(previous, pod))) this.observer?.touchNode(after);
  }

  #removePod(uid) {
    const previous = this.pods.get(uid);
    if (!previous) return;
    this.#unstorePod(previous);
    this.observer?.touchPod(uid);
    if (previous.nodeName) this.observer?.touchNode(previous.nodeName);
  }

  #storePod(pod) {
    this.pods.set(pod.uid, pod);
    const node = pod.nodeName ?? "";
    let uids = this.podsByNode.get(node);
    if (!uids) this.podsByNode.set(node, (uids = new Set()));
    uids.add(pod.uid);
    if (node) this.#addUsage(node, pod, +1);
  }

  #unstorePod(pod) {
    this.pods.delete(pod.uid);
    const node = pod.nodeName ?? "";
    this.podsByNode.get(node)?.delete(pod.uid);
    if (node) this.#addUsage(node, pod, -1);
  }

  #addUsage(nodeName, pod, sign) {
    let usage = this.usage.get(nodeName);
    if (!usage) this.usage.set(nodeName, (usage = { cpu: 0, memory: 0, pods: 0, finished: 0 }));
    if (FINISHED_PHASES.has(pod.phase)) {
      usage.finished += sign;
      return;
    }
    usage.pods += sign;
    usage.cpu += sign * (pod.cpuRequestMillis ?? 0);
    usage.memory += sign * (pod.memoryRequestBytes ?? 0);
  }
}

function sameRequests(a, b) {
  return (
    a.cpuRequestMillis === b.cpuRequestMillis &&
    a.memoryRequestBytes === b.memoryRequestBytes &&
    FINISHED_PHASES.has(a.phase) === FINISHED_PHASES.has(b.phase)
  );
}
