/* Staff workspace: small progressive enhancements. Everything works without this file. */
(function () {
  "use strict";

  function init(root) {
    // Controls only needed without JavaScript (htmx does their job) are hidden; hints for JS shown.
    root.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });
    root.querySelectorAll("[data-needs-js]").forEach(function (el) { el.hidden = false; });
    root.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.closest("label").hidden = false;
      box.addEventListener("change", function () {
        document.querySelectorAll('input[name="' + box.dataset.selectAll + '"]').forEach(function (row) {
          row.checked = box.checked;
        });
      });
    });
    // After a form error, or content revealed on request, move focus there so it is announced.
    var target = root.querySelector(".error-summary") || root.querySelector("[data-focus]");
    if (target) { target.focus(); }
  }

  if (window.htmx) {
    window.htmx.onLoad(init);  // runs for the page, then for every piece htmx swaps in
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  }
})();
