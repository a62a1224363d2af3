// ringsync admin API calls from the Salesforce tab: JSON in and out, the session's anti-forgery
// token in X-CSRF-Token on every change, and the one error shape turned into an ApiError.
"use strict";

export const API = "/api/v1/admin";

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `The server answered ${status}.`);
    this.status = status;
    this.code = (error && error.code) || "error";
    this.details = (error && Array.isArray(error.details)) ? error.details : [];
  }

  // Every problem the server listed, or the message when it listed none.
  reasons() {
    return this.details.length ? this.details.map((d) => d.reason || d.code) : [this.message];
  }

  hasCode(code) {
    return this.code === code || this.details.some((d) => d.code === code);
  }
}

let pending = 0;

// Mark the page busy while a user action (its API calls and section reloads) is under way,
// so that assistive technology and the browser tests can tell when the page has settled.
export function track(promise) {
  pending += 1;
  document.body.dataset.busy = "true";
  document.body.setAttribute("aria-busy", "true");
  return Promise.resolve(promise).finally(() => {
    pending -= 1;
    if (pending === 0) {
      document.body.dataset.busy = "false";
      document.body.removeAttribute("aria-busy");
    }
  });
}

function csrfToken() {
  const meta = document.querySelector("meta[name='csrf-token']");
  return meta ? meta.getAttribute("content") : "";
}

export async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") {
    headers["X-CSRF-Token"] = csrfToken();
  }
  const options = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, options);
  } catch (failure) {
    throw new ApiError(0, { code: "network", message: "ringsync could not be reached. Check your connection and try again." });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (ignored) { data = null; }
  }
  if (!response.ok) {
    throw new ApiError(response.status, data && data.error);
  }
  return data;
}
