// Chart colours and fonts (kept in step with styles.css).
export const theme = {
  grid: "rgba(148, 163, 194, 0.12)",
  axis: "#8391ad",
  text: "#c9d3e6",
  crosshair: "rgba(201, 211, 230, 0.45)",
  tooltip: "rgba(13, 18, 30, 0.92)",
  tooltipBorder: "rgba(148, 163, 194, 0.35)",
  baseline: "rgba(245, 184, 65, 0.55)",
  font: "11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
};
