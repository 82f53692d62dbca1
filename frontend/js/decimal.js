// Exact arithmetic on the API's Decimal strings ("10234.50000000", "0E-8") with BigInt.

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** { negative, mantissa: BigInt >= 0, scale } with value = ±mantissa / 10^scale; null if malformed. */
export function parseDecimal(text) {
  const match = DECIMAL_RE.exec(String(text).trim());
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return null;
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  const mantissa = BigInt((whole || "0") + fraction);
  return { negative: sign === "-", mantissa, scale: fraction.length - Number(exponent) };
}

function signed({ negative, mantissa }) {
  return negative ? -mantissa : mantissa;
}

/** a + b, exactly, as a decimal string. */
export function addDecimals(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (!x || !y) return null;
  const scale = Math.max(x.scale, y.scale, 0);
  const sum = signed(x) * 10n ** BigInt(scale - x.scale) + signed(y) * 10n ** BigInt(scale - y.scale);
  const digits = (sum < 0n ? -sum : sum).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const text = scale ? `${whole}.${digits.slice(digits.length - scale)}` : whole;
  return sum < 0n ? `-${text}` : text;
}

/** -1, 0 or 1 for a Decimal string or number. */
export function signOf(value) {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number") return Math.sign(value);
  const parsed = parseDecimal(value);
  if (!parsed || parsed.mantissa === 0n) return 0;
  return parsed.negative ? -1 : 1;
}
