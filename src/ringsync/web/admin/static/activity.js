// The users, failed records and sync log sections: sync users (following its operation),
// retry or ignore a failed record, and filter the log without leaving the page.
"use strict";

import { api } from "./api.js";
import { follow } from "./operations.js";
import { refresh, show } from "./sections.js";

function element(id) {
  return document.getElementById(id);
}

export async function syncUsers(button) {
  const status = element("users-status");
  button.disabled = true;
  status.textContent = "Syncing users…";
  try {
    const started = await api("POST", "/users/sync");
    const done = await follow(started, (seen) => {
      status.textContent = `Syncing users: ${seen.status} (${seen.progress_done}${seen.progress_total ? ` of ${seen.progress_total}` : ""})…`;
    });
    await refresh("users");
    const errors = (done.errors || []).join(" ");
    show(element("users-status"), done.status === "succeeded" ? "Users synced." : `Sync users ${done.status}. ${errors}`, done.status !== "succeeded");
  } catch (failure) {
    show(element("users-status"), failure.message, true);
  } finally {
    const again = element("sync-users");
    if (again) {
      again.disabled = false;
      again.focus();
    }
  }
}

export async function retryFailed(button) {
  const id = button.dataset.failed;
  try {
    await api("POST", `/failed-records/${encodeURIComponent(id)}/retry`);
    await refresh("logs", location.search.slice(1));
    show(element("failed-status"), `Failed record ${id} will be retried on the next sync.`, false);
  } catch (failure) {
    show(element("failed-status"), failure.message, true);
  }
}

export async function ignoreFailed(button) {
  const id = button.dataset.failed;
  try {
    await api("POST", `/failed-records/${encodeURIComponent(id)}/ignore`);
    await refresh("logs", location.search.slice(1));
    show(element("failed-status"), `Failed record ${id} is ignored; it stays in the log.`, false);
  } catch (failure) {
    show(element("failed-status"), failure.message, true);
  }
}

export async function filterLogs(form) {
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (String(value).trim()) {
      query.set(key, String(value).trim());
    }
  }
  const text = query.toString();
  history.replaceState(null, "", `/salesforce${text ? `?${text}` : ""}#logs`);
  await refresh("logs", text);
}
