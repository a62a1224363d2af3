// The Salesforce tab: settings and mapping edits go to the draft through the admin API, and
// nothing is applied until "Save changes". Unsaved edits are marked, and leaving the page with
// unsaved edits asks first. Each change reloads the sections it affects from the server.
"use strict";

import { filterLogs, ignoreFailed, retryFailed, syncUsers } from "./activity.js";
import { api, ApiError, track } from "./api.js";
import { drawChart } from "./chart.js";
import { setUpConnection } from "./connection.js";
import { setUpOperations } from "./operations.js";
import { list, refreshAll, show } from "./sections.js";

const DRAFT_SECTIONS = ["settings", "mapping"];

function element(id) {
  return document.getElementById(id);
}

// --- unsaved changes -----------------------------------------------------------------------
function isUnsaved() {
  const settings = document.querySelector("[data-section='settings']");
  return Boolean(settings && settings.dataset.unsaved === "true");
}

function updateSaveBar() {
  const bar = element("save-bar");
  const unsaved = isUnsaved();
  bar.dataset.unsaved = unsaved ? "true" : "false";
  element("save-changes").disabled = !unsaved;
  element("save-status").textContent = unsaved
    ? "You have unsaved changes. They are not applied until you save them."
    : "All changes are saved.";
}

async function afterDraftChange() {
  await refreshAll(DRAFT_SECTIONS);
  updateSaveBar();
}

const SETTING_NAMES = {
  object_mode: "Objects to sync",
  priority: "Priority",
  create_direction: "Direction of creates",
  update_direction: "Direction of updates",
};
const OBJECT_MODES = { leads: "Leads", contacts: "Contacts", both: "Leads and Contacts" };
const SYNC_DIRECTIONS = { both: "bi-directional ↔", inbound: "inbound ←" };
const FIELD_DIRECTIONS = {
  both: "ringsync ↔ Salesforce",
  to_salesforce: "ringsync → Salesforce",
  from_salesforce: "ringsync ← Salesforce",
};
const VALUE_NAMES = {
  object_mode: OBJECT_MODES,
  create_direction: SYNC_DIRECTIONS,
  update_direction: SYNC_DIRECTIONS,
};

function describeValue(value, isMapping, names) {
  if (value === null || value === undefined || value === "") {
    return isMapping ? "(not mapped)" : "(none)";
  }
  if (typeof value === "object") {
    if (value.direction) {
      const direction = FIELD_DIRECTIONS[value.direction] || value.direction;
      return `${value.label || value.ringsync_property} ${direction}`;
    }
    return JSON.stringify(value);
  }
  return (names && names[value]) || String(value);
}

// Say one change of a save in words: "Objects to sync: Leads → Leads and Contacts".
function describeChange(change) {
  const mapping = /^(lead|contact)_mappings\[(.+)\]$/.exec(change.path);
  if (mapping) {
    const object = mapping[1] === "lead" ? "Lead" : "Contact";
    return `${object} mapping of ${mapping[2]}: ${describeValue(change.before, true)} → ${describeValue(change.after, true)}`;
  }
  const name = SETTING_NAMES[change.path] || change.path;
  const names = VALUE_NAMES[change.path];
  return `${name}: ${describeValue(change.before, false, names)} → ${describeValue(change.after, false, names)}`;
}

async function saveChanges() {
  const result = element("save-result");
  result.replaceChildren();
  result.classList.remove("error");
  try {
    const saved = await api("POST", "/settings/save");
    const heading = document.createElement("p");
    const changes = saved.changes || [];
    heading.textContent = changes.length
      ? `Saved as version ${saved.version.number}. What changed:`
      : `Saved as version ${saved.version.number}. Nothing differed from the previous settings.`;
    result.append(heading);
    if (changes.length) {
      result.append(list(changes.map(describeChange)));
    }
  } catch (failure) {
    if (!(failure instanceof ApiError)) {
      throw failure;
    }
    result.classList.add("error");
    const heading = document.createElement("p");
    heading.textContent = "Nothing was saved. Fix these problems first:";
    result.append(heading, list(failure.reasons()));
  }
  result.hidden = false;
  result.focus();
  await afterDraftChange();
}

// --- settings and mapping edits --------------------------------------------------------------
async function editSetting(input) {
  const changes = { [input.name]: input.value };
  if (input.name === "object_mode" && input.value !== "both") {
    changes.priority = null;
  }
  try {
    await api("PUT", "/settings/draft", changes);
  } catch (failure) {
    show(element("save-result"), failure.message, true);
  }
  await afterDraftChange();
}

function mappingPath(object, field) {
  const name = encodeURIComponent(object.toLowerCase());
  return `/mappings/${name}${field ? `/${encodeURIComponent(field)}` : ""}`;
}

function problemText(failure) {
  return failure.details.length
    ? failure.details.map((d) => (d.code === "prohibited" ? `🚫 Prohibited: ${d.reason}` : d.reason))
    : [failure.code === "prohibited" ? `🚫 Prohibited: ${failure.message}` : failure.message];
}

async function changeDirection(select) {
  try {
    await api("PATCH", mappingPath(select.dataset.object, select.dataset.field), { direction: select.value });
    await afterDraftChange();
  } catch (failure) {
    if (!(failure instanceof ApiError)) {
      throw failure;
    }
    await afterDraftChange();
    const row = document.querySelector(`#mapping-${select.dataset.object.toLowerCase()} tr[data-field="${CSS.escape(select.dataset.field)}"]`);
    if (row) {
      const cell = document.createElement("td");
      cell.colSpan = 5;
      cell.className = "error";
      cell.setAttribute("role", "alert");
      cell.append(list(problemText(failure)));
      const line = document.createElement("tr");
      line.className = "row-problems";
      line.append(cell);
      row.after(line);
    }
  }
}

