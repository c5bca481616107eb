// Asking the dashboard server for JSON. Every answer comes back as {ok, status, body, message}:
// the panel and the timeline show `message` (the server's one line) instead of going blank.

import { messageOf } from "./stream.js";

export async function getJson(url, { signal } = {}) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    return { ok: false, status: 0, body: null,
             message: "Cannot reach the dashboard server (is tkctl dashboard still running?)." };
  }
  if (response.ok) {
    try {
      return { ok: true, status: response.status, body: await response.json(), message: null };
    } catch {
      return { ok: false, status: response.status, body: null, message: "The dashboard server sent unreadable JSON." };
    }
  }
  const text = await response.clone().text().catch(() => "");
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { ok: false, status: response.status, body, message: await messageOf(response) };
}

/** "/api/pods/ns/name" with each part escaped, so a name can never step into another path. */
export function apiPath(...parts) {
  return `/api/${parts.map((part) => encodeURIComponent(part)).join("/")}`;
}
