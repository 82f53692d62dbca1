// Operator controls: the token (remembered in this browser) and pause / resume / stop,
// each enabled only when the arena's state allows it.

import { el, setText } from "./dom.js";

const COMMANDS = [
  { name: "pause", label: "Pause", states: ["RUNNING"] },
  { name: "resume", label: "Resume", states: ["PAUSED"] },
  { name: "stop", label: "Stop", states: ["RUNNING", "PAUSED"], danger: true },
];

export class Controls {
  #busy = false;
  #state = "IDLE";

  constructor(root, { token, onTokenChange, onCommand }) {
    this.onCommand = onCommand;
    this.tokenInput = el("input", {
      id: "token", name: "token", type: "password", autocomplete: "off", spellcheck: "false",
      placeholder: "paste the operator token", value: token, "aria-describedby": "token-hint",
      onchange: () => onTokenChange(this.tokenInput.value.trim()),
    });
    const reveal = el("button", {
      type: "button", class: "ghost small", "aria-controls": "token", "aria-pressed": "false",
      onclick: () => {
        const show = this.tokenInput.type === "password";
        this.tokenInput.type = show ? "text" : "password";
        reveal.setAttribute("aria-pressed", String(show));
        setText(reveal, show ? "Hide" : "Show");
      },
    }, "Show");
    const tokenField = el("form", {
      class: "field",
      onsubmit: (e) => {
        e.preventDefault();
        onTokenChange(this.tokenInput.value.trim());
      },
    },
      el("label", { for: "token" }, "Operator token"),
      el("div", { class: "inline" }, this.tokenInput, reveal),
      el("p", { class: "hint", id: "token-hint" }, "Kept in this browser. The ?token= link printed by arena serve fills it in."));

    this.buttons = new Map(COMMANDS.map((c) => [c.name, el("button", {
      type: "button", class: c.danger ? "danger" : "", disabled: true, "aria-describedby": "command-message",
      onclick: () => this.#run(c.name),
    }, c.label)]));
    this.message = el("p", { id: "command-message", class: "command-message", role: "status", "aria-live": "polite" });
    root.append(tokenField, el("div", { class: "command-row", role: "group", "aria-label": "Competition commands" }, [...this.buttons.values()]), this.message);
  }

  get token() {
    return this.tokenInput.value.trim();
  }

  setState(state) {
    this.#state = state;
    for (const c of COMMANDS) this.buttons.get(c.name).disabled = this.#busy || !c.states.includes(state);
  }

  /** A short outcome next to the buttons (errors in red). */
  say(text, { error = false } = {}) {
    setText(this.message, text);
    this.message.dataset.error = String(error);
  }

  async #run(name) {
    this.#busy = true;
    this.setState(this.#state);
    this.say(`${name}…`);
    try {
      const errors = await this.onCommand(name);
      if (errors.length) this.say(errors.map((e) => `${e.message} (${e.code})`).join("; "), { error: true });
      else this.say(`${name} done`);
    } catch (error) {
      this.say(error.message, { error: true });
    } finally {
      this.#busy = false;
      this.setState(this.#state);
    }
  }
}
