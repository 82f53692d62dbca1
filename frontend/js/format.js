// Readable numbers: thousands separators and fixed decimals.
// Money from the API arrives as Decimal strings ("10234.50000000", "0E-8"); those are
// rounded exactly (BigInt), never through a float.

import { parseDecimal } from "./decimal.js";

const DASH = "—";

function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function roundMantissa({ mantissa, scale }, decimals) {
  if (scale <= decimals) return mantissa * 10n ** BigInt(decimals - scale);
  const divisor = 10n ** BigInt(scale - decimals);
  const quotient = mantissa / divisor;
  return (mantissa % divisor) * 2n >= divisor ? quotient + 1n : quotient; // half away from zero
}

/** "1234.5678" -> "1,234.57". Accepts Decimal strings or numbers. */
export function formatDecimal(value, decimals = 2, { sign = false } = {}) {
  if (value === null || value === undefined || value === "") return DASH;
  if (typeof value === "number") return formatNumber(value, decimals, { sign });
  const parsed = parseDecimal(value);
  if (!parsed) return DASH;
  const digits = roundMantissa(parsed, decimals).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = decimals > 0 ? "." + digits.slice(digits.length - decimals) : "";
  const isZero = /^0*$/.test(digits);
  const prefix = parsed.negative && !isZero ? "-" : sign && !isZero ? "+" : "";
  return prefix + groupThousands(whole) + fraction;
}

const numberFormats = new Map();

/** 1234.5 -> "1,234.50" (floats: ratios, Sharpe, axis labels). */
export function formatNumber(value, decimals = 2, { sign = false } = {}) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return DASH;
  const key = `${decimals}:${sign}`;
  if (!numberFormats.has(key)) {
    numberFormats.set(key, new Intl.NumberFormat("en-US", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
      signDisplay: sign ? "exceptZero" : "auto",
    }));
  }
  return numberFormats.get(key).format(Number(value));
}

export const formatMoney = (value, opts) => formatDecimal(value, 2, opts);

/** Decimals that suit a price's magnitude: 2 for 64,881.98, 6 for 0.000031. */
export function priceDecimals(value) {
  const abs = Math.abs(Number(value));
  if (!Number.isFinite(abs) || abs >= 100) return 2;
  if (abs >= 1) return 4;
  if (abs >= 0.01) return 6;
  return 8;
}

export const formatPrice = (value) => formatDecimal(value, priceDecimals(value));

/** A quantity: 6 decimals below one unit, else 4. */
export const formatQuantity = (value) => formatDecimal(value, Math.abs(Number(value)) < 1 ? 6 : 4);

/** A value already in percent: 1.234 -> "+1.23%". */
export function formatPercent(value, decimals = 2, { sign = true } = {}) {
  const text = formatNumber(value, decimals, { sign });
  return text === DASH ? text : `${text}%`;
}

/** A fraction 0..1: 0.5 -> "50.0%". */
export function formatFraction(value, decimals = 1) {
  return value === null || value === undefined ? DASH : formatPercent(Number(value) * 100, decimals, { sign: false });
}

export const formatInteger = (value) => formatNumber(value, 0);

const pad = (n) => String(n).padStart(2, "0");

/** "14:05:09" (UTC) from an ISO timestamp or epoch ms. */
export function formatClock(iso, { seconds = true } = {}) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return seconds ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
}

/** "2026-11-21 14:05" (UTC) from an ISO timestamp or epoch ms. */
export function formatDateTime(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return DASH;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${formatClock(iso, { seconds: false })}`;
}

/** "11-21" (UTC), for axis labels over long spans. */
export function formatDay(ms) {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Axis labels: enough decimals to tell ticks `step` apart. */
export function formatTick(value, step) {
  const decimals = step >= 1 ? 0 : Math.min(8, Math.ceil(-Math.log10(step)));
  return formatNumber(value, decimals);
}

/** An age in seconds: 0.4 -> "<1 s", 12.3 -> "12 s", 150 -> "2 min", 7300 -> "2 h". */
export function formatAge(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return DASH;
  if (s < 1) return "<1 s";
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}
