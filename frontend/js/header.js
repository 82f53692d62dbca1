// The header: arena state, competition, round, feed, connection indicator and update counter.

import { setText } from "./dom.js";
import { describeFeed } from "./feed-status.js";
import { formatInteger } from "./format.js";

const CONNECTION_TEXT = { connecting: "connecting", connected: "connected", reconnecting: "reconnecting", offline: "offline" };

export class Header {
  #updates = 0;
  #frame = 0;
  #countdown = 0;

  constructor(nodes) {
    this.nodes = nodes; // { state, name, round, feed, feedKind, feedDescription, connection, connectionLabel, updates }
  }

  setArena(arena) {
    this.setState(arena.state);
    setText(this.nodes.name, arena.competition?.name ?? "none yet");
    this.nodes.name.title = arena.competition ? `${arena.competition.name} (${arena.competition.id})` : "";
    this.setRound(arena.round);
    this.setFeed(arena.feed);
  }

  /** The feed (or null): `LIVE · Coinbase`, `STALE · Coinbase · last quote 12 s ago`, `SIMULATED · offline: …`. */
  setFeed(feed) {
    const view = describeFeed(feed);
    const { feedKind, feedDescription } = this.nodes;
    setText(feedKind, view.badge);
    feedKind.dataset.kind = view.kind;
    feedKind.dataset.status = view.status;
    feedKind.classList.toggle("feed-live", view.health === "healthy");
    feedKind.classList.toggle("feed-stale", view.health === "warning");
    setText(feedDescription, view.text);
    feedDescription.classList.toggle("noted", view.noted);
    this.nodes.feed.title = view.title;
  }

  setState(state) {
    setText(this.nodes.state, state);
    this.nodes.state.dataset.state = state;
  }

  setRound(round) {
    setText(this.nodes.round, formatInteger(round));
  }

  /** status = { state, retryAt, reason } from the SubscriptionClient. */
  setConnection(status) {
    clearInterval(this.#countdown);
    this.nodes.connection.dataset.state = status.state;
    this.nodes.connection.title = status.reason || "";
    const render = () => {
      const base = CONNECTION_TEXT[status.state] ?? status.state;
      const wait = status.retryAt ? Math.max(0, Math.ceil((status.retryAt - Date.now()) / 1000)) : 0;
      setText(this.nodes.connectionLabel, wait ? `${base} · retry in ${wait}s` : base);
    };
    render();
    if (status.retryAt) this.#countdown = setInterval(render, 500);
  }

  bumpUpdates() {
    this.#updates += 1;
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      setText(this.nodes.updates, formatInteger(this.#updates));
    });
  }
}
