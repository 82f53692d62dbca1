// The header: arena state, competition, round, feed, connection indicator and update counter.

import { setText } from "./dom.js";
import { formatInteger } from "./format.js";

const CONNECTION_TEXT = { connecting: "connecting", connected: "connected", reconnecting: "reconnecting", offline: "offline" };

export class Header {
  #updates = 0;
  #frame = 0;
  #countdown = 0;

  constructor(nodes) {
    this.nodes = nodes; // { state, name, round, feedKind, feedDescription, connection, connectionLabel, updates }
  }

  setArena(arena) {
    this.setState(arena.state);
    setText(this.nodes.name, arena.competition?.name ?? "none yet");
    this.nodes.name.title = arena.competition ? `${arena.competition.name} (${arena.competition.id})` : "";
    this.setRound(arena.round);
    const feed = arena.feed;
    setText(this.nodes.feedKind, feed?.kind ?? "NO FEED");
    this.nodes.feedKind.dataset.kind = feed?.kind ?? "";
    setText(this.nodes.feedDescription, feed?.description ?? "no market feed");
    this.nodes.feedDescription.title = feed?.sources?.length ? feed.sources.join("\n") : feed?.description ?? "";
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
