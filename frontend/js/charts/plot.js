// One chart on one canvas: scales from its layer's extent, grid and axis labels, an
// empty-state message, and a crosshair with a tooltip that follows the pointer.
// What is drawn comes from a layer (lines, candles): extent(), plot(ctx, frame), describe(frame, x).

import { CanvasView } from "./canvas.js";
import { linear, niceTicks, timeTicks } from "./scale.js";
import { theme } from "./theme.js";

const PAD = { top: 12, right: 72, bottom: 24, left: 8 };

export class Plot {
  constructor(canvas, { formatX, formatY, timeAxis = false, emptyText = "Waiting for data…" } = {}) {
    this.formatX = formatX;
    this.formatY = formatY;
    this.timeAxis = timeAxis;
    this.emptyText = emptyText;
    this.hoverPx = null;
    this.layer = null;
    this.view = new CanvasView(canvas, (ctx, w, h) => this.#draw(ctx, w, h));
    canvas.addEventListener("pointermove", (e) => {
      this.hoverPx = e.offsetX;
      this.view.invalidate();
    });
    canvas.addEventListener("pointerleave", () => {
      this.hoverPx = null;
      this.view.invalidate();
    });
  }

  invalidate() {
    this.view.invalidate();
  }

  dispose() {
    this.view.dispose();
  }

  show(layer) {
    this.layer = layer;
    this.invalidate();
  }

  setEmptyText(text) {
    this.emptyText = text;
    this.invalidate();
  }

  #draw(ctx, width, height) {
    ctx.font = theme.font;
    const extent = this.layer?.extent();
    if (!extent) {
      ctx.fillStyle = theme.axis;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(this.emptyText, width / 2, height / 2);
      return;
    }
    const frame = { left: PAD.left, top: PAD.top, right: width - PAD.right, bottom: height - PAD.bottom };
    frame.x = linear(extent.x, [frame.left, frame.right]);
    frame.y = linear(extent.y, [frame.bottom, frame.top]);
    this.#axes(ctx, frame, extent);
    ctx.save();
    ctx.beginPath();
    ctx.rect(frame.left, frame.top - 4, frame.right - frame.left, frame.bottom - frame.top + 8);
    ctx.clip();
    this.layer.plot(ctx, frame);
    ctx.restore();
    if (this.hoverPx !== null && this.hoverPx >= frame.left && this.hoverPx <= frame.right) {
      this.#crosshair(ctx, frame, this.layer.describe(frame, frame.x.invert(this.hoverPx)));
    }
  }

  #axes(ctx, frame, extent) {
    const y = niceTicks(extent.y[0], extent.y[1], Math.max(2, Math.floor((frame.bottom - frame.top) / 48)));
    const xCount = Math.max(2, Math.floor((frame.right - frame.left) / 96));
    const x = this.timeAxis ? timeTicks(extent.x[0], extent.x[1], xCount) : niceTicks(extent.x[0], extent.x[1], xCount);
    ctx.strokeStyle = theme.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = theme.axis;
    ctx.textBaseline = "middle";
    ctx.textAlign = "left";
    for (const v of y.ticks) {
      const py = Math.round(frame.y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(frame.left, py);
      ctx.lineTo(frame.right, py);
      ctx.stroke();
      ctx.fillText(this.formatY(v, y.step), frame.right + 8, py);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of x.ticks) {
      if (!this.timeAxis && !Number.isInteger(v)) continue;
      const px = Math.round(frame.x(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, frame.top);
      ctx.lineTo(px, frame.bottom);
      ctx.stroke();
      const label = this.formatX(v, x.step);
      const half = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(Math.max(px, half + 1), frame.right + PAD.right - half - 1), frame.bottom + 7);
    }
  }

  #crosshair(ctx, frame, info) {
    if (!info || !info.rows.length) return;
    const px = Math.round(frame.x(info.x)) + 0.5;
    ctx.strokeStyle = theme.crosshair;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(px, frame.top);
    ctx.lineTo(px, frame.bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    for (const row of info.rows) {
      if (row.y === undefined) continue;
      ctx.fillStyle = row.color;
      ctx.beginPath();
      ctx.arc(px, frame.y(row.y), 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
    const lines = [info.title, ...info.rows.map((r) => r.text)];
    const boxWidth = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 26;
    const boxHeight = lines.length * 16 + 8;
    const bx = px + boxWidth + 12 > frame.right ? px - boxWidth - 10 : px + 10;
    const by = frame.top + 4;
    ctx.fillStyle = theme.tooltip;
    ctx.strokeStyle = theme.tooltipBorder;
    ctx.beginPath();
    ctx.roundRect(bx, by, boxWidth, boxHeight, 6);
    ctx.fill();
    ctx.stroke();
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    lines.forEach((line, i) => {
      const ly = by + 12 + i * 16;
      if (i > 0) {
        ctx.fillStyle = info.rows[i - 1].color;
        ctx.fillRect(bx + 8, ly - 4, 8, 8);
      }
      ctx.fillStyle = theme.text;
      ctx.fillText(line, bx + (i > 0 ? 22 : 8), ly);
    });
  }
}
