// The chart for the selected symbol: a line or candles over the last N minutes of feed time.

import { setText } from "./dom.js";
import { formatClock, formatDateTime, formatDay, formatPrice, formatTick } from "./format.js";
import { CandleLayer } from "./charts/candle-layer.js";
import { LineLayer } from "./charts/line-layer.js";
import { Plot } from "./charts/plot.js";

const LINE_COLOR = "#4cc9f0";
const DAY = 86_400_000;

const formatTimeTick = (ms, step) => (step >= DAY ? formatDay(ms) : formatClock(ms, { seconds: false }));
const formatTitle = (ms) => `${formatDateTime(ms)} UTC`;

export class PriceChartPanel {
  #kind = "line";
  #minutes;
  #symbol = null;

  constructor({ canvas, symbolLabel, kindButtons, windowSelect, series }) {
    this.canvas = canvas;
    this.symbolLabel = symbolLabel;
    this.kindButtons = kindButtons;
    this.series = series;
    this.#minutes = Number(windowSelect.value);
    this.plot = new Plot(canvas, { formatX: formatTimeTick, formatY: formatTick, timeAxis: true, emptyText: "Waiting for prices…" });
    this.line = new LineLayer(this.plot, { area: true, formatValue: formatPrice, formatTitle });
    this.candles = new CandleLayer(this.plot, { formatValue: formatPrice, formatTitle });
    this.plot.show(this.line);
    for (const button of kindButtons) button.addEventListener("click", () => this.#setKind(button.dataset.chartKind));
    windowSelect.addEventListener("change", () => {
      this.#minutes = Number(windowSelect.value);
      this.refresh();
    });
  }

  get symbol() {
    return this.#symbol;
  }

  setSymbol(symbol) {
    this.#symbol = symbol;
    setText(this.symbolLabel, symbol ?? "—");
    this.canvas.setAttribute("aria-label", `${symbol ?? "No symbol"} price chart`);
    this.refresh();
  }

  #setKind(kind) {
    this.#kind = kind;
    for (const b of this.kindButtons) b.setAttribute("aria-pressed", String(b.dataset.chartKind === kind));
    this.plot.show(kind === "candles" ? this.candles : this.line);
    this.refresh();
  }

  refresh() {
    const symbol = this.#symbol;
    if (this.#kind === "candles") {
      this.candles.setCandles(symbol ? this.series.candles(symbol, this.#minutes) : []);
    } else {
      const points = symbol ? this.series.window(symbol, this.#minutes).map((b) => [b.t, b.c]) : [];
      this.line.setSeries(points.length ? [{ id: symbol, label: symbol, color: LINE_COLOR, points }] : []);
    }
  }
}
