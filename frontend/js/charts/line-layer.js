// A layer of lines over a shared x axis: equity curves (one per agent) or a price (with an area fill).
// series = [{ id, label, color, points: [[x, y], ...] }] with x ascending.

import { paddedExtent } from "./scale.js";
import { theme } from "./theme.js";

export function nearestIndex(points, x) {
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < x) lo = mid;
    else hi = mid;
  }
  return Math.abs(points[lo][0] - x) <= Math.abs(points[hi][0] - x) ? lo : hi;
}

export class LineLayer {
  constructor(plot, { area = false, formatValue, formatTitle } = {}) {
    this.chart = plot;
    this.area = area;
    this.formatValue = formatValue;
    this.formatTitle = formatTitle;
    this.series = [];
    this.baseline = null;
  }

  setSeries(series, { baseline = null } = {}) {
    this.series = series.filter((s) => s.points.length > 0);
    this.baseline = baseline;
    if (this.chart.layer === this) this.chart.invalidate();
  }

  extent() {
    if (!this.series.length) return null;
    let x0 = Infinity;
    let x1 = -Infinity;
    const ys = this.baseline === null ? [] : [this.baseline];
    for (const { points } of this.series) {
      x0 = Math.min(x0, points[0][0]);
      x1 = Math.max(x1, points[points.length - 1][0]);
      for (const p of points) ys.push(p[1]);
    }
    if (x0 === x1) x1 = x0 + 1;
    return { x: [x0, x1], y: paddedExtent(ys) };
  }

  plot(ctx, frame) {
    if (this.baseline !== null) {
      const py = Math.round(frame.y(this.baseline)) + 0.5;
      ctx.strokeStyle = theme.baseline;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(frame.left, py);
      ctx.lineTo(frame.right, py);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    for (const s of this.series) this.#line(ctx, frame, s);
  }

  #line(ctx, frame, { color, points }) {
    ctx.beginPath();
    points.forEach(([x, y], i) => (i ? ctx.lineTo(frame.x(x), frame.y(y)) : ctx.moveTo(frame.x(x), frame.y(y))));
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.lineJoin = "round";
    ctx.stroke();
    const [lastX, lastY] = points[points.length - 1];
    if (this.area) {
      ctx.lineTo(frame.x(lastX), frame.bottom);
      ctx.lineTo(frame.x(points[0][0]), frame.bottom);
      ctx.closePath();
      const gradient = ctx.createLinearGradient(0, frame.top, 0, frame.bottom);
      gradient.addColorStop(0, `${color}55`);
      gradient.addColorStop(1, `${color}00`);
      ctx.fillStyle = gradient;
      ctx.fill();
    }
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(frame.x(lastX), frame.y(lastY), 3, 0, Math.PI * 2);
    ctx.fill();
  }

  describe(frame, x) {
    const anchor = this.series[0].points;
    const snapped = anchor[nearestIndex(anchor, x)][0];
    const rows = this.series.map(({ label, color, points }) => {
      const [, y] = points[nearestIndex(points, snapped)];
      return { color, y, text: `${label}  ${this.formatValue(y)}` };
    });
    return { x: snapped, title: this.formatTitle(snapped), rows };
  }
}
