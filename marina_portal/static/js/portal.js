// Marina Portal's few behaviours; every page works without them.
(function () {
  "use strict";
  // A refused form swapped in by htmx opens at its first error, as a full page does with autofocus.
  document.addEventListener("htmx:afterSettle", function () {
    var first = document.querySelector("[autofocus]");
    if (first && document.activeElement !== first) {
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: "center" });
    }
  });
})();
