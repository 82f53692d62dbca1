// Tiny DOM helpers: build elements without innerHTML (no injection from API strings).

/** el("td", { class: "num", dataset: { agent: id } }, "text", childNode) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Replace all children of `node`. */
export function setChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Set text only when it changed (avoids needless layout work on every tick). */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

export const byId = (id) => document.getElementById(id);

/** Restart a CSS animation class (e.g. a flash on update). */
export function flash(node, className) {
  node.classList.remove(className);
  void node.offsetWidth; // reflow so the animation starts again
  node.classList.add(className);
}
