// The live feed from the dashboard server (/api/stream, server-sent events) and the status banner.
//
// The banner is never blank. Its state is the API server's, as the dashboard server reports it
// (connecting, live, unauthorized, forbidden, unreachable), or "disconnected" when this page lost
// the dashboard server itself (tkctl dashboard stopped, or refused this page).

import { setData, setText } from "./dom.js";

const RETRY_MILLISECONDS = 3000;

export class Banner {
  constructor(element) {
    this.element = element;
  }

  show(state, message) {
    setData(this.element, "state", state);
    setText(this.element.querySelector(".status-word"), STATE_WORDS[state] ?? state);
    setText(this.element.querySelector(".status-message"), message || DEFAULT_MESSAGES[state] || state);
  }
}

const STATE_WORDS = {
  connecting: "Connecting",
  live: "Live",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  unreachable: "Unreachable",
  disconnected: "Disconnected",
};

const DEFAULT_MESSAGES = {
  connecting: "Connecting to the dashboard server…",
  live: "Connected: the map follows the cluster.",
  disconnected: "Lost the dashboard server (tkctl dashboard): reconnecting…",
};

/**
 * Follows /api/stream and hands each event to `handlers` ({status, snapshot, change}); tells
 * `banner` when the stream itself breaks. EventSource retries a dropped connection on its own,
 * but gives up on an HTTP error answer (401 after the dashboard restarted with a new key, say):
 * then we ask the same URL with fetch to learn the server's message, and retry ourselves.
 */
export class Stream {
  constructor(url, banner, handlers) {
    this.url = url;
    this.banner = banner;
    this.handlers = handlers;
    this.source = null;
    this.retryTimer = null;
  }

  start() {
    clearTimeout(this.retryTimer);
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener("status", (event) => this.#dispatch("status", event));
    source.addEventListener("snapshot", (event) => this.#dispatch("snapshot", event));
    source.addEventListener("change", (event) => this.#dispatch("change", event));
    source.addEventListener("error", () => this.#broken(source));
  }

  #dispatch(name, event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      console.error(`dashboard: unreadable ${name} event`, error);
      return;
    }
    this.handlers[name]?.(data);
  }

  async #broken(source) {
    if (source !== this.source) return;
    this.handlers.lost?.();
    if (source.readyState !== EventSource.CLOSED) {
      this.banner.show("disconnected", DEFAULT_MESSAGES.disconnected);
      return;
    }
    source.close();
    const { state, message } = await explainRefusal(this.url);
    if (source !== this.source) return;
    this.banner.show(state, `${message} Retrying in ${RETRY_MILLISECONDS / 1000} s…`);
    this.retryTimer = setTimeout(() => this.start(), RETRY_MILLISECONDS);
  }
}

/** Why the dashboard server would not stream: its answer's message, or why nothing answered. */
async function explainRefusal(url) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5000);
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" }, signal: abort.signal });
    if (response.ok) return { state: "connecting", message: "The dashboard server answers again." };
    const message = await messageOf(response);
    if (response.status === 401) return { state: "unauthorized", message: `The dashboard refused this page (401): ${message}` };
    if (response.status === 403) return { state: "forbidden", message };
    if (response.status === 502 || response.status === 503) return { state: "unreachable", message };
    return { state: "disconnected", message: `The dashboard server answered ${response.status}: ${message}` };
  } catch {
    return { state: "disconnected", message: "Cannot reach the dashboard server (is tkctl dashboard still running?)." };
  } finally {
    clearTimeout(timer);
    abort.abort(); // an answer that turned out to be the stream itself must not stay open
  }
}

/** The `message` of a JSON error answer, else its first line of text. */
export async function messageOf(response) {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === "string" && body.message) return body.message;
  } catch {
    // not JSON: fall through to the text itself
  }
  const firstLine = text.replace(/<[^>]*>/g, " ").trim().split("\n")[0];
  return firstLine || `${response.status} ${response.statusText}`;
}
