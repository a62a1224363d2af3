// Reload one section of the Salesforce tab from the server, keeping the keyboard focus in place,
// and put short messages (or lists of problems) on the page.
"use strict";

function focusKey(element) {
  if (!(element instanceof HTMLElement) || element === document.body) {
    return null;
  }
  if (element.id) {
    return `#${CSS.escape(element.id)}`;
  }
  const parts = [element.tagName.toLowerCase()];
  const names = ["class", "data-field", "data-kind", "data-failed", "name", "data-object"];
  if (element.matches("input[type='radio'], input[type='checkbox']")) {
    names.push("value");
  }
  for (const name of names) {
    const value = element.getAttribute(name);
    if (value) {
      parts.push(name === "class" ? `.${value.trim().split(/\s+/).map(CSS.escape).join(".")}` : `[${name}="${CSS.escape(value)}"]`);
    }
  }
  return parts.join("");
}

export async function refresh(name, query) {
  const current = document.querySelector(`[data-section="${name}"]`);
  if (!current) {
    return null;
  }
  const url = `/salesforce/sections/${encodeURIComponent(name)}${query ? `?${query}` : ""}`;
  const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
  if (!response.ok) {
    throw new Error(`The ${name} section could not be reloaded (${response.status}).`);
  }
  const holder = document.createElement("div");
  holder.innerHTML = await response.text();
  const fresh = holder.querySelector(`[data-section="${name}"]`);
  if (!fresh) {
    return null;
  }
  const key = current.contains(document.activeElement) ? focusKey(document.activeElement) : null;
  current.replaceWith(fresh);
  if (key) {
    const again = fresh.querySelector(key);
    if (again instanceof HTMLElement) {
      again.focus();
    }
  }
  fresh.dispatchEvent(new CustomEvent("section-refreshed", { bubbles: true, detail: { name } }));
  return fresh;
}

export async function refreshAll(names) {
  for (const name of names) {
    await refresh(name);
  }
}

export function show(target, text, isError) {
  if (!target) {
    return;
  }
  target.textContent = text;
  target.hidden = !text;
  target.classList.toggle("error", Boolean(isError));
}

export function list(items) {
  const ul = document.createElement("ul");
  for (const text of items) {
    const li = document.createElement("li");
    li.textContent = text;
    ul.append(li);
  }
  return ul;
}
