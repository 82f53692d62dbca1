// Linear scales and "nice" axis ticks (1, 2, 2.5, 5 x 10^n).

export function linear([d0, d1], [r0, r1]) {
  const span = d1 - d0 || 1;
  const scale = (v) => r0 + ((v - d0) / span) * (r1 - r0);
  scale.invert = (p) => d0 + ((p - r0) / (r1 - r0)) * span;
  return scale;
}

export function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10;
  return unit * power;
}

export function niceTicks(min, max, count = 5) {
  if (!(max > min)) return { ticks: [min], step: 1 };
  const step = niceStep(max - min, count);
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toFixed(12)));
  return { ticks, step };
}

/** [min, max] of the values with a little room above and below; a flat line gets a band. */
export function paddedExtent(values, pad = 0.08) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) return [0, 1];
  const span = max - min || Math.abs(max) * 0.001 || 1;
  return [min - span * pad, max + span * pad];
}

const MINUTE = 60_000;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080, 43200, 525600].map((m) => m * MINUTE);

/** Ticks for a time axis in ms, on round minutes / hours / days (UTC). */
export function timeTicks(min, max, count = 5) {
  const raw = (max - min) / Math.max(1, count);
  const step = TIME_STEPS.find((s) => s >= raw) ?? TIME_STEPS[TIME_STEPS.length - 1];
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) ticks.push(v);
  return { ticks, step };
}
