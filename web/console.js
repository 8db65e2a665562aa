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
  // A refusal shown next to its field takes the focus.
  var err = document.querySelector("[data-focus]");
  if (err) { err.focus(); }
})();
