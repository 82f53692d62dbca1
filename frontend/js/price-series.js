// Price history per symbol in one-minute buckets of feed time: loaded from priceHistory,
// then extended by every live tick. Sparklines, the line chart and the candles all read it.

const BUCKET_MS = 60_000;
const MAX_BUCKETS = 3000;
const CANDLE_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440, 2880, 10080, 43200];
const TARGET_CANDLES = 48;

export class PriceSeries {
  #buckets = new Map(); // symbol -> [{ t, o, h, l, c }], t ascending
  latest = new Map(); // symbol -> the latest PriceTick

  /** Replace a symbol's history with candles from the priceHistory query. */
  load(symbol, candles) {
    const loaded = candles.map((c) => ({
      t: Date.parse(c.start), o: Number(c.open), h: Number(c.high), l: Number(c.low), c: Number(c.close),
    }));
    const live = (this.#buckets.get(symbol) ?? []).filter((b) => !loaded.length || b.t > loaded[loaded.length - 1].t);
    this.#buckets.set(symbol, [...loaded, ...live].slice(-MAX_BUCKETS));
  }

  /**
   * Add a tick. A live tick older than the latest means the feed restarted: the history is reset
   * and false returned. A snapshot (a query's answer) older than the latest is just late: ignored.
   */
  addTick(tick, { snapshot = false } = {}) {
    const price = Number(tick.price);
    const t = Date.parse(tick.timestamp);
    const bucketStart = Math.floor(t / BUCKET_MS) * BUCKET_MS;
    const previous = this.latest.get(tick.symbol);
    if (snapshot && previous && t <= Date.parse(previous.timestamp)) return true;
    this.latest.set(tick.symbol, tick);
    let buckets = this.#buckets.get(tick.symbol);
    let continuous = true;
    if (!buckets || (previous && t < Date.parse(previous.timestamp))) {
      continuous = !buckets;
      buckets = [];
      this.#buckets.set(tick.symbol, buckets);
    }
    const last = buckets[buckets.length - 1];
    if (last && last.t === bucketStart) {
      last.h = Math.max(last.h, price);
      last.l = Math.min(last.l, price);
      last.c = price;
    } else if (!last || bucketStart > last.t) {
      buckets.push({ t: bucketStart, o: price, h: price, l: price, c: price });
      if (buckets.length > MAX_BUCKETS) buckets.shift();
    }
    return continuous;
  }

  symbols() {
    return [...this.latest.keys()];
  }

  forget(symbol) {
    this.latest.delete(symbol);
    this.#buckets.delete(symbol);
  }

  /** The last `count` closing prices (sparklines). */
  closes(symbol, count) {
    return (this.#buckets.get(symbol) ?? []).slice(-count).map((b) => b.c);
  }

  /** Buckets within the last `minutes` of feed time (0: all). */
  window(symbol, minutes) {
    const buckets = this.#buckets.get(symbol) ?? [];
    if (!minutes || !buckets.length) return buckets;
    const from = buckets[buckets.length - 1].t - minutes * 60_000;
    return buckets.filter((b) => b.t > from);
  }

  /** Candles for the window: buckets merged so that about TARGET_CANDLES remain, each of a few ticks. */
  candles(symbol, minutes) {
    const buckets = this.window(symbol, minutes);
    if (!buckets.length) return [];
    const spanMin = (buckets[buckets.length - 1].t - buckets[0].t) / 60_000 + 1;
    const density = buckets.length / spanMin; // buckets per minute (1 on a one-minute feed)
    const wanted = Math.max(spanMin / TARGET_CANDLES, 3 / Math.min(1, density));
    const stepMin = CANDLE_STEPS_MIN.find((m) => m >= wanted) ?? CANDLE_STEPS_MIN[CANDLE_STEPS_MIN.length - 1];
    const span = stepMin * 60_000;
    const out = [];
    for (const b of buckets) {
      const t = Math.floor(b.t / span) * span;
      const current = out[out.length - 1];
      if (current && current.t === t) {
        current.h = Math.max(current.h, b.h);
        current.l = Math.min(current.l, b.l);
        current.c = b.c;
      } else {
        out.push({ t, span, o: b.o, h: b.h, l: b.l, c: b.c });
      }
    }
    return out;
  }
}
