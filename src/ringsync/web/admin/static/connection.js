// The connection section: live status from the admin API, "Connect Salesforce" through OAuth
// with PKCE (the server keeps the verifier and the one-time state), and "Disconnect".
"use strict";

import { api, track } from "./api.js";

function byId(id) {
  return document.getElementById(id);
}

function budgetOf(status) {
  const budget = status.api_budget || null;
  if (!budget || !budget.org_max) {
    return null;
  }
  return { used: Number(budget.org_used || 0), max: Number(budget.org_max), ours: Number(budget.our_calls || 0), paused: budget.paused, reason: budget.reason };
}

function render(status) {
  const box = byId("connection-status");
  const details = byId("connection-details");
  const connected = Boolean(status && status.connected);
  // Salesforce refused the stored login (e.g. a revoked refresh token): sync waits for a reconnect.
  const needsReauth = connected && status.state === "needs_reauth";
  box.dataset.state = needsReauth ? "needs_reauth" : connected ? "connected" : "disconnected";
  const line = document.createElement("p");
  if (needsReauth) {
    const strong = document.createElement("strong");
    strong.textContent = "Reconnect needed:";
    line.append(strong, " Salesforce refused the stored sign-in, so syncing is paused (nothing is lost). Click \"Reconnect\" below.");
    line.classList.add("error");
  } else if (connected) {
    line.innerHTML = "<strong>Connected</strong> to Salesforce.";
  } else {
    line.textContent = "Not connected. Connect Salesforce to sync Leads and Contacts.";
  }
  box.replaceChildren(line);
  details.hidden = !connected;
  byId("disconnect-button").hidden = !connected;
  byId("check-button").hidden = !connected;
  byId("check-hint").hidden = !connected;
  const more = byId("connect-details");
  if (more) {
    more.open = !connected || needsReauth;
    more.querySelector("summary").textContent = connected ? "Reconnect, or connect another org" : "Connect with OAuth";
  }
  byId("connect-button").textContent = connected ? "Reconnect" : "Connect Salesforce";
  if (!connected) {
    return;
  }
  const fill = (field, value) => {
    const target = details.querySelector(`[data-field="${field}"]`);
    if (target) {
      target.textContent = value || "—";
    }
  };
  fill("org_id", status.org_id);
  fill("instance_url", status.instance_url);
  fill("username", status.username || status.user_id);
  fill("state", status.last_error ? `${status.state}: ${status.last_error}` : status.state);
  const budget = budgetOf(status);
  const meter = byId("budget-meter");
  if (budget && budget.max > 0) {
    meter.max = budget.max;
    meter.value = budget.used;
    const pct = Math.round((100 * budget.used) / budget.max);
    const paused = budget.paused ? ` Background work is paused: ${budget.reason || "budget reached"}.` : "";
    fill("budget", `${budget.used} of ${budget.max} daily API calls used (${pct} %), ${budget.ours} by ringsync.${paused}`);
  } else {
    meter.value = 0;
    fill("budget", "Not measured yet: it is read from Salesforce's answers to the next calls.");
  }
}

// What the OAuth callback's redirect (?connect_error=CODE) means, in the admin's words. Only
// the code travels in the URL: a crafted link cannot put its own text on this page.
const CONNECT_ERRORS = {
  oauth_state_invalid:
    "The sign-in could not be matched to this session (it expired, was used already or came " +
    "from another browser). Start \"Connect Salesforce\" again.",
  salesforce_denied:
    "Salesforce did not grant access (the sign-in was cancelled or the connected app refused " +
    "it). Start \"Connect Salesforce\" again, or check the connected app's settings.",
  too_many_requests:
    "Too many connection attempts for this account or address. Wait a few minutes, then " +
    "start \"Connect Salesforce\" again.",
  auth_error:
    "Salesforce refused the sign-in (the code or the connected app's credentials were not " +
    "accepted). Check the consumer key and secret, then try again.",
};
let pinnedError = "";

