/* The orders board on a kitchen tablet. Every page works without this file; it adds:
   - a chime, repeated while any new order has not been seen. Browsers block sound until the
     first tap on the page, so a "Tap to turn on sound" button shows until sound is allowed;
   - timers that tick every second (the server renders them as of the last refresh);
   - polling pauses while someone is choosing a cancel reason or typing, so the board does
     not swap the form away under their fingers;
   - a warning when the board cannot reach the server;
   - the Print button on the kitchen ticket. */
(function () {
  "use strict";

  var CHIME_EVERY_MS = 6000;
  var audio = null;
  var soundAllowed = false;
  var lastChime = 0;

  function tools() {
    return document.querySelector("[data-sound-src]");
  }

  function board() {
    return document.getElementById("board");
  }

  function unseenCount() {
    var el = board();
    return el ? parseInt(el.getAttribute("data-unseen") || "0", 10) : 0;
  }

  function showSoundState() {
    var box = tools();
    if (!box) return;
    var button = box.querySelector("[data-sound-enable]");
    var state = box.querySelector("[data-sound-state]");
    if (button) button.hidden = soundAllowed;
    if (state) state.hidden = !soundAllowed;
  }

  function play() {
    if (!audio) return Promise.reject(new Error("no audio"));
    audio.currentTime = 0;
    var result = audio.play();
    return result && result.then ? result : Promise.resolve();
  }

  function chimeIfNeeded() {
    if (!audio || unseenCount() === 0) return;
    var now = Date.now();
    if (now - lastChime < CHIME_EVERY_MS) return;
    lastChime = now;
    play().then(
      function () {
        soundAllowed = true;
        showSoundState();
      },
      function () {
        // Blocked until someone taps the page: ask them to.
        soundAllowed = false;
        showSoundState();
      }
    );
  }

  function setUpSound() {
    var box = tools();
    if (!box) return;
    audio = new Audio(box.getAttribute("data-sound-src"));
    audio.preload = "auto";
    var button = box.querySelector("[data-sound-enable]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        play().then(function () {
          soundAllowed = true;
          lastChime = Date.now();
          showSoundState();
        }, function () {});
      });
    }
    chimeIfNeeded();
  }

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return h ? h + ":" + two(m) + ":" + two(s) : m + ":" + two(s);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".timer[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = clock((now - since) / 1000);
    });
    document.querySelectorAll(".timer[data-until]").forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-until"));
      if (isNaN(until)) return;
      var left = (until - now) / 1000;
      var box = el.closest(".deadline");
      if (left > 0) {
        el.textContent = clock(left) + " left";
      } else {
        el.textContent = "overdue " + clock(-left);
      }
      if (box) box.classList.toggle("is-overdue", left <= 0);
    });
    chimeIfNeeded();
  }

  function busy(el) {
    if (el.querySelector("details[open]")) return true;
    var active = document.activeElement;
    return !!(active && el.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var el = board();
    // Only the board's own polling waits; a button pressed inside it always goes.
    if (el && event.detail.elt === el && busy(el)) event.preventDefault();
  });

  function offline(show) {
    var note = document.querySelector("[data-board-offline]");
    if (note) note.hidden = !show;
  }

  document.addEventListener("htmx:sendError", function () {
    offline(true);
  });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.elt === board()) offline(true);
  });
  document.addEventListener("htmx:afterSwap", function () {
    offline(false);
    tick();
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print]");
    if (target) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (el) {
      el.hidden = false;
    });
    setUpSound();
    tick();
    window.setInterval(tick, 1000);
  });
})();
