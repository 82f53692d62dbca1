// A layer of OHLC candles: candles = [{ t, span, o, h, l, c }] (t and span in ms), t ascending.

import { UP, DOWN } from "../colors.js";
import { paddedExtent } from "./scale.js";

export class CandleLayer {
  constructor(plot, { formatValue, formatTitle } = {}) {
    this.chart = plot;
    this.formatValue = formatValue;
    this.formatTitle = formatTitle;
    this.candles = [];
  }

  setCandles(candles) {
    this.candles = candles;
    if (this.chart.layer === this) this.chart.invalidate();
  }

  extent() {
    const candles = this.candles;
    if (!candles.length) return null;
    const last = candles[candles.length - 1];
    return { x: [candles[0].t, last.t + last.span], y: paddedExtent(candles.flatMap((c) => [c.l, c.h])) };
  }

  plot(ctx, frame) {
    for (const c of this.candles) {
      const x0 = frame.x(c.t);
      const width = Math.max(1, frame.x(c.t + c.span) - x0);
      const body = Math.max(1, width * 0.7);
      const cx = Math.round(x0 + width / 2) + 0.5;
      const color = c.c >= c.o ? UP : DOWN;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(cx, frame.y(c.h));
      ctx.lineTo(cx, frame.y(c.l));
      ctx.stroke();
      const top = frame.y(Math.max(c.o, c.c));
      const height = Math.max(1, Math.abs(frame.y(c.o) - frame.y(c.c)));
      ctx.fillRect(cx - body / 2, top, body, height);
    }
  }

  describe(frame, x) {
    const candle = this.candles.find((c) => x >= c.t && x < c.t + c.span) ?? this.candles[this.candles.length - 1];
    const color = candle.c >= candle.o ? UP : DOWN;
    const f = this.formatValue;
    return {
      x: candle.t + candle.span / 2,
      title: this.formatTitle(candle.t),
      rows: [
        { color, text: `O ${f(candle.o)}  H ${f(candle.h)}` },
        { color, text: `L ${f(candle.l)}  C ${f(candle.c)}`, y: candle.c },
      ],
    };
  }
}
