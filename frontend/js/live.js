// The live view's data: five subscriptions feed the views as events arrive; after every
// (re)connection — and whenever a message shows the arena moved on (a new competition, a
// state change) — queries re-read the state so nothing missed while away stays missing.
// The agent view, when open on an agent of this competition, follows the leaderboard too.

import * as doc from "./documents.js";
import { MODEL_STRATEGY } from "./model-chat.js";

const ACTIVE = ["RUNNING", "PAUSED"];
const HISTORY_WINDOW_MS = 24 * 3600_000;

export class LiveView {
  #competition = null; // { id, name, startingCash, status, winner }
  #round = 0;
  #syncing = null;
  #syncAgain = false;
  #resyncTimer = 0;
  #feedKey = null;
  #liveOnly = new Set(); // symbols whose stored history is not this feed's (it restarted or changed)
  #agentNames = new Map();

  constructor(parts) {
    Object.assign(this, parts); // client, api, header, cards, chart, series, equity, leaderboard, trades, modelChat, agentView, controls, startForm, alerts, log
  }

  start() {
    const { client } = this;
    let wasConnected = false;
    client.on("status", (status) => {
      this.header.setConnection(status);
      if (status.state === "connected") return;
      if (wasConnected && !status.planned) this.log.error(`connection lost (${status.reason || "closed"}); reconnecting with backoff`);
      wasConnected = false;
    });
    client.on("connected", ({ reconnect }) => {
      wasConnected = true;
      this.log.info(reconnect ? "reconnected; re-syncing" : "connected");
      this.resync();
    });
    client.on("resync", () => this.resync());
    client.on("message", () => this.header.bumpUpdates());
    client.subscribe(doc.SUB_PRICES, {}, this.#observer("prices", (d) => this.#onPrice(d.prices, { snapshot: false })));
    client.subscribe(doc.SUB_TRADES, {}, this.#observer("trades", (d) => this.#onTrade(d.trades)));
    client.subscribe(doc.SUB_LEADERBOARD, {}, this.#observer("leaderboard", (d) => this.#onBoard(d.leaderboard)));
    client.subscribe(doc.SUB_EVENTS, {}, this.#observer("events", (d) => this.#onEvent(d.arenaEvents)));
    client.subscribe(doc.SUB_DECISIONS, {}, this.#observer("decisions", (d) => this.#onDecision(d.decisions)));
    client.start();
  }

  /** Re-read everything; concurrent calls fold into one extra pass. */
  resync() {
    if (this.#syncing) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = this.#sync().finally(() => {
      this.#syncing = null;
      if (this.#syncAgain) {
        this.#syncAgain = false;
        this.resync();
      }
    });
    return this.#syncing;
  }

  /** Trades of one agent ("" for all) after the filter changed. */
  async refilterTrades(agentId) {
    const competition = this.#competition;
    if (!competition) return;
    try {
      const page = await this.api.trades({ competitionId: competition.id, agentId, first: 100 });
      if (competition === this.#competition && agentId === this.trades.filter) this.trades.replace(page.trades, page.total);
    } catch (error) {
      this.log.error(`trades: ${error.message}`);
    }
  }

  #observer(name, next) {
    return {
      next: (data, errors) => {
        if (errors?.length) this.log.error(`${name}: ${errors[0].message}`);
        if (data) next(data);
      },
      error: (errors) => this.log.error(`${name} subscription refused: ${errors?.[0]?.message ?? "error"}`),
    };
  }

  #scheduleResync() {
    clearTimeout(this.#resyncTimer);
    this.#resyncTimer = setTimeout(() => this.resync(), 150);
  }

  async #sync() {
    try {
      const arena = await this.api.arena();
      this.#applyArena(arena);
      await Promise.all([this.#syncPrices(arena), this.#syncCompetition()]);
    } catch (error) {
      this.log.error(`sync failed: ${error.message}`);
    }
  }

  #applyArena(arena) {
    const state = arena.state;
    this.header.setArena(arena);
    this.#round = arena.round;
    this.controls.setState(state);
    this.startForm.setStrategies(arena.strategies);
    this.startForm.setSymbols(arena.symbols);
    this.startForm.setEnabled(!ACTIVE.includes(state), ACTIVE.includes(state) ? "Stop the current competition first." : "");
    const feedKey = arena.feed ? `${arena.feed.kind}|${arena.feed.description}|${arena.feed.sources.join(",")}` : "";
    if (this.#feedKey !== null && feedKey !== this.#feedKey) {
      for (const symbol of this.series.symbols()) {
        this.series.forget(symbol);
        this.#liveOnly.add(symbol);
      }
    }
    this.#feedKey = feedKey;
    this.cards.setSymbols(arena.symbols);
    this.alerts.setSymbols(arena.symbols);
    const competition = arena.competition;
    if (competition?.id !== this.#competition?.id) this.#switchTo(competition);
    else if (competition) this.#competition = competition;
    if (competition && !ACTIVE.includes(competition.status)) this.leaderboard.setWinner(competition.winner?.id ?? null);
  }

  #switchTo(competition) {
    this.#competition = competition;
    this.#agentNames.clear();
    const none = "No competition yet: start one from the controls.";
    this.leaderboard.clear(competition ? "Waiting for the first round…" : none);
    this.trades.setAgents([]);
    this.trades.clear(competition ? "No trades yet" : none);
    this.equity.reset({ startingCash: competition?.startingCash ?? null, emptyText: competition ? "Waiting for the first round…" : none });
    this.modelChat.reset(competition ? "Waiting for the first round…" : none);
  }

  async #syncCompetition() {
    const competition = this.#competition;
    if (!competition) return;
    const [board, page] = await Promise.all([
      this.api.leaderboard(competition.id),
      this.api.trades({ competitionId: competition.id, agentId: this.trades.filter, first: 100 }),
    ]);
    if (competition !== this.#competition) return;
    this.#applyBoard(board);
    this.trades.replace(page.trades, page.total);
    const agents = board.map((e) => ({ id: e.agent.id, name: e.agent.name }));
    const [histories] = await Promise.all([this.api.equityHistories(competition.id), this.#syncDecisions(competition, board)]);
    if (competition !== this.#competition) return;
    this.equity.load(agents, histories);
    this.agentView.resync(competition.id);
  }

  // Each model agent's latest decisions; the panel merges them with those the stream brought
  // meanwhile. A failure here is logged and leaves the rest of the sync alone.
  async #syncDecisions(competition, board) {
    const agentIds = board.filter((e) => e.agent.strategy === MODEL_STRATEGY).map((e) => e.agent.id);
    const first = this.modelChat.maxDecisions;
    try {
      const pages = await Promise.all(agentIds.map((agentId) => this.api.decisions({ competitionId: competition.id, agentId, first })));
      if (competition !== this.#competition) return;
      agentIds.forEach((agentId, i) => this.modelChat.load(agentId, pages[i].decisions, pages[i].total));
    } catch (error) {
      this.log.error(`decisions: ${error.message}`);
    }
  }

  async #syncPrices(arena) {
    for (const tick of await this.api.prices()) this.#onPrice(tick, { snapshot: true });
    const symbols = arena.symbols.filter((s) => !this.#liveOnly.has(s) && this.series.latest.has(s));
    if (!symbols.length) return;
    const latest = Math.max(...symbols.map((s) => Date.parse(this.series.latest.get(s).timestamp)));
    // `until` keeps out ticks stamped later than this feed's present (an earlier run of the feed)
    const histories = await this.api.priceHistories(symbols, new Date(latest - HISTORY_WINDOW_MS).toISOString(), new Date(latest + 1000).toISOString());
    for (const [symbol, candles] of histories) {
      if (!this.#liveOnly.has(symbol)) this.series.load(symbol, candles);
    }
    this.#refreshPrices(symbols);
  }

  #onPrice(tick, options) {
    if (!this.series.addTick(tick, options)) this.#liveOnly.add(tick.symbol);
    if (!this.cards.has(tick.symbol)) return;
    this.#refreshPrices([tick.symbol]);
  }

  #refreshPrices(symbols) {
    for (const symbol of symbols) {
      const tick = this.series.latest.get(symbol);
      if (tick) this.cards.update(tick, this.series.closes(symbol, 60));
      if (symbol === this.chart.symbol) this.chart.refresh();
    }
  }

  #onTrade(trade) {
    if (trade.competitionId !== this.#competition?.id) {
      this.#scheduleResync(); // a competition this page has not seen yet
      return;
    }
    this.trades.add(trade);
    this.agentView.addTrade(trade);
  }

  #onDecision(decision) {
    if (decision.competitionId !== this.#competition?.id) {
      this.#scheduleResync();
      return;
    }
    this.modelChat.add(decision);
  }

  #onBoard(entries) {
    if (!entries.length) return;
    if (entries[0].agent.competitionId !== this.#competition?.id) {
      this.#scheduleResync();
      return;
    }
    this.#applyBoard(entries);
    this.equity.addStandings(entries, this.#round);
    this.agentView.follow(entries, this.#round);
  }

  #applyBoard(entries) {
    const known = this.#agentNames.size === entries.length && entries.every((e) => this.#agentNames.has(e.agent.id));
    if (!known) {
      this.#agentNames = new Map(entries.map((e) => [e.agent.id, e.agent.name]));
      const agents = entries.map((e) => ({ id: e.agent.id, name: e.agent.name, strategy: e.agent.strategy })).sort((a, b) => a.name.localeCompare(b.name));
      this.trades.setAgents(agents);
      this.alerts.setAgents(agents);
      this.modelChat.setAgents(agents.filter((a) => a.strategy === MODEL_STRATEGY));
    }
    this.leaderboard.update(entries);
  }

  #onEvent(event) {
    const current = !event.competitionId || event.competitionId === this.#competition?.id;
    if (current && event.round >= this.#round) {
      this.#round = event.round;
      this.header.setRound(event.round);
    }
    switch (event.kind) {
      case "ROUND_COMPLETED":
        this.log.add({ kind: event.kind, message: event.message, at: event.at });
        break;
      case "STATE_CHANGED":
        this.header.setState(event.status);
        this.controls.setState(event.status);
        this.log.add({ kind: event.kind, message: `${event.status}: ${event.message}`, at: event.at });
        this.#scheduleResync();
        break;
      case "FINISHED":
        this.log.add({ kind: event.kind, message: event.message, at: event.at });
        if (current) this.leaderboard.setWinner(event.winnerId);
        this.#scheduleResync();
        break;
      case "REJECTION": {
        const who = this.#agentNames.get(event.agentId) ?? event.agentId;
        this.log.add({ kind: event.kind, message: `${who}: ${event.message} [${event.code}]`, at: event.at });
        break;
      }
      default:
        this.log.add({ kind: event.kind, message: event.message, at: event.at });
    }
  }
}