function connectErrorText(code) {
  const safe = /^[a-z_]{1,40}$/.test(code) ? code : "unknown";
  return CONNECT_ERRORS[safe] || `Connecting to Salesforce failed (${safe}). Try again.`;
}

function showError(message) {
  const target = byId("connection-error");
  const shown = message || pinnedError;
  target.textContent = shown;
  target.hidden = !shown;
}

export async function loadStatus() {
  try {
    render(await api("GET", "/integration"));
    showError("");
  } catch (failure) {
    render({ connected: false });
    if (failure.status !== 404) {
      showError(failure.message);
    }
  }
}

async function connect(event) {
  event.preventDefault();
  pinnedError = "";
  const typed = byId("login-url").value.trim();
  const loginUrl = /^[a-z]+:\/\//i.test(typed) ? typed : `https://${typed}`;
  try {
    const body = { login_url: loginUrl, client_id: byId("client-id").value.trim() };
    const secret = byId("client-secret").value;
    if (secret) {
      body.client_secret = secret;
    }
    const started = await api("POST", "/integration/oauth/start", body);
    const target = started.authorize_url || started.url;
    if (!target) {
      throw new Error("The server did not return where to sign in to Salesforce.");
    }
    window.location.assign(target);
  } catch (failure) {
    showError(failure.message);
  }
}

async function disconnect() {
  if (!window.confirm("Disconnect Salesforce? Sync stops until you connect again; ringsync forgets the stored tokens.")) {
    return;
  }
  try {
    await api("DELETE", "/integration");
    await loadStatus();
  } catch (failure) {
    showError(failure.message);
  }
}

function clearCheckMarks() {
  for (const line of document.querySelectorAll("tr.check-problems")) {
    line.remove();
  }
}

function markField(check) {
  const section = document.getElementById(`mapping-${check.sobject.toLowerCase()}`);
  const row = section && section.querySelector(`tr[data-field="${CSS.escape(check.field)}"]`);
  if (!row) {
    return;
  }
  const cell = document.createElement("td");
  cell.colSpan = 5;
  cell.className = "error";
  cell.textContent = `Salesforce check: ${check.fix || "this field cannot sync"}`;
  const line = document.createElement("tr");
  line.className = "check-problems";
  line.append(cell);
  row.after(line);
}

async function checkFields() {
  const box = byId("check-result");
  box.hidden = false;
  box.textContent = "Checking the mapped fields in Salesforce…";
  clearCheckMarks();
  try {
    const verdict = await api("POST", "/integration/check");
    const failing = (verdict.fields || []).filter((f) => !f.ok);
    failing.forEach(markField);
    const lines = [];
    if (!verdict.api_ok) {
      lines.push(`Salesforce API access failed: ${verdict.api_error || "unknown error"}.`);
    }
    lines.push(failing.length
      ? `${failing.length} mapped field(s) need attention; the fix is shown under each one in the mapping tables.`
      : `All ${(verdict.fields || []).length} mapped fields are ready to sync.`);
    box.textContent = lines.join(" ");
    box.classList.toggle("error", failing.length > 0 || !verdict.api_ok);
  } catch (failure) {
    box.textContent = failure.message;
    box.classList.add("error");
  }
}

export function setUpConnection() {
  const form = byId("connect-form");
  if (!form) {
    return;
  }
  document.addEventListener("operation-finished", () => track(loadStatus()));
  form.addEventListener("submit", (event) => track(connect(event)));
  byId("disconnect-button").addEventListener("click", () => track(disconnect()));
  byId("check-button").addEventListener("click", () => track(checkFields()));
  const params = new URLSearchParams(location.search);
  if (params.get("connect_error")) {
    // Kept on screen while the status loads; the next connect attempt clears it.
    pinnedError = connectErrorText(params.get("connect_error"));
    showError("");
  }
  if (params.get("connected")) {
    const box = byId("connection-status");
    box.dataset.justConnected = "true";
  }
  track(loadStatus());
}
