/* Menu editor enhancements. Every page works without this file:
   - opening hours: "+ Add a row" copies the empty row (without JS, saving adds two empty
     rows), and the "past midnight" note follows the times typed;
   - overview: "Hide items" empties a section's list loaded on demand;
   - htmx: panels answered with form errors (400) are swapped in like any other answer. */
(function () {
  "use strict";

  // --- opening hours ------------------------------------------------------------------------

  function updateMidnight(row) {
    var note = row.querySelector("[data-midnight]");
    var start = row.querySelector('input[name$="-start"]');
    var end = row.querySelector('input[name$="-end"]');
    if (!note || !start || !end) return;
    // "HH:MM" strings compare like times; an end of 00:00 means the end of the day.
    note.hidden = !(start.value && end.value && end.value !== "00:00" && start.value > end.value);
  }

  function initHours(root) {
    root.querySelectorAll("[data-hours]").forEach(function (list) {
      var fieldset = list.closest("fieldset");
      var button = fieldset.querySelector("[data-add-hours]");
      var template = fieldset.querySelector("template[data-hours-template]");
      var total = fieldset.querySelector('input[name$="-TOTAL_FORMS"]');
      var hint = fieldset.querySelector("[data-no-js]");
      if (!button || !template || !total || button.dataset.ready) return;
      button.dataset.ready = "1";
      button.hidden = false;
      if (hint) hint.textContent = "Tick “Remove” to delete a row.";
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10) || 0;
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        list.appendChild(row);
        total.value = String(index + 1);
        var first = row.querySelector("select, input");
        if (first) first.focus();
      });
    });
  }

  document.addEventListener("input", function (event) {
    var row = event.target.closest && event.target.closest("[data-hours-row]");
    if (row) updateMidnight(row);
  });

  // --- a section's items shown on demand ---------------------------------------------------

  // "Hide items" empties the list htmx loaded into a section's row ("Show items" loads it
  // again); the list keeps its id, so the row can be filled again.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-hide-list]");
    if (!button) return;
    var list = button.closest(".editor-item-list");
    if (!list) return;
    var empty = document.createElement("div");
    empty.id = list.id;
    list.replaceWith(empty);
  });

  // --- htmx -----------------------------------------------------------------------------------

  // The editor answers a form with errors with 400 and the panel showing them; htmx 2 swaps
  // only 2xx by default, so swap those too (editor pages only: this file is loaded there).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.detail.xhr.responseText) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function init(root) {
    initHours(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  // Parts swapped in by htmx (search results, reordered lists) get the same treatment.
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
})();
