// The start form: name, symbols, feed (the shared market, a seeded simulation, or a replay
// file), rounds, speed, starting cash, built-in agents and model agents. Errors appear next to
// their fields and in a summary beside the form.

import { el, setText } from "./dom.js";
import { formField } from "./form-field.js";
import { ModelAgentFields } from "./model-agent-fields.js";
import { MODEL_STRATEGY } from "./model-chat.js";

const SPEEDS = ["max", "100x", "10x", "1x", "0.05s", "0.2s", "0.5s", "1s"];

// userError.field (the API's input names) -> the form control it is about
const FIELD_FOR = {
  name: "name", symbols: "symbols", feed: "feed", seed: "seed", replayFiles: "replayFiles", rounds: "rounds",
  speed: "speed", startingCash: "startingCash", agents: "agents", params: "modelAgents",
};

const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

export class StartForm {
  #fields = new Map(); // field -> { control, error }
  #symbolsTouched = false;
  #marketSymbols = [];
  #canStart = false;

  constructor(root, { onSubmit }) {
    this.onSubmit = onSubmit;
    this.form = el("form", { class: "start-form", "aria-labelledby": "start-title", novalidate: true, onsubmit: (e) => this.#submit(e) });
    this.agentsBox = el("div", { class: "checks" }, el("p", { class: "hint" }, "Loading strategies…"));
    this.errors = el("div", { id: "start-errors", class: "form-errors", role: "alert" });
    this.submitButton = el("button", { type: "submit", class: "primary", disabled: true }, "Start competition");
    this.submitHint = el("p", { class: "hint", id: "start-hint" });
    this.modelAgents = new ModelAgentFields();
    this.#fields.set("modelAgents", this.modelAgents.summary);

    const feedChoices = el("div", { class: "radios" },
      this.#radio("SHARED", "Shared market", true),
      this.#radio("SIMULATED", "Simulated", false),
      this.#radio("REPLAY", "Replay", false));

    this.form.append(
      el("h3", { id: "start-title" }, "New competition"),
      this.#field("name", "Name", el("input", { type: "text", value: "Arena", maxlength: "200", required: true, autocomplete: "off" })),
      this.#field("symbols", "Symbols", el("input", { type: "text", autocomplete: "off", placeholder: "BTC-USD, ETH-USD", oninput: () => (this.#symbolsTouched = true) }),
        "Comma-separated. Shared market: a subset of its symbols. Replay: one name per file (optional)."),
      this.#fieldset("feed", "Feed", feedChoices),
      el("div", { class: "row" },
        this.#field("seed", "Seed", el("input", { type: "number", value: "42", step: "1", inputmode: "numeric" })),
        this.#field("rounds", "Rounds", el("input", { type: "number", min: "1", step: "1", placeholder: "no limit", inputmode: "numeric" }))),
      this.#field("replayFiles", "Replay file", el("input", { type: "text", autocomplete: "off", placeholder: "btc-perp-2022-01_1m.csv" }),
        "File names in the server's replay folder; several separated by commas."),
      el("div", { class: "row" },
        this.#field("speed", "Speed", el("input", { type: "text", value: "0.2s", list: "speed-options", autocomplete: "off" }), "max, 1x–100x, or seconds per round."),
        this.#field("startingCash", "Starting cash", el("input", { type: "text", value: "10000", inputmode: "decimal", autocomplete: "off" }))),
      el("datalist", { id: "speed-options" }, SPEEDS.map((s) => el("option", { value: s }))),
      this.#fieldset("agents", "Agents", this.agentsBox),
      this.modelAgents.node,
      el("div", { class: "submit-row" }, this.submitButton, this.submitHint),
      this.errors,
    );
    this.form.addEventListener("change", (e) => {
      if (e.target.name === "feed") this.#feedChanged();
    });
    root.append(this.form);
    this.#feedChanged();
  }

  /** strategies: [{ name, description, defaultParams }]: the built-in ones as checkboxes, all ticked; the model one as its own section. */
  setStrategies(strategies) {
    this.modelAgents.setStrategy(strategies.find((s) => s.name === MODEL_STRATEGY));
    if (this.agentsBox.querySelector("input")) return;
    const builtIn = strategies.filter((s) => s.name !== MODEL_STRATEGY); // a model agent needs its model named: see ModelAgentFields
    this.agentsBox.replaceChildren(...builtIn.map((s) => el("label", { class: "check", title: s.description },
      el("input", { type: "checkbox", name: "agent", value: s.name, checked: true }),
      el("span", {}, s.name))));
  }

  /** The market's symbols as the default, until the operator types their own. */
  setSymbols(symbols) {
    this.#marketSymbols = symbols;
    this.#defaultSymbols();
  }

  // A replay names its symbols after its files, so the market's names are no default there.
  #defaultSymbols() {
    if (this.#symbolsTouched) return;
    const input = this.#control("symbols");
    const replay = this.form.elements.feed.value === "REPLAY";
    input.placeholder = replay ? "named after the files" : this.#marketSymbols.join(", ") || "BTC-USD, ETH-USD";
    input.value = replay ? "" : this.#marketSymbols.join(", ");
  }

  setEnabled(canStart, reason = "") {
    this.#canStart = canStart;
    this.submitButton.disabled = !canStart;
    setText(this.submitHint, reason);
  }

  showErrors(errors) {
    for (const { control, error } of [...this.#fields.values(), ...this.modelAgents.entries()]) {
      control.removeAttribute("aria-invalid");
      setText(error, "");
    }
    const general = [];
    for (const e of errors) {
      const field = e.target ?? this.#fields.get(FIELD_FOR[e.field]); // target: a model agent's control, for the form's own checks
      if (field) {
        field.control.setAttribute("aria-invalid", "true");
        setText(field.error, e.message);
      }
      general.push(el("li", { dataset: { code: e.code ?? "", field: e.field ?? "" } }, e.field ? `${e.field}: ${e.message}` : e.message));
    }
    this.errors.replaceChildren(...(general.length ? [el("ul", {}, general)] : []));
  }

  #control(name) {
    return this.#fields.get(name).control;
  }

  #field(name, label, control, hint = "") {
    const field = formField("start", name, label, control, hint);
    this.#fields.set(name, field);
    return field.wrapper;
  }

  #fieldset(name, legend, body) {
    const error = el("p", { class: "field-error", id: `start-${name}-error` });
    const fieldset = el("fieldset", { class: "field", "aria-describedby": `start-${name}-error`, dataset: { field: name } }, el("legend", {}, legend), body, error);
    this.#fields.set(name, { control: fieldset, error });
    return fieldset;
  }

  #radio(value, label, checked) {
    return el("label", { class: "check" }, el("input", { type: "radio", name: "feed", value, checked }), el("span", {}, label));
  }

