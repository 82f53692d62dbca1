// The websocket client for subscriptions (graphql-transport-ws; queries and mutations go over
// HTTP in http.js): connection_init with the operator token, client pings, subscribe /
// complete, reconnect with exponential backoff, and re-subscribe after a reconnect.
// It reports its state ("connecting", "connected", "reconnecting", "offline") so the page can
// show it, and emits "connected" after every acknowledged connection so the page can re-sync.

const PROTOCOL = "graphql-transport-ws";

const DEFAULTS = {
  pingIntervalMs: 10000, // the server only answers pings: the client keeps the line alive
  pongTimeoutMs: 5000,
  ackTimeoutMs: 5000,
  backoffBaseMs: 500,
  backoffMaxMs: 8000,
  offlineAfterMs: 30000, // still retrying, but say "offline" after this long without a connection
  resubscribeDelayMs: 1000,
};

export function defaultSocketUrl(location = window.location) {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
}

export class SubscriptionClient {
  #url;
  #getToken;
  #options;
  #ws = null;
  #acked = false;
  #everConnected = false;
  #stopped = false;
  #attempt = 0;
  #downSince = null;
  #nextId = 0;
  #subscriptions = new Map(); // id -> { query, variables, observer }
  #listeners = new Map(); // event -> Set<fn>
  #timers = { retry: 0, ack: 0, ping: 0, pong: 0 };
  status = { state: "connecting", attempt: 0, retryAt: null, reason: "", planned: false };

