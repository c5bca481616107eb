// The dashboard page: wires the stream, the live model, the map, the panel and the timeline.
//
//   /api/stream --status--> banner
//               --snapshot/change--> live ClusterModel --touched keys--> MapView (one frame at a time)
//                                                     \--change--> Panel (refetch, or "was deleted")
//   scrubber --revision N--> /api/at/N --> a past ClusterModel --> MapView (data-mode="past")

import { apiPath, getJson } from "./api.js";
import { ClusterModel } from "./model.js";
import { MapView } from "./map.js";
import { Panel, Subject } from "./panel.js";
import { Banner, Stream } from "./stream.js";
import { Timeline } from "./timeline.js";

function start() {
  const byId = (id) => document.getElementById(id);
  const map = byId("map");
  const pendingLane = byId("pending-lane");
  const liveModel = new ClusterModel();
  const banner = new Banner(byId("api-status"));

  const mapView = new MapView({
    map,
    grid: byId("node-grid"),
    pendingLane,
    pendingList: pendingLane.querySelector(".pods"),
    pendingCount: pendingLane.querySelector(".pending-count"),
    pendingEmpty: pendingLane.querySelector(".lane-empty"),
    elsewhere: byId("elsewhere"),
    elsewhereList: byId("elsewhere").querySelector(".pods"),
    nodesEmpty: byId("nodes-empty"),
    deploymentsList: byId("deployments").querySelector(".deployment-list"),
    deploymentsEmpty: byId("deployments").querySelector(".deployments-empty"),
  }, { onFrame: (model, { full }) => noteFrame(model, full) });

  function noteFrame(model, full) {
    if (full && model === pastModel) showPastNote(pastNoteText); // with the drawing it describes, not before
    noteFirstRender(model, full);
  }

  function noteFirstRender(model, full) {
    const root = document.documentElement;
    if (model !== liveModel || !full || root.dataset.firstRenderMs) return;
    // The DOM is built; layout and paint follow in this frame (the bench times the paint itself). Forcing
    // layout here would be done twice: off-screen boxes (content-visibility) are laid out after it.
    performance.mark("dashboard:first-render");
    root.dataset.firstRenderMs = String(Math.round(performance.now()));
    setTimeout(() => timeline.start(), 0); // a task after this frame's paint: the map is seen first
  }

  const panel = new Panel({
    aside: byId("panel"),
    title: byId("panel-title"),
    close: byId("panel-close"),
    message: byId("panel-message"),
    body: byId("panel-body"),
  }, liveModel);

  const pastNote = byId("past-note");
  let pastRequest = null;
  let pastModel = null;
  let pastNoteText = "";

  /** Draws revision `revision` from /api/at (or the live model for null); resolves once handed to the map. */
  async function travel(revision) {
    pastRequest?.abort();
    if (revision === null) {
      pastRequest = null;
      pastModel = null;
      pastNote.hidden = true;
      if (snapshotSeen) mapView.show(liveModel, "live");
      return;
    }
    const request = new AbortController();
    pastRequest = request;
    showPastNote(`Loading revision ${revision}…`);
    let answer;
    try {
      answer = await getJson(apiPath("at", String(revision)), { signal: request.signal });
    } catch {
      return; // a newer request took over
    }
    if (pastRequest !== request) return;
    if (!answer.ok) {
      showPastNote(`Cannot show revision ${revision}: ${answer.message}`, { error: true });
      return;
    }
    pastModel = ClusterModel.fromSnapshot(answer.body);
    pastNoteText = `Showing revision ${revision}${timeline.timeOf(revision)}: the cluster as it was. ` +
      "Live changes keep arriving in the background; press Live to return.";
    mapView.show(pastModel, "past");
  }

  function showPastNote(text, { error = false } = {}) {
    pastNote.hidden = false;
    pastNote.textContent = text;
    pastNote.dataset.kind = error ? "error" : "past";
  }

  const timeline = new Timeline({
    scrubber: byId("scrubber"),
    output: byId("scrubber-revision"),
    stepBack: byId("step-back"),
    play: byId("play"),
    stepForward: byId("step-forward"),
    live: byId("live"),
    entries: byId("timeline-entries"),
    message: byId("timeline-message"),
  }, travel);

  let snapshotSeen = false;
  const stream = new Stream("/api/stream", banner, {
    status(status) {
      banner.show(status.state, status.message);
      document.body.dataset.apiState = status.state;
    },
    snapshot(snapshot) {
      if (!snapshotSeen) performance.mark("dashboard:first-snapshot"); // with first-render: where the time goes
      liveModel.load(snapshot);
      panel.onSnapshot(); // after a reconnect: what it shows may have changed, or gone, in the gap
      document.body.dataset.stale = "false";
      if (!snapshotSeen) {
        snapshotSeen = true;
        if (timeline.live) mapView.show(liveModel, "live");
      }
      timeline.noteRevision(liveModel.revision);
    },
    change(change) {
      liveModel.apply(change);
      panel.onChange(change);
      timeline.noteRevision(liveModel.revision);
    },
    lost() {
      document.body.dataset.stale = "true";
    },
  });
  banner.show("connecting", "Connecting to the dashboard server…");
  performance.mark("dashboard:stream-start");
  stream.start();

  // One listener for every chip and button on the map: 2,000 pods need no 2,000 handlers.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("#panel [data-open]");
    if (link) {
      panel.open(Subject.parse(link.dataset.open), null); // Escape still returns to what opened the panel
      return;
    }
    const target = event.target.closest("[data-pod], [data-node-button], [data-deployment]");
    if (!target || target.closest("#panel")) return;
    panel.open(subjectOf(target), target);
  });
  // A chip's full name and state as a tooltip, written on hover rather than into 2,000 titles up front.
  document.addEventListener("mouseover", (event) => {
    const chip = event.target.closest?.("button.pod");
    if (chip) chip.title = chip.getAttribute("aria-label") ?? "";
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.isOpen) {
      event.preventDefault();
      panel.close();
    }
  });
}

function subjectOf(element) {
  if (element.dataset.nodeButton) return new Subject("node", element.dataset.nodeButton);
  const [kind, value] = element.dataset.pod ? ["pod", element.dataset.pod] : ["deployment", element.dataset.deployment];
  const slash = value.indexOf("/");
  return new Subject(kind, value.slice(slash + 1), value.slice(0, slash));
}

start();
