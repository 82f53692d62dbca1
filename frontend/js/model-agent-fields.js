// The start form's model agents (strategy "llm"): one row per agent with its model, endpoint,
// decision interval, name and the NAME of the server's environment variable that holds its API
// key. There is no field for a key: it stays in the server's environment.

import { el, setText } from "./dom.js";
import { MODEL_STRATEGY } from "./model-chat.js";

// As the server checks it: capitals ending in _KEY, not the arena's own ARENA_* (a pasted key has
// lower case letters or dashes, so it is refused here and never sent).
const ENV_NAME = /^(?!ARENA_)[A-Z][A-Z0-9_]{0,59}_KEY$/;
const FALLBACK_BASE_URL = "http://127.0.0.1:11434/v1";

const intervalText = (every) => (every ? `${every} rounds` : "60 s of feed time");

export class ModelAgentFields {
  #rows = []; // { node, title, remove, fields: { model, name, baseUrl, decideEvery, apiKeyEnv } -> { control, error } }
  #next = 0;
  #defaults = { base_url: FALLBACK_BASE_URL, api_key_env: "OPENAI_API_KEY", decide_every: 0 };

  constructor() {
    this.error = el("p", { class: "field-error", id: "start-modelAgents-error" });
    this.rowsBox = el("div", { class: "model-agent-rows" });
    this.node = el("fieldset", { class: "field model-agents-field", "aria-describedby": this.error.id, dataset: { field: "modelAgents" }, hidden: true },
      el("legend", {}, "Model agents"),
      el("p", { class: "hint" }, "A language model behind an OpenAI-compatible endpoint trades; its reasoning shows in Model chat."),
      this.rowsBox,
      el("button", { type: "button", class: "ghost small", onclick: () => this.add() }, "Add model agent"),
      this.error);
  }

  /** The section's own error, for what the server says about the agents' parameters. */
  get summary() {
    return { control: this.node, error: this.error };
  }

  /** Every row's controls with their error lines. */
  *entries() {
    for (const row of this.#rows) yield* Object.values(row.fields);
  }

  /** strategy: the server's model strategy ({ name, defaultParams }), or undefined: no model agents here. */
  setStrategy(strategy) {
    this.node.hidden = !strategy;
    if (!strategy) return;
    Object.assign(this.#defaults, strategy.defaultParams ?? {});
    for (const row of this.#rows) this.#placeholders(row);
  }

  /** A new, empty row; the model (the one field it needs) gets the focus. */
  add() {
    const n = ++this.#next;
    const fields = {};
    const field = (key, label, control) => {
      const id = `start-model-${n}-${key}`;
      const error = el("p", { class: "field-error", id: `${id}-error` });
      Object.assign(control, { id, name: id });
      control.setAttribute("aria-describedby", error.id);
      fields[key] = { control, error };
      return el("div", { class: "field", dataset: { field: key } }, el("label", { for: id }, label), control, error);
    };
    const text = (props = {}) => el("input", { type: "text", autocomplete: "off", spellcheck: "false", ...props });
    const title = el("span", { id: `start-model-${n}-title` });
    const remove = el("button", { type: "button", class: "ghost small", onclick: () => this.#remove(row) }, "Remove");
    const node = el("div", { class: "model-agent-row", role: "group", "aria-labelledby": title.id, dataset: { row: String(n) } },
      el("div", { class: "model-agent-row-head" }, title, remove),
      el("div", { class: "row" },
        field("model", "Model", text({ required: true, placeholder: "llama3.2:3b" })),
        field("name", "Agent name", text({ maxlength: "200", placeholder: "the model's name" }))),
      field("baseUrl", "Endpoint", text({ inputmode: "url" })),
      el("div", { class: "row" },
        field("decideEvery", "Decide every", el("input", { type: "number", min: "0", step: "1", inputmode: "numeric" })),
        field("apiKeyEnv", "API key variable", text())),
      el("p", { class: "hint" }, "Decide every: rounds between decisions (0: every 60 s of feed time). "
        + "API key variable: the name of an environment variable on the server that holds the key — never the key."));
    const row = { node, title, remove, fields };
    this.#rows.push(row);
    this.#placeholders(row);
    this.rowsBox.append(node);
    this.#number();
    fields.model.control.focus();
    return row;
  }

  /** -> { agents: [AgentInput], problems: [{ field, message, target }] } */
  read() {
    const agents = [];
    const problems = [];
    this.#rows.forEach((row, i) => {
      const value = (key) => row.fields[key].control.value.trim();
      const problem = (key, message) => problems.push({ field: `model agent ${i + 1}`, message, target: row.fields[key] });
      const model = value("model");
      const every = value("decideEvery");
      const keyEnv = value("apiKeyEnv");
      if (!model) problem("model", "name the model it runs (e.g. llama3.2:3b)");
      if (every && !(Number.isInteger(Number(every)) && Number(every) >= 0)) problem("decideEvery", "decide every must be a whole number of rounds, 0 or more");
      if (keyEnv && !ENV_NAME.test(keyEnv)) problem("apiKeyEnv", "give the NAME of an environment variable on the server ending in _KEY (like OPENAI_API_KEY), not the key itself");
      const params = { model };
      if (value("baseUrl")) params.base_url = value("baseUrl");
      if (every) params.decide_every = Number(every);
      if (keyEnv) params.api_key_env = keyEnv;
      agents.push({ name: value("name") || model, strategy: MODEL_STRATEGY, params });
    });
    return { agents, problems };
  }

  #remove(row) {
    this.#rows = this.#rows.filter((r) => r !== row);
    row.node.remove();
    this.#number();
  }

  #number() {
    this.#rows.forEach((row, i) => {
      setText(row.title, `Model agent ${i + 1}`);
      row.remove.setAttribute("aria-label", `Remove model agent ${i + 1}`);
    });
  }

  #placeholders(row) {
    row.fields.baseUrl.control.placeholder = this.#defaults.base_url || FALLBACK_BASE_URL;
    row.fields.decideEvery.control.placeholder = intervalText(this.#defaults.decide_every);
    row.fields.apiKeyEnv.control.placeholder = this.#defaults.api_key_env || "OPENAI_API_KEY";
  }
}
