// The timeline under the map: the cluster's recent writes (pods, nodes, Deployments, ReplicaSets,
// events) and a scrubber over their revisions. The scrubber at its right end is live; anywhere
// left of it the map shows the cluster as it was at that revision.
//
//   live --drag/step back/click an entry--> past(N) --step forward past the newest / Live--> live
//   past(N) --play--> past(next entry) every PLAY_MILLISECONDS ... --> live
//
// The first request asks for the newest TIMELINE_LIMIT entries; each refresh after it only for those
// after the revision the last answer was whole up to (?since=N), which it appends, dropping the oldest
// past the limit. It refreshes when a change came since the last one, else now and then for the
// oldest revision still kept (compaction moves it with no change in the stream).

import { getJson } from "./api.js";
import { h, setText } from "./dom.js";
import { clockTime } from "./format.js";

const TIMELINE_LIMIT = 300;
const SCRUB_DEBOUNCE_MILLISECONDS = 150;
const PLAY_MILLISECONDS = 700;
const REFRESH_MILLISECONDS = 1500; // at most this often while changes arrive
const IDLE_REFRESH_MILLISECONDS = 5000; // events are not in the stream: ask now and then anyway
const SCRUBBER_REDRAW_MILLISECONDS = 250;

export class Timeline {
  /** `travel(revision)` draws the past and resolves once drawn; `travel(null)` returns to live. */
  constructor(elements, travel) {
    this.elements = elements; // scrubber, output, stepBack, play, stepForward, live, entries, message
    this.travel = travel;
    this.entries = []; // oldest first
    this.items = new Map(); // revision -> <li>
    this.oldest = 0;
    this.newest = 0;
    this.through = null; // the revision the entries are whole up to: the next refresh asks after it
    this.position = null; // null: live; else the revision shown
    this.scrubTimer = null;
    this.playing = false;
    this.playTimer = null;
    this.stale = true;
    this.lastRefresh = 0;
    this.refreshing = false;
    this.drawRequested = false;
    this.started = false;
    // The list follows its newest entry unless the reader scrolled up to read older ones. Known from
    // scroll events, so drawing entries never reads layout (which would force the map's, too).
    this.followNewest = true;
    this.#listen();
  }

