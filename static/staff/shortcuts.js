/* Single-key shortcuts: a key focuses the first control inside the element with data-shortcut="key".
   Ignored while typing in a field or with a modifier key; can be turned off (WCAG 2.1.4). */
(function () {
  "use strict";
  var STORAGE_KEY = "civicdesk.shortcuts";
  var TYPING = "input, textarea, select, [contenteditable], [contenteditable='true']";
  var CONTROL = "textarea, select, input:not([type=hidden]), button";

  function enabled() {
    try { return window.localStorage.getItem(STORAGE_KEY) !== "off"; } catch (e) { return true; }
  }

  function target(key) {
    var area = document.querySelector('[data-shortcut="' + CSS.escape(key) + '"]');
    return area ? { area: area, control: area.querySelector(CONTROL) } : null;
  }

  function onKey(event) {
    if (!enabled() || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.target.closest && event.target.closest(TYPING)) { return; }
    var found = target(event.key);
    if (!found || !found.control) { return; }
    var details = found.area.closest("details") || (found.area.tagName === "DETAILS" ? found.area : null);
    if (details) { details.open = true; }
    event.preventDefault();
    found.control.focus();
  }

  function setUp() {
    document.querySelectorAll("[data-shortcut]").forEach(function (area) {
      var control = area.querySelector(CONTROL);
      if (control) { control.setAttribute("aria-keyshortcuts", area.dataset.shortcut); }
    });
    document.querySelectorAll("[data-shortcuts-help]").forEach(function (help) { help.hidden = false; });
    document.querySelectorAll("[data-shortcuts-toggle]").forEach(function (box) {
      box.checked = enabled();
      box.addEventListener("change", function () {
        try { window.localStorage.setItem(STORAGE_KEY, box.checked ? "on" : "off"); } catch (e) { /* private mode */ }
      });
    });
  }

  document.addEventListener("keydown", onKey);
  if (window.htmx) { window.htmx.onLoad(setUp); } else { document.addEventListener("DOMContentLoaded", setUp); }
})();