  #feedChanged() {
    const feed = this.form.elements.feed.value;
    this.#control("seed").disabled = feed !== "SIMULATED";
    this.#control("replayFiles").disabled = feed !== "REPLAY";
    this.#control("speed").disabled = feed === "SHARED"; // the shared market keeps its own pace
    this.form.querySelector('[data-field="replayFiles"]').hidden = feed !== "REPLAY";
    this.#defaultSymbols();
  }

  /** The StartCompetitionInput, or null after showing what is missing. */
  #input() {
    const value = (name) => this.#control(name).value.trim();
    const feed = this.form.elements.feed.value;
    const models = this.modelAgents.read();
    const agents = [...this.agentsBox.querySelectorAll("input:checked")].map((c) => ({ name: c.value, strategy: c.value }));
    agents.push(...models.agents);
    const problems = [];
    if (!value("name")) problems.push({ field: "name", message: "give the competition a name" });
    if (!agents.length) problems.push({ field: "agents", message: "choose at least one agent or add a model agent" });
    if (feed === "REPLAY" && !list(value("replayFiles")).length) problems.push({ field: "replayFiles", message: "name a replay file" });
    if (value("rounds") && !(Number.isInteger(Number(value("rounds"))) && Number(value("rounds")) >= 1)) {
      problems.push({ field: "rounds", message: "rounds must be a whole number of at least 1" });
    }
    if (!/^\d+(\.\d+)?$/.test(value("startingCash"))) problems.push({ field: "startingCash", message: "starting cash must be a positive amount" });
    problems.push(...models.problems);
    if (problems.length) {
      this.showErrors(problems.map((p) => ({ ...p, code: "INVALID_INPUT" })));
      return null;
    }
    const input = { name: value("name"), feed, startingCash: value("startingCash"), agents };
    if (list(value("symbols")).length) input.symbols = list(value("symbols"));
    if (feed === "SIMULATED") input.seed = Number.parseInt(value("seed") || "42", 10);
    if (feed === "REPLAY") input.replayFiles = list(value("replayFiles"));
    if (feed !== "SHARED") input.speed = value("speed") || "1s";
    if (value("rounds")) input.rounds = Number(value("rounds"));
    return input;
  }

  async #submit(event) {
    event.preventDefault();
    if (!this.#canStart) return;
    const input = this.#input();
    if (!input) return;
    this.showErrors([]);
    this.submitButton.disabled = true;
    setText(this.submitHint, "Starting…");
    try {
      const errors = await this.onSubmit(input);
      this.showErrors(errors);
      setText(this.submitHint, errors.length ? "Not started." : "Started.");
    } catch (error) {
      this.showErrors([{ field: null, message: error.message, code: error.code ?? "ERROR" }]);
      setText(this.submitHint, "Not started.");
    } finally {
      this.submitButton.disabled = !this.#canStart;
    }
  }
}