  constructor(url, { getToken = () => "", ...options } = {}) {
    this.#url = url;
    this.#getToken = getToken;
    this.#options = { ...DEFAULTS, ...options };
    window.addEventListener("online", () => this.#online());
    window.addEventListener("offline", () => {
      if (this.#ws) this.#drop(this.#ws, "browser is offline");
      else this.#setStatus("offline", "browser is offline", this.status.retryAt);
    });
  }

  /** on("status" | "connected" | "message" | "resync", fn) -> unsubscribe */
  on(event, fn) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(fn);
    return () => this.#listeners.get(event).delete(fn);
  }

  start() {
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    this.#clearTimers();
    this.#ws?.close(1000, "client stopped");
    this.#ws = null;
  }

  /** Drop the connection and connect again at once (e.g. after the token changed). */
  restart(reason = "restart") {
    if (this.#ws) this.#drop(this.#ws, reason, { retryNow: true });
    else this.#online();
  }

  /** Subscribe; observer = { next(data, errors), error(errors), complete() }. Returns a dispose function. */
  subscribe(query, variables, observer) {
    const id = String(++this.#nextId);
    this.#subscriptions.set(id, { query, variables, observer });
    if (this.#acked) this.#sendSubscribe(id);
    return () => {
      if (this.#subscriptions.delete(id) && this.#acked) this.#send({ id, type: "complete" });
    };
  }

  // --- connection lifecycle ------------------------------------------------------------

  #connect() {
    clearTimeout(this.#timers.retry);
    this.#acked = false;
    let ws;
    try {
      ws = new WebSocket(this.#url, PROTOCOL);
    } catch (error) {
      this.#scheduleReconnect(String(error));
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      const token = this.#getToken();
      this.#send({ type: "connection_init", payload: token ? { authToken: token } : {} });
      this.#timers.ack = setTimeout(() => this.#drop(ws, "no connection_ack"), this.#options.ackTimeoutMs);
    };
    ws.onmessage = (event) => this.#receive(ws, event.data);
    ws.onclose = (event) => {
      if (ws === this.#ws) this.#closed(event.reason || `closed (${event.code})`);
    };
  }

  #receive(ws, raw) {
    if (ws !== this.#ws) return;
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      this.#drop(ws, "malformed message");
      return;
    }
    switch (message.type) {
      case "connection_ack":
        return this.#acknowledged();
      case "ping":
        return this.#send({ type: "pong" });
      case "pong":
        return clearTimeout(this.#timers.pong);
      case "next":
        return this.#deliver(message.id, (sub) => {
          this.#emit("message");
          sub.observer.next?.(message.payload?.data ?? null, message.payload?.errors ?? null);
        });
      case "error": // refused (e.g. needs the token): kept, and tried again on the next connection
        return this.#deliver(message.id, (sub) => sub.observer.error?.(message.payload));
      case "complete":
        return this.#deliver(message.id, (sub) => this.#completedByServer(message.id, sub));
      default:
        return undefined;
    }
  }

  #acknowledged() {
    clearTimeout(this.#timers.ack);
    const reconnect = this.#everConnected;
    this.#acked = true;
    this.#everConnected = true;
    this.#attempt = 0;
    this.#downSince = null;
    this.#setStatus("connected", "");
    this.#startPinging();
    for (const id of this.#subscriptions.keys()) this.#sendSubscribe(id);
    this.#emit("connected", { reconnect });
  }

  // A live subscription that the server ends (e.g. it dropped a slow subscriber) is
  // subscribed again; what was missed meanwhile is re-read by the "resync" listeners.
  #completedByServer(id, sub) {
    sub.observer.complete?.();
    setTimeout(() => {
      if (this.#acked && this.#subscriptions.get(id) === sub) {
        this.#sendSubscribe(id);
        this.#emit("resync");
      }
    }, this.#options.resubscribeDelayMs);
  }

  #deliver(id, handler) {
    const sub = this.#subscriptions.get(id);
    if (sub) handler(sub);
  }

  #startPinging() {
    clearInterval(this.#timers.ping);
    const ws = this.#ws;
    this.#timers.ping = setInterval(() => {
      if (ws !== this.#ws || ws.readyState !== WebSocket.OPEN) return;
      this.#send({ type: "ping" });
      clearTimeout(this.#timers.pong);
      this.#timers.pong = setTimeout(() => this.#drop(ws, "no pong"), this.#options.pongTimeoutMs);
    }, this.#options.pingIntervalMs);
  }

  /** Give up on a socket at once (a dead peer may never deliver `close`). */
  #drop(ws, reason, { retryNow = false } = {}) {
    if (ws !== this.#ws) return;
    ws.onmessage = ws.onclose = null;
    if (ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close(1000, reason);
    else ws.close(1000, reason);
    this.#closed(reason, retryNow);
  }

  #closed(reason, retryNow = false) {
    this.#ws = null;
    this.#acked = false;
    this.#clearTimers();
    if (this.#stopped) return;
    this.#downSince ??= Date.now();
    if (retryNow) {
      this.#attempt = 0;
      this.#setStatus(this.#everConnected ? "reconnecting" : "connecting", reason, null, true);
      this.#connect();
    } else {
      this.#scheduleReconnect(reason);
    }
  }

  #scheduleReconnect(reason) {
    const { backoffBaseMs, backoffMaxMs, offlineAfterMs } = this.#options;
    const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** this.#attempt);
    const delay = Math.round(ceiling * (0.6 + Math.random() * 0.4)); // jitter: clients do not return in lockstep
    this.#attempt += 1;
    const downFor = Date.now() - (this.#downSince ?? Date.now());
    const state = !navigator.onLine || downFor >= offlineAfterMs ? "offline" : this.#everConnected ? "reconnecting" : "connecting";
    this.#setStatus(state, reason, Date.now() + delay);
    this.#timers.retry = setTimeout(() => this.#connect(), delay);
  }

  #online() {
    if (this.#ws || this.#stopped) return;
    this.#attempt = 0;
    this.#connect();
  }

  // --- plumbing --------------------------------------------------------------------------

  #sendSubscribe(id) {
    const { query, variables } = this.#subscriptions.get(id);
    this.#send({ id, type: "subscribe", payload: { query, variables } });
  }

  #send(message) {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  #clearTimers() {
    clearTimeout(this.#timers.retry);
    clearTimeout(this.#timers.ack);
    clearInterval(this.#timers.ping);
    clearTimeout(this.#timers.pong);
  }

  #setStatus(state, reason, retryAt = null, planned = false) {
    this.status = { state, attempt: this.#attempt, retryAt, reason, planned };
    this.#emit("status", this.status);
  }

  #emit(event, detail) {
    for (const fn of this.#listeners.get(event) ?? []) fn(detail);
  }
}
