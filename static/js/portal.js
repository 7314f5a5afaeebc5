/* Small progressive enhancements. Every page works without this file:
   - the "Resume at" time input is always visible without JavaScript; with it, the input
     shows only when "Until a time I choose" is picked;
   - the user menu (<details>) closes when you tap elsewhere or press Escape;
   - a live search (htmx) typed into before the page finished loading still searches: htmx
     listens only from DOMContentLoaded, so those first keystrokes reached no one. */
(function () {
  "use strict";

  function syncResumeAt(form) {
    var box = form.querySelector("[data-resume-at]");
    var choice = form.querySelector('input[name="preset"][value="at"]');
    if (!box || !choice) return;
    box.hidden = !choice.checked;
    if (choice.checked && document.activeElement === choice) {
      var input = box.querySelector("input");
      if (input) input.focus();
    }
  }

  function init(root) {
    root.querySelectorAll("form[data-pause-form]").forEach(syncResumeAt);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "preset" && target.form && target.form.hasAttribute("data-pause-form")) {
      syncResumeAt(target.form);
    }
  });

  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  function searchEarlyTyping() {
    if (!window.htmx) return;
    document.querySelectorAll("form[role=search][hx-get] input[type=search]").forEach(function (input) {
      if (input.value !== input.defaultValue) window.htmx.trigger(input, "input");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    searchEarlyTyping();
  });
  // Content swapped in by htmx gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
})();