  /** Starts asking for entries: called once the map's first drawing is on screen, which comes first. */
  start() {
    if (this.started) return;
    this.started = true;
    this.refresh();
    setInterval(() => this.#maybeRefresh(), 500);
  }

  get live() { return this.position === null; }

  /** The live model reached `revision`: the scrubber's right end moves with it. */
  noteRevision(revision) {
    if (revision <= this.newest) return;
    this.newest = revision;
    this.stale = true;
    // At 100 changes a second the scrubber's end moves a few times a second, not each frame: every
    // move repaints the timeline, and a person reads the number no faster.
    if (this.drawRequested) return;
    this.drawRequested = true;
    setTimeout(() => {
      this.drawRequested = false;
      this.#drawScrubber();
    }, SCRUBBER_REDRAW_MILLISECONDS);
  }

  #listen() {
    const { scrubber, stepBack, play, stepForward, live, entries } = this.elements;
    scrubber.addEventListener("input", () => this.#scrubbed({ now: false }));
    scrubber.addEventListener("change", () => this.#scrubbed({ now: true }));
    stepBack.addEventListener("click", () => { this.#stopPlaying(); this.#step(-1); });
    stepForward.addEventListener("click", () => { this.#stopPlaying(); this.#step(+1); });
    play.addEventListener("click", () => (this.playing ? this.#stopPlaying() : this.#startPlaying()));
    live.addEventListener("click", () => { this.#stopPlaying(); this.goTo(null); });
    entries.addEventListener("scroll", () => {
      this.followNewest = entries.scrollHeight - entries.scrollTop - entries.clientHeight < 8;
    }, { passive: true });
    entries.addEventListener("click", (event) => {
      const item = event.target.closest("li[data-revision]");
      if (!item) return;
      this.#stopPlaying();
      this.goTo(Number(item.dataset.revision));
    });
  }

  #scrubbed({ now }) {
    this.#stopPlaying();
    const value = Number(this.elements.scrubber.value);
    clearTimeout(this.scrubTimer);
    const target = value >= this.#max() ? null : value;
    this.position = target;
    this.#drawPosition();
    if (now) this.travel(target);
    else this.scrubTimer = setTimeout(() => this.travel(target), SCRUB_DEBOUNCE_MILLISECONDS);
  }

  /** Shows revision `revision` (null: live) and moves the scrubber there. */
  goTo(revision) {
    clearTimeout(this.scrubTimer);
    this.position = revision !== null && revision >= this.#max() ? null : revision;
    this.#drawScrubber();
    return this.travel(this.position);
  }

  #step(direction) {
    const target = this.#neighbour(direction);
    if (target === undefined) return Promise.resolve();
    return this.goTo(target);
  }

  /**
   * Where Back or Forward goes; null means live, undefined nowhere to go. Back undoes the newest entry
   * shown: the revision just before it. (From live that is the newest entry's, not the scrubber's end:
   * lease renewals, which the timeline leaves out, keep the end ahead, and the state there looks live.)
   * Forward shows the next entry.
   */
  #neighbour(direction) {
    const current = this.position ?? this.#max();
    if (direction < 0) {
      const shown = this.entries.findLast((entry) => entry.revision <= current);
      return shown && shown.revision - 1 >= this.oldest ? shown.revision - 1 : undefined;
    }
    if (this.live) return undefined;
    const later = this.entries.find((entry) => entry.revision > current);
    return later && later.revision < this.#max() ? later.revision : null;
  }

  #startPlaying() {
    if (this.live && !this.entries.length) return;
    this.playing = true;
    this.#drawPlay();
    const first = this.live ? this.goTo(this.entries[0].revision) : Promise.resolve();
    first.then(() => this.#scheduleStep());
  }

  #scheduleStep() {
    if (!this.playing) return;
    this.playTimer = setTimeout(async () => {
      if (!this.playing) return;
      await this.#step(+1);
      if (this.live) this.#stopPlaying();
      else this.#scheduleStep();
    }, PLAY_MILLISECONDS);
  }

  #stopPlaying() {
    if (!this.playing) return;
    this.playing = false;
    clearTimeout(this.playTimer);
    this.#drawPlay();
  }

  #max() { return Math.max(this.newest, this.oldest); }

  #maybeRefresh() {
    const since = performance.now() - this.lastRefresh;
    if (this.refreshing || document.hidden) return;
    if ((this.stale && since >= REFRESH_MILLISECONDS) || since >= IDLE_REFRESH_MILLISECONDS) this.refresh();
  }

  async refresh() {
    this.refreshing = true;
    this.stale = false;
    this.lastRefresh = performance.now();
    try {
      const since = this.through;
      const answer = await getJson(`/api/timeline?limit=${TIMELINE_LIMIT}${since === null ? "" : `&since=${since}`}`);
      if (!answer.ok) {
        this.#showMessage(`Timeline: ${answer.message}`);
        return;
      }
      this.#showMessage(null);
      const body = answer.body;
      const revision = body.revision ?? 0;
      if (since !== null && revision < since) {
        // The store is younger than what we hold (a master started afresh): start over.
        this.through = null;
        this.entries = [];
        this.newest = 0;
        this.stale = true;
      } else {
        this.#take(body.entries ?? [], { append: since !== null });
        this.through = revision;
        if (revision < this.newest) this.stale = true; // the stream is ahead of this answer already
      }
      this.oldest = body.oldestRevision ?? this.entries[0]?.revision ?? 0;
      this.newest = Math.max(this.newest, revision);
      this.#drawEntries();
      this.#drawScrubber();
    } finally {
      this.refreshing = false;
    }
  }

  /** Takes an answer's entries (oldest first) in place of ours, or after them, keeping the newest TIMELINE_LIMIT. */
  #take(entries, { append }) {
    const sorted = entries.slice().sort((a, b) => a.revision - b.revision);
    const last = append ? this.entries.at(-1)?.revision ?? 0 : 0;
    const merged = append ? this.entries.concat(sorted.filter((entry) => entry.revision > last)) : sorted;
    this.entries = merged.length > TIMELINE_LIMIT ? merged.slice(-TIMELINE_LIMIT) : merged;
  }

  #showMessage(text) {
    const message = this.elements.message;
    message.hidden = !text;
    message.textContent = text ?? "";
  }

  #drawEntries() {
    const list = this.elements.entries;
    const keep = new Set(this.entries.map((entry) => entry.revision));
    for (const [revision, item] of this.items) {
      if (!keep.has(revision)) {
        item.remove();
        this.items.delete(revision);
      }
    }
    const newestDrawn = Math.max(0, ...this.items.keys());
    for (const entry of this.entries) {
      if (this.items.has(entry.revision)) continue;
      const item = entryItem(entry);
      this.items.set(entry.revision, item);
      if (entry.revision > newestDrawn) list.append(item);
      else list.insertBefore(item, [...list.children].find((other) => Number(other.dataset.revision) > entry.revision) ?? null);
    }
    if (this.followNewest && this.live) requestAnimationFrame(() => { list.scrollTop = list.scrollHeight; });
    this.#drawCurrent();
  }

  #drawScrubber() {
    const { scrubber } = this.elements;
    const max = this.#max();
    const min = Math.min(this.oldest || max, max);
    if (scrubber.min !== String(min)) scrubber.min = String(min);
    if (scrubber.max !== String(max)) scrubber.max = String(max);
    const value = String(this.position ?? max);
    if (scrubber.value !== value) scrubber.value = value;
    this.#drawPosition();
  }

