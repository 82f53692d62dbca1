// The form that creates an alert rule: its kind decides which condition fields show; every
// rule streams on the live `alerts` subscription, and may also post to a signed webhook and to
// Apprise URLs. The webhook's secret comes back once, on creation, and is shown here once.

import { el, setText } from "./dom.js";
import { formField } from "./form-field.js";

export const KINDS = [
  { kind: "PRICE_ABOVE", label: "Price above", fields: ["symbol", "threshold"] },
  { kind: "PRICE_BELOW", label: "Price below", fields: ["symbol", "threshold"] },
  { kind: "PRICE_CHANGE_PCT", label: "Price change %", fields: ["symbol", "percent", "windowSeconds"] },
  { kind: "AGENT_DRAWDOWN", label: "Agent drawdown", fields: ["agentId", "percent"] },
  { kind: "AGENT_TRADE", label: "Agent trade", fields: ["agentId", "minNotional"] },
  { kind: "COMPETITION_FINISHED", label: "Competition finished", fields: [] },
  { kind: "FEED_STALE", label: "Live feed stale", fields: [] },
];
const CONDITION_FIELDS = ["symbol", "threshold", "percent", "windowSeconds", "agentId", "minNotional"];
const FORMATS = ["GENERIC", "SLACK", "DISCORD", "TELEGRAM"];
const DECIMAL = /^\d+(\.\d+)?$/;
const WHOLE = /^\d+$/;

export class AlertForm {
  #fields = new Map(); // API field name -> { control, error, wrapper }
  #enabled = false;
  #submitting = false;

