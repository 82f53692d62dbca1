// A sparkline as an SVG path in a 100 x 32 box (stretched to fit with non-scaling strokes).

const W = 100;
const H = 32;
const SVG_NS = "http://www.w3.org/2000/svg";

export function createSparkline(label) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "sparkline");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const area = document.createElementNS(SVG_NS, "path");
  area.setAttribute("class", "spark-area");
  const line = document.createElementNS(SVG_NS, "path");
  line.setAttribute("class", "spark-line");
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(area, line);
  return svg;
}

export function updateSparkline(svg, values) {
  const [area, line] = svg.children;
  if (values.length < 2) {
    line.setAttribute("d", "");
    area.setAttribute("d", "");
    return;
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = W / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(2)},${(H - 2 - ((v - min) / span) * (H - 4)).toFixed(2)}`);
  const d = `M${points.join("L")}`;
  line.setAttribute("d", d);
  area.setAttribute("d", `${d}L${W},${H}L0,${H}Z`);
  svg.dataset.trend = values[values.length - 1] >= values[0] ? "up" : "down";
}