  #drawPosition() {
    const { scrubber, output, live, stepBack, play, stepForward } = this.elements;
    const shown = this.position ?? this.#max();
    setText(output, this.live ? `live, revision ${shown}` : `revision ${shown}${this.#timeOf(shown)}`);
    scrubber.setAttribute("aria-valuetext", this.live ? `live, revision ${shown}` : `revision ${shown}`);
    live.setAttribute("aria-pressed", this.live ? "true" : "false");
    // Disabled in the page until entries come: with none (the API refused us, say) there is nothing to step to.
    stepBack.disabled = this.#neighbour(-1) === undefined;
    stepForward.disabled = this.live || !this.entries.length;
    play.disabled = !this.entries.length && !this.playing;
    this.#drawCurrent();
  }

  #drawPlay() {
    const { play } = this.elements;
    play.setAttribute("aria-pressed", this.playing ? "true" : "false");
    setText(play.querySelector(".button-text"), this.playing ? "Pause" : "Play");
  }

  #drawCurrent() {
    const shown = this.position;
    const current = shown === null ? null
      : [...this.entries].reverse().find((entry) => entry.revision <= shown)?.revision ?? null;
    const item = current === null ? null : this.items.get(current);
    const previous = this.elements.entries.querySelector("li[aria-current]");
    if (previous === item) return;
    previous?.removeAttribute("aria-current");
    if (!item) return;
    item.setAttribute("aria-current", "step");
    scrollWithin(this.elements.entries, item);
  }

  /** " (12:01:02)": when the newest entry at or before `revision` happened, if the timeline has one. */
  #timeOf(revision) {
    const entry = [...this.entries].reverse().find((candidate) => candidate.revision <= revision);
    return entry ? ` (${clockTime(entry.time)})` : "";
  }

  timeOf(revision) {
    return this.#timeOf(revision);
  }
}

/** Brings `item` into view inside `list` only: scrollIntoView would scroll the page around it too. */
function scrollWithin(list, item) {
  const bounds = list.getBoundingClientRect();
  const box = item.getBoundingClientRect();
  if (box.top < bounds.top) list.scrollTop -= bounds.top - box.top;
  else if (box.bottom > bounds.bottom) list.scrollTop += box.bottom - bounds.bottom;
}

function entryItem(entry) {
  const subject = `${entry.resource} ${entry.namespace ? `${entry.namespace}/` : ""}${entry.name}`;
  return h("li", { "data-revision": entry.revision, "data-resource": entry.resource, "data-type": entry.type },
    h("button", { type: "button", className: "entry", title: `Show the cluster at revision ${entry.revision}` },
      h("span", { className: "entry-time" }, clockTime(entry.time)),
      h("span", { className: "entry-revision" }, `r${entry.revision}`),
      h("span", { className: "entry-actor" }, entry.actor || "?"),
      h("span", { className: "entry-subject" }, subject),
      h("span", { className: "entry-summary" }, entry.summary ?? "")));
}
