// Every query and mutation the dashboard makes, over HTTP, shaped for the views.

import * as doc from "./documents.js";
import { graphqlRequest } from "./http.js";

const COMMAND_DOCS = { pause: doc.PAUSE, resume: doc.RESUME, stop: doc.STOP };
const COMMAND_FIELDS = { pause: "pauseCompetition", resume: "resumeCompetition", stop: "stopCompetition" };

export class Api {
  constructor(getToken) {
    this.getToken = getToken;
  }

  request(query, variables = {}, options = {}) {
    return graphqlRequest(query, variables, { token: this.getToken(), ...options });
  }

  async arena() {
    return (await this.request(doc.ARENA)).arena;
  }

  /** -> the arena's feed (or null), for polling: a short timeout, so a hung request does not hold up the next */
  async feed() {
    return (await this.request(doc.FEED, {}, { timeoutMs: 5000 })).arena.feed;
  }

  async prices() {
    return (await this.request(doc.PRICES)).prices;
  }

  async leaderboard(competitionId) {
    return (await this.request(doc.LEADERBOARD, { competitionId })).leaderboard;
  }

  /** side: BUY | SELL | null (both) -> { trades (newest first), total (of every trade the filters match), endCursor, hasNextPage } */
  async trades({ competitionId, agentId = null, side = null, first = 100, after = null }) {
    const { trades } = await this.request(doc.TRADES, { competitionId, agentId: agentId || null, side, first, after });
    return {
      trades: trades.edges.map((e) => e.node),
      total: trades.totalCount,
      endCursor: trades.pageInfo.endCursor,
      hasNextPage: trades.pageInfo.hasNextPage,
    };
  }

  /** -> { decisions (newest first), total (every decision the filters match) } */
  async decisions({ competitionId = null, agentId = null, first = 10 }) {
    const { decisions } = await this.request(doc.DECISIONS, { competitionId, agentId, first });
    return { decisions: decisions.edges.map((e) => e.node), total: decisions.totalCount };
  }

  /** -> Map agentId -> [{ round, equity, returnPct }] (the latest `limit` rounds, oldest first), one query for all agents */
  async equityHistories(competitionId, limit = 2000) {
    const { agents } = await this.request(doc.EQUITY_HISTORIES, { competitionId, limit });
    return new Map(agents.map((a) => [a.id, a.equityHistory]));
  }

  /** -> the agent with its positions (and with `history`, its competition and equityHistory), or null */
  async agent(id, { history = false, limit = 2000 } = {}) {
    return (await this.request(doc.AGENT, { id, history, limit })).agent;
  }

  /** -> Map symbol -> candles of one minute between since and until (ISO strings). */
  async priceHistories(symbols, since, until) {
    if (!symbols.length) return new Map();
    const variables = { since, until };
    symbols.forEach((s, i) => (variables[`s${i}`] = s));
    const data = await this.request(doc.priceHistories(symbols.length), variables);
    return new Map(symbols.map((s, i) => [s, data[`s${i}`]]));
  }

  /** -> { competitions, endCursor, hasNextPage } newest first */
  async competitions(first = 20, after = null) {
    const { competitions } = await this.request(doc.COMPETITIONS, { first, after });
    return {
      competitions: competitions.edges.map((e) => e.node),
      endCursor: competitions.pageInfo.endCursor,
      hasNextPage: competitions.pageInfo.hasNextPage,
    };
  }

  async competition(id) {
    return (await this.request(doc.COMPETITION, { id })).competition;
  }

  /** -> userErrors ([] when it started) */
  async start(input) {
    return (await this.request(doc.START, { input })).startCompetition.userErrors;
  }

  /** name: pause | resume | stop -> userErrors */
  async command(name) {
    return (await this.request(COMMAND_DOCS[name]))[COMMAND_FIELDS[name]].userErrors;
  }

  // --- alerts (operator only) ---

  async alerts() {
    return (await this.request(doc.ALERTS)).alerts;
  }

  /** -> fired alerts, newest first */
  async firedAlerts(first = 20) {
    return (await this.request(doc.FIRED_ALERTS, { first })).firedAlerts.edges.map((e) => e.node);
  }

  /** -> a rule's deliveries, newest first */
  async alertDeliveries(alertId, first = 5) {
    return (await this.request(doc.ALERT_DELIVERIES, { alertId, first })).alertDeliveries.edges.map((e) => e.node);
  }

  /** -> { alert, secret, userErrors } (the secret is shown only now) */
  async createAlert(input) {
    return (await this.request(doc.CREATE_ALERT, { input })).createAlert;
  }

  /** -> userErrors */
  async deleteAlert(id) {
    return (await this.request(doc.DELETE_ALERT, { id })).deleteAlert.userErrors;
  }
}
