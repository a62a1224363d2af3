// One-time operations: preview (a dry run with the LRN estimate), run with a live progress bar
// polling the operation's status, cancel, and the history reloaded when it ends.
"use strict";

import { api, ApiError, track } from "./api.js";
import { refresh } from "./sections.js";

const POLL_MS = 400;
let watching = null;

function byId(id) {
  return document.getElementById(id);
}

function showError(message) {
  const target = byId("operation-error");
  target.textContent = message || "";
  target.hidden = !message;
}

function previewText(preview) {
  const lines = [];
  const counts = Object.entries(preview.counts || {});
  lines.push(counts.length
    ? `Would do: ${counts.map(([action, n]) => `${action} ${n}`).join(", ")}.`
    : "Nothing to do right now.");
  lines.push(`Salesforce API calls: about ${preview.api_calls ?? 0}.`);
  if (preview.lrn_lookups) {
    lines.push(`LRN lookups: ${preview.lrn_lookups}, estimated charge ${preview.lrn_cost}.`);
  }
  for (const note of preview.notes || []) {
    lines.push(note);
  }
  return lines;
}

async function previewOperation(button) {
  const kind = button.dataset.kind;
  const box = button.parentElement.querySelector(".preview-result");
  box.replaceChildren();
  showError("");
  try {
    const preview = await api("POST", `/operations/${encodeURIComponent(kind)}/preview`, {});
    for (const text of previewText(preview)) {
      const p = document.createElement("p");
      p.textContent = text;
      box.append(p);
    }
  } catch (failure) {
    if (!(failure instanceof ApiError)) {
      throw failure;
    }
    showError(failure.reasons().join(" "));
  }
}

function percent(operation) {
  if (operation.status === "succeeded") {
    return 100;
  }
  const total = operation.progress_total;
  if (!total) {
    return 0;
  }
  return Math.min(100, Math.round((100 * operation.progress_done) / total));
}

function showProgress(operation) {
  const box = byId("operation-progress");
  box.hidden = false;
  const bar = byId("operation-bar");
  const value = percent(operation);
  bar.value = value;
  bar.setAttribute("aria-valuenow", String(value));
  byId("operation-label").textContent = `Operation ${operation.id}: ${operation.kind.replaceAll("_", " ")}`;
  const total = operation.progress_total ? ` of ${operation.progress_total}` : "";
  const errors = (operation.errors || []).join(" ");
  byId("operation-status").textContent =
    `${operation.status}: ${value} % (${operation.progress_done}${total} done)${errors ? `. ${errors}` : ""}`;
  byId("cancel-operation").hidden = !["queued", "running"].includes(operation.status);
  byId("cancel-operation").dataset.operation = String(operation.id);
}

// Poll an operation until it has ended; ``onUpdate`` sees every status read on the way.
export async function follow(operation, onUpdate) {
  let current = operation;
  onUpdate(current);
  while (["queued", "running"].includes(current.status)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    current = await api("GET", `/operations/${operation.id}`);
    onUpdate(current);
  }
  return current;
}

async function watch(operation) {
  watching = operation.id;
  let current = operation;
  try {
    current = await follow(operation, (seen) => {
      if (watching === operation.id) {
        showProgress(seen);
      }
    });
  } catch (failure) {
    showError(failure.message);
    return;
  }
  await refresh("operations");
  showProgress(current);
  document.dispatchEvent(new CustomEvent("operation-finished", { detail: { operation: current } }));
  await refresh("logs", location.search.slice(1));
  await refresh("users");
}

async function runOperation(button) {
  showError("");
  try {
    const operation = await api("POST", `/operations/${encodeURIComponent(button.dataset.kind)}/run`, {});
    await watch(operation);
  } catch (failure) {
    if (!(failure instanceof ApiError)) {
      throw failure;
    }
    showError(failure.reasons().join(" "));
  }
}

async function cancelOperation(button) {
  try {
    const operation = await api("POST", `/operations/${encodeURIComponent(button.dataset.operation)}/cancel`);
    showProgress(operation);
  } catch (failure) {
    showError(failure.message);
  }
}

export function setUpOperations() {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) {
      return;
    }
    if (button.classList.contains("preview-operation")) {
      track(previewOperation(button));
    } else if (button.classList.contains("run-operation")) {
      track(runOperation(button));
    } else if (button.id === "cancel-operation") {
      track(cancelOperation(button));
    }
  });
}
