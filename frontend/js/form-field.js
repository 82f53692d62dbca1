// A labelled form control with its hint and error line, wired for assistive tech: the one shape
// of a field in the dashboard's forms.

import { el } from "./dom.js";

/** -> { wrapper, control, error }; the control gets id `${prefix}-${name}` and describes itself by its hint and error. */
export function formField(prefix, name, label, control, hint = "") {
  const id = `${prefix}-${name}`;
  const error = el("p", { class: "field-error", id: `${id}-error` });
  const hintNode = hint ? el("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  Object.assign(control, { id, name });
  control.setAttribute("aria-describedby", [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(" "));
  const wrapper = el("div", { class: "field", dataset: { field: name } }, el("label", { for: id }, label), control, hintNode, error);
  return { wrapper, control, error };
}
