// ringsync pages: small progressive enhancements; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Keep a form from being sent twice by an impatient double click.
  for (const form of document.querySelectorAll("form[method='post']")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type='submit']")) {
        button.disabled = true;
      }
    });
  }
  // Put the cursor in the first empty field of the page's main form.
  const first = document.querySelector("main form[data-autofocus] input:not([type='hidden'])");
  if (first instanceof HTMLInputElement && !first.value) {
    first.focus();
  }
});
