// How quantities and times read on the page: kubectl's units, local clock times.

/** kubectl's notation: whole cores as "2", anything else in millicores, "350m". */
export function formatCpu(millis) {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

const MEMORY_UNITS = [["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]];

export function formatMemory(bytes) {
  for (const [unit, size] of MEMORY_UNITS) {
    if (bytes >= size) return `${trimNumber(bytes / size)}${unit}`;
  }
  return `${bytes}`;
}

function trimNumber(value) {
  return value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
}

/** "3 pods", "1 pod +2 finished": a node's pods as the scheduler counts them, the finished ones apart. */
export function podCount({ pods, finished }) {
  const active = `${pods} pod${pods === 1 ? "" : "s"}`;
  return finished ? `${active} +${finished} finished` : active;
}

export function percentOf(used, total) {
  return total > 0 ? Math.round((used / total) * 100) : 0;
}

// One formatter and one collator for the whole page, each made on its first use: building the clock's
// costs tens of milliseconds (toLocaleTimeString would build one per call), and only the timeline and
// the panel read times, after the map's first paint, so the first snapshot never waits for it.
let clockFormat = null;
let collator = null;

/** "12:01:02" in the viewer's time zone, or "?" for a missing or unreadable time. */
export function clockTime(rfc3339) {
  if (!rfc3339) return "?";
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return "?";
  clockFormat ??= new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return clockFormat.format(date);
}

/** "4s", "1m 05s", "2h 03m": how long until a countdown runs out, or how old a lease is. */
export function duration(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m ${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** Natural order, so node-2 comes before node-10. */
export function naturalCompare(a, b) {
  collator ??= new Intl.Collator(undefined, { numeric: true }); // about 1 ms
  return collator.compare(a, b);
}

export const READY_WORDS = { True: "Ready", False: "NotReady", Unknown: "Unknown" };
export function readyWord(ready) {
  return READY_WORDS[ready] ?? "Unknown";
}
