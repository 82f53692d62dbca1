// Short notices in a corner: the newest on top, each gone after a while or when closed.

import { el } from "./dom.js";

export class Toasts {
  constructor(container, { max = 3, lifetimeMs = 6000 } = {}) {
    this.container = container;
    this.max = max;
    this.lifetimeMs = lifetimeMs;
  }

  show(title, message, { kind = "info" } = {}) {
    const close = el("button", { type: "button", class: "ghost small toast-close", "aria-label": "Dismiss" }, "×");
    const toast = el("div", { class: "toast", dataset: { kind } }, // the container is the live region
      el("strong", { class: "toast-title" }, title), el("span", { class: "toast-message" }, message), close);
    const remove = () => toast.remove();
    close.addEventListener("click", remove);
    setTimeout(remove, this.lifetimeMs);
    this.container.prepend(toast);
    while (this.container.childElementCount > this.max) this.container.lastElementChild.remove();
    return toast;
  }
}
