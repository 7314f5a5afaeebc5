/* Menu editor enhancements. Every page works without this file:
   - opening hours: "+ Add a row" copies the empty row (without JS, saving adds two empty
     rows), and the "past midnight" note follows the times typed;
   - overview: "Select all" per section, and the bulk bar counts the ticked items;
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

  // --- choosing items for a price change ------------------------------------------------------

  function updateCount() {
    var label = document.querySelector("[data-pick-count]");
    if (!label) return;
    var ticked = {};
    document.querySelectorAll("input[data-pick]:checked").forEach(function (box) {
      ticked[box.value] = true;
    });
    var count = Object.keys(ticked).length;
    label.textContent =
      count === 0
        ? "Tick items to change several prices at once."
        : count + (count === 1 ? " item ticked." : " items ticked.");
  }

  function initPicks(root) {
    root.querySelectorAll("[data-pick-all]").forEach(function (box) {
      box.closest("label").hidden = false;
    });
    updateCount();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-pick-all]")) {
      var section = target.closest(".editor-section");
      section.querySelectorAll("input[data-pick]").forEach(function (box) {
        box.checked = target.checked;
      });
      updateCount();
    } else if (target.matches("input[data-pick]")) {
      // The same item may be listed in several sections: tick it everywhere.
      document.querySelectorAll('input[data-pick][value="' + target.value + '"]').forEach(
        function (box) {
          box.checked = target.checked;
        }
      );
      updateCount();
    }
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
    initPicks(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  // Parts swapped in by htmx (search results, reordered lists) get the same treatment.
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
})();
