// The review page's workspace, on top of what works without script: a finding's link moves the focus to
// the lesson or question it concerns; the citation shown in the source panel is marked and the panel
// brought into view on narrow screens; an item swapped in place keeps the keyboard focus within it.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 64rem)");

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.jump");
    if (!link || !link.hash) return;
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    history.replaceState(history.state, "", link.hash);
    target.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "source-view") {
      document.querySelectorAll("a.cite[aria-current]").forEach(function (a) {
        a.removeAttribute("aria-current");
      });
      var link = event.detail.requestConfig && event.detail.requestConfig.elt;
      if (link && link.classList.contains("cite")) link.setAttribute("aria-current", "true");
      target.focus({ preventScroll: wide.matches });
      if (!wide.matches) target.scrollIntoView({ block: "start" });
    }
  });

  // afterOnLoad, not afterSettle: it reaches the document even when the element that asked is gone.
  document.addEventListener("htmx:afterOnLoad", function (event) {
    // The swapped target is the old element; the new one has its id.
    var target = event.detail && event.detail.target;
    var item = target && target.id ? document.getElementById(target.id) : null;
    if (!item || !item.classList.contains("item")) return;
    // An edit form's first field has `autofocus`, which htmx honours; otherwise keep the focus in the item.
    if (!item.contains(document.activeElement)) item.focus({ preventScroll: true });
  });
})();