async function addMapping(form) {
  const object = form.dataset.object;
  const body = {
    ringsync_property: form.elements.ringsync_property.value,
    salesforce_field: form.elements.salesforce_field.value.trim(),
    direction: form.elements.direction.value,
  };
  const box = form.querySelector(".add-problems");
  box.replaceChildren();
  try {
    await api("POST", mappingPath(object), body);
  } catch (failure) {
    if (!(failure instanceof ApiError)) {
      throw failure;
    }
    box.append(list(problemText(failure)));
    box.classList.add("error");
    return;
  }
  await afterDraftChange();
  const again = document.querySelector(`#mapping-${object.toLowerCase()} form.add-mapping select[name='ringsync_property']`);
  if (again) {
    again.focus();
  }
}

async function deleteMapping(button) {
  try {
    await api("DELETE", mappingPath(button.dataset.object, button.dataset.field));
  } catch (failure) {
    show(element("save-result"), failure.message, true);
  }
  await afterDraftChange();
  const table = document.querySelector(`#mapping-${button.dataset.object.toLowerCase()} table`);
  if (table) {
    table.setAttribute("tabindex", "-1");
    table.focus();
  }
}

function importMessage(text, reasons, isError) {
  const box = element("import-result");
  if (!box) {
    return;
  }
  box.closest("details").open = true;
  box.textContent = text;
  if (reasons.length) {
    box.append(list(reasons));
  }
  box.classList.toggle("error", isError);
}

async function importSettings(input) {
  const file = input.files && input.files[0];
  if (!file) {
    return;
  }
  let documentData;
  try {
    documentData = JSON.parse(await file.text());
  } catch (ignored) {
    importMessage("This file is not JSON: choose a file exported from ringsync.", [], true);
    return;
  }
  let draft;
  try {
    draft = await api("POST", "/settings/import", documentData);
  } catch (failure) {
    if (!(failure instanceof ApiError)) {
      throw failure;
    }
    importMessage(`Nothing was imported: ${failure.message}.`, failure.reasons(), true);
    return;
  }
  await afterDraftChange();
  const problems = (draft.problems || []).map((p) => p.reason);
  importMessage(
    problems.length
      ? "The file is now the draft. Fix these problems before saving:"
      : "The file is now the draft. Review it, then save changes.",
    problems,
    problems.length > 0,
  );
}

async function loadCandidates() {
  for (const section of document.querySelectorAll("section.mapping")) {
    const object = section.dataset.object;
    let rows;
    try {
      rows = await api("GET", mappingPath(object));
    } catch (ignored) {
      continue;  // not connected or not available: the field name is typed by hand
    }
    const candidates = (rows && rows.candidates) || [];
    const datalist = section.querySelector("datalist");
    if (!datalist) {
      continue;
    }
    datalist.replaceChildren(...candidates.map((c) => {
      const option = document.createElement("option");
      option.value = c.name;
      option.label = `${c.prohibited ? "🚫 " : ""}${c.label} (${c.type})${c.mapped_to ? ` mapped to ${c.mapped_to}` : ""}`;
      return option;
    }));
  }
}

// --- wiring (event delegation survives section reloads) ----------------------------------------
function onChange(event) {
  const target = event.target;
  if (target.matches("#settings-form input[type='radio']")) {
    track(editSetting(target));
  } else if (target.matches("select.direction-select")) {
    track(changeDirection(target));
  } else if (target.id === "import-file") {
    track(importSettings(target));
  }
}

function onClick(event) {
  const target = event.target.closest("button");
  if (!target) {
    return;
  }
  if (target.id === "save-changes") {
    track(saveChanges());
  } else if (target.classList.contains("delete-mapping")) {
    track(deleteMapping(target));
  } else if (target.id === "sync-users") {
    track(syncUsers(target));
  } else if (target.classList.contains("retry-failed")) {
    track(retryFailed(target));
  } else if (target.classList.contains("ignore-failed")) {
    track(ignoreFailed(target));
  }
}

function onSubmit(event) {
  const form = event.target;
  if (form.matches("form.add-mapping")) {
    event.preventDefault();
    track(addMapping(form));
  } else if (form.id === "log-filters") {
    event.preventDefault();
    track(filterLogs(form));
  } else if (form.id === "settings-form") {
    event.preventDefault();
  }
}

function onBeforeUnload(event) {
  if (isUnsaved()) {
    event.preventDefault();
    event.returnValue = "";
  }
}

function drawCharts() {
  for (const figure of document.querySelectorAll("figure.chart")) {
    drawChart(figure);
  }
}

document.addEventListener("change", onChange);
document.addEventListener("click", onClick);
document.addEventListener("submit", onSubmit);
document.addEventListener("section-refreshed", (event) => {
  if (event.detail.name === "logs") {
    drawCharts();
  }
  if (event.detail.name === "mapping") {
    track(loadCandidates());
  }
});
window.addEventListener("beforeunload", onBeforeUnload);
drawCharts();
updateSaveBar();
document.body.dataset.busy = "false";
setUpConnection();
setUpOperations();
track(loadCandidates());
document.body.dataset.ready = "true";
