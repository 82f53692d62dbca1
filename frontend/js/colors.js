// A stable colour per agent: its slot in the competition (ids end in "-<slot>") picks from a
// palette chosen to stay distinct on the dark background.

const PALETTE = ["#4cc9f0", "#f72585", "#f5b841", "#3ddc97", "#b388ff", "#ff8a5b", "#8ecae6", "#e9ff70", "#ff5d8f", "#9ef01a"];

export function agentColor(agentId) {
  const slot = Number(String(agentId).split("-").pop());
  if (Number.isInteger(slot) && slot >= 0) return PALETTE[slot % PALETTE.length];
  let hash = 0;
  for (const ch of String(agentId)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

export const UP = "#3ddc97";
export const DOWN = "#ff5c7a";
