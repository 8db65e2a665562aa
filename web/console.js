// idbridge admin console: small enhancements; every form works without them.
(function () {
  "use strict";
  // The Users page: the header checkbox selects every user of the page.
  var page = document.getElementById("select-page");
  if (page) {
    page.hidden = false;
    var rows = function () { return document.querySelectorAll("input[name=id][form=bulk]"); };
    page.addEventListener("change", function () {
      rows().forEach(function (b) { b.checked = page.checked; });
    });
    rows().forEach(function (b) {
      b.addEventListener("change", function () {
        var all = true;
        rows().forEach(function (x) { all = all && x.checked; });
        page.checked = all;
      });
    });
  }
  // Back on the list from the details: focus the user's row again.
  if (location.hash.indexOf("#u-") === 0) {
    var row = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (row) { row.focus(); }
  }
  // The details page: Escape goes back to the list, to the user's row.
  var back = document.querySelector("a[data-escape]");
  if (back) {
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !e.defaultPrevented) { location.assign(back.href); }
    });
  }
  // Copy buttons next to read-only values (without JS, the field's text is
  // selectable); the page's status line says it is copied.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var field = document.getElementById(b.getAttribute("data-copy"));
    if (!field) { return; }
    b.hidden = false;
    b.addEventListener("click", function () {
      var done = function () {
        var st = document.getElementById("copy-status");
        if (st) { st.textContent = b.getAttribute("data-copied") + ": " + field.labels[0].textContent; }
        b.textContent = b.getAttribute("data-copied");
      };
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { if (document.execCommand("copy")) { done(); } });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
  // Download: the confirmation in a modal instead of its page. Focus stays
  // in the modal (Tab wraps); Escape or Cancel close it, and the focus
  // returns to the Download button.
  var dl = document.getElementById("download");
  var dlg = document.getElementById("download-dialog");
  if (dl && dlg && typeof dlg.showModal === "function") {
    var yes = document.getElementById("download-yes");
    var no = document.getElementById("download-no");
    dl.addEventListener("click", function (e) {
      e.preventDefault();
      dlg.showModal();
      yes.focus();
    });
    no.addEventListener("click", function () { dlg.close(); });
    yes.addEventListener("click", function () { setTimeout(function () { dlg.close(); }, 0); });
    dlg.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); dlg.close(); return; }
      if (e.key !== "Tab") { return; }
      if (e.shiftKey && document.activeElement === yes) { e.preventDefault(); no.focus(); }
      else if (!e.shiftKey && document.activeElement === no) { e.preventDefault(); yes.focus(); }
    });
    dlg.addEventListener("close", function () { dl.focus(); });
  }
  // A refusal shown next to its field takes the focus.
  var err = document.querySelector("[data-focus]");
  if (err) { err.focus(); }
  // A bulk job still running: reload its page every few seconds for the
  // progress (the CSP allows no fetch; without JS, the Reload link).
  if (document.querySelector("#job[data-poll]")) {
    setTimeout(function () { window.location.reload(); }, 3000);
  }
})();
