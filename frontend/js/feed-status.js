// What the header says about the market feed: a pure reading of the API's `Feed`.
// A live feed is named by its exchange and judged by its status (only LIVE is healthy);
// a recorded feed is named by its kind, and by its note when the note is news (e.g. offline).

import { formatAge } from "./format.js";

const HEALTHY = "LIVE";

/** "Live · Coinbase (wss://…)" -> "Coinbase"; falls back on the id ("live:kraken" -> "Kraken"). */
export function exchangeTitle(feed) {
  const named = (feed.description ?? "").split(" (")[0].replace(/^\s*live(?:\s*[·:\-–]\s*|\s+)/i, "").trim();
  if (named) return named;
  const id = (feed.id ?? "").split(":")[1] ?? "";
  return id ? id[0].toUpperCase() + id.slice(1) : "live feed";
}

/** The headline of a note: the part before its parenthesised details. */
export const shortNote = (note) => note.split(" (")[0].trim() || note;

const lines = (...parts) => parts.filter(Boolean).join("\n");

/**
 * feed (or null) -> { badge, kind, status, health, text, noted, title }
 * health: "healthy" | "warning" (a live feed not delivering) | "recorded" | "none".
 */
export function describeFeed(feed) {
  if (!feed) return { badge: "NO FEED", kind: "", status: "", health: "none", text: "no market feed", noted: false, title: "" };
  const note = feed.note ?? "";
  if (feed.kind === "LIVE") {
    const status = feed.status ?? HEALTHY;
    const age = feed.lastQuoteAgeSeconds;
    const ago = age === null || age === undefined ? "no quote yet" : `last quote ${formatAge(age)} ago`;
    const healthy = status === HEALTHY;
    return {
      badge: status,
      kind: feed.kind,
      status,
      health: healthy ? "healthy" : "warning",
      text: healthy ? exchangeTitle(feed) : `${exchangeTitle(feed)} · ${ago}`,
      noted: false,
      title: lines(feed.description, `${status}: ${ago}`, feed.error && `error: ${feed.error}`, note),
    };
  }
  const sources = feed.sources?.length ? feed.sources.join("\n") : "";
  return {
    badge: feed.kind,
    kind: feed.kind,
    status: "",
    health: "recorded",
    text: feed.note ? shortNote(feed.note) : feed.description,
    noted: Boolean(feed.note),
    title: lines(note, feed.description, sources !== feed.description && sources),
  };
}