  constructor({ onSubmit }) {
    this.onSubmit = onSubmit;
    this.kind = el("select", { onchange: () => this.#kindChanged() }, KINDS.map((k) => el("option", { value: k.kind }, k.label)));
    this.symbol = el("select", {});
    this.agent = el("select", {}, el("option", { value: "" }, "Any agent"));
    this.format = el("select", {}, FORMATS.map((f) => el("option", { value: f }, f.charAt(0) + f.slice(1).toLowerCase())));
    this.submitButton = el("button", { type: "submit", class: "primary", disabled: true }, "Create alert");
    this.status = el("p", { class: "hint", role: "status" });
    this.secret = el("div", { class: "alert-secret", hidden: true });
    this.node = el("form", { class: "alert-form", "aria-label": "New alert", novalidate: true, onsubmit: (e) => this.#submit(e) },
      el("div", { class: "row" },
        this.#field("kind", "Kind", this.kind),
        this.#field("symbol", "Symbol", this.symbol)),
      el("div", { class: "row" },
        this.#field("threshold", "Threshold", el("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "price" })),
        this.#field("percent", "Percent", el("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "5" })),
        this.#field("windowSeconds", "Window (s)", el("input", { type: "number", min: "1", step: "1", inputmode: "numeric", value: "300" })),
        this.#field("agentId", "Agent", this.agent),
        this.#field("minNotional", "Minimum notional", el("input", { type: "text", inputmode: "decimal", autocomplete: "off", placeholder: "any size" }))),
      this.#field("webhookUrl", "Webhook URL", el("input", { type: "text", inputmode: "url", autocomplete: "off", placeholder: "https://example.com/hook (optional)" }),
        "POSTed JSON, signed: X-Arena-Signature: sha256=HMAC of the body with the rule's secret."),
      el("div", { class: "row" },
        this.#field("webhookFormat", "Webhook format", this.format),
        this.#field("cooldownSeconds", "Cooldown (s)", el("input", { type: "number", min: "0", step: "1", inputmode: "numeric", value: "0" }))),
      this.#field("appriseUrls", "Apprise URLs", el("textarea", { rows: "2", autocomplete: "off", spellcheck: "false", placeholder: "slack://… tgram://… mailto://… one per line (optional)" })),
      el("div", { class: "submit-row" }, this.submitButton, this.status),
      this.secret);
    this.#kindChanged();
  }

  setEnabled(enabled, reason = "") {
    this.#enabled = enabled;
    this.submitButton.disabled = !enabled || this.#submitting;
    if (!this.#submitting) setText(this.status, reason);
    if (!enabled) this.#hideSecret(); // the one-time secret goes with the token
  }

  /** The market's symbols, keeping the chosen one when it is still there. */
  setSymbols(symbols) {
    const chosen = this.symbol.value;
    if ([...this.symbol.options].map((o) => o.value).join() === symbols.join()) return;
    this.symbol.replaceChildren(...symbols.map((s) => el("option", { value: s }, s)));
    if (symbols.includes(chosen)) this.symbol.value = chosen;
  }

  /** agents: [{ id, name }] of the current competition; "Any agent" stays first. */
  setAgents(agents) {
    const chosen = this.agent.value;
    this.agent.replaceChildren(el("option", { value: "" }, "Any agent"), ...agents.map((a) => el("option", { value: a.id }, a.name)));
    if (agents.some((a) => a.id === chosen)) this.agent.value = chosen;
  }

  /** A price alert on `symbol` at `price` (from a price card): the operator picks above or below and confirms. */
  prefill(symbol, price) {
    if (!["PRICE_ABOVE", "PRICE_BELOW"].includes(this.kind.value)) this.kind.value = "PRICE_ABOVE";
    this.#kindChanged();
    if (![...this.symbol.options].some((o) => o.value === symbol)) this.symbol.append(el("option", { value: symbol }, symbol));
    this.symbol.value = symbol;
    if (price) this.#control("threshold").value = price;
    this.showErrors([]);
    const threshold = this.#control("threshold");
    threshold.scrollIntoView({ block: "center" });
    threshold.focus();
    threshold.select();
  }

  showErrors(errors) {
    for (const { control, error } of this.#fields.values()) {
      control.removeAttribute("aria-invalid");
      setText(error, "");
    }
    const general = [];
    for (const e of errors) {
      const field = this.#fields.get(e.field);
      if (field && !field.wrapper.hidden) {
        field.control.setAttribute("aria-invalid", "true");
        setText(field.error, `${e.message}${e.code ? ` (${e.code})` : ""}`);
      } else {
        general.push(`${e.message}${e.code ? ` (${e.code})` : ""}`);
      }
    }
    setText(this.status, general.join("; "));
    this.status.dataset.error = String(errors.length > 0);
  }

  #control(name) {
    return this.#fields.get(name).control;
  }

  #field(name, label, control, hint = "") {
    const field = formField("alert", name, label, control, hint);
    this.#fields.set(name, field);
    return field.wrapper;
  }

  #kindChanged() {
    const wanted = KINDS.find((k) => k.kind === this.kind.value).fields;
    for (const name of CONDITION_FIELDS) this.#fields.get(name).wrapper.hidden = !wanted.includes(name);
  }

  /** The CreateAlertInput, or null after showing what is missing. */
  #input() {
    const kind = this.kind.value;
    const wanted = KINDS.find((k) => k.kind === kind).fields;
    const value = (name) => this.#control(name).value.trim();
    const input = { kind };
    const problems = [];
    const need = (name, ok, message) => {
      if (!ok) problems.push({ field: name, message, code: "INVALID_INPUT" });
    };
    if (wanted.includes("symbol")) {
      need("symbol", value("symbol"), "choose a symbol");
      input.symbol = value("symbol");
    }
    if (wanted.includes("threshold")) {
      need("threshold", DECIMAL.test(value("threshold")) && Number(value("threshold")) > 0, "a price above 0");
      input.threshold = value("threshold");
    }
    if (wanted.includes("percent")) {
      need("percent", DECIMAL.test(value("percent")) && Number(value("percent")) > 0, "a percentage above 0");
      input.percent = Number(value("percent"));
    }
    if (wanted.includes("windowSeconds")) {
      need("windowSeconds", WHOLE.test(value("windowSeconds")) && Number(value("windowSeconds")) >= 1, "whole seconds, at least 1");
      input.windowSeconds = Number(value("windowSeconds"));
    }
    if (wanted.includes("agentId") && value("agentId")) input.agentId = value("agentId");
    if (wanted.includes("minNotional") && value("minNotional")) {
      need("minNotional", DECIMAL.test(value("minNotional")), "an amount, 0 or more");
      input.minNotional = value("minNotional");
    }
    if (value("webhookUrl")) {
      input.webhookUrl = value("webhookUrl");
      input.webhookFormat = this.format.value;
    }
    const apprise = value("appriseUrls").split(/\s+/).filter(Boolean); // not on commas: mailto://…?to=a@x,b@y
    if (apprise.length) input.appriseUrls = apprise;
    need("cooldownSeconds", WHOLE.test(value("cooldownSeconds") || "0"), "whole seconds, 0 or more");
    input.cooldownSeconds = Number(value("cooldownSeconds") || "0");
    if (problems.length) {
      this.showErrors(problems);
      return null;
    }
    return input;
  }

  async #submit(event) {
    event.preventDefault();
    if (!this.#enabled) return;
    const input = this.#input();
    if (!input) return;
    this.showErrors([]);
    this.#hideSecret();
    this.#submitting = true;
    this.submitButton.disabled = true;
    setText(this.status, "Creating…");
    try {
      const { alert, secret, userErrors } = await this.onSubmit(input);
      this.showErrors(userErrors);
      if (!userErrors.length) {
        setText(this.status, "Created.");
        this.#clear();
        if (secret) this.#showSecret(secret, Boolean(alert.webhookTarget));
      }
    } catch (error) {
      this.showErrors([{ field: null, message: error.message, code: error.code ?? "ERROR" }]);
    } finally {
      this.#submitting = false;
      this.submitButton.disabled = !this.#enabled;
    }
  }

  // After a rule is made: its values go, so the next rule does not inherit a webhook by mistake.
  #clear() {
    for (const name of ["threshold", "percent", "minNotional", "webhookUrl", "appriseUrls"]) this.#control(name).value = "";
    this.#control("cooldownSeconds").value = "0";
  }

  #hideSecret() {
    this.secret.replaceChildren();
    this.secret.hidden = true;
  }

  // Every rule has a secret: shown now even without a webhook, since one may be added later.
  #showSecret(secret, hasWebhook) {
    const value = el("code", { class: "secret-value" }, secret);
    const copy = el("button", {
      type: "button", class: "ghost small",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(secret);
          setText(copy, "Copied");
        } catch {
          setText(copy, "Select and copy");
        }
      },
    }, "Copy");
    const hide = el("button", { type: "button", class: "ghost small", onclick: () => this.#hideSecret() }, "Done");
    const why = hasWebhook ? "The webhook's signing secret" : "The rule's signing secret (for a webhook added later)";
    this.secret.replaceChildren(
      el("p", { class: "hint" }, `${why}, shown only now: keep it where the receiver verifies signatures.`),
      el("div", { class: "inline" }, value, copy, hide));
    this.secret.hidden = false;
  }
}
