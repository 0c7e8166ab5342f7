// Small behaviours htmx does not cover: collapsing the Recent Tasks pane (remembered per browser),
// closing alerts, copy buttons, and closing open menus on outside clicks. Everything else is htmx
// attributes.
(function () {
  const KEY = "vks.tasksPaneCollapsed";
  function applyPane() {
    document.body.classList.toggle("tasks-collapsed", localStorage.getItem(KEY) === "1");
  }
  document.addEventListener("click", function (event) {
    const toggle = event.target.closest("[data-toggle-pane]");
    if (toggle) {
      localStorage.setItem(KEY, localStorage.getItem(KEY) === "1" ? "0" : "1");
      applyPane();
    }
    // Copy buttons (Link to CLI Tools): the text to copy is in data-copy.
    const copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.dataset.copy).then(function () {
        copy.textContent = "Copied";
        setTimeout(function () { copy.textContent = "Copy"; }, 1500);
      });
    }
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".alert").remove();
    document.querySelectorAll("details.menu[open], details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  // Highlight the navigator node of the object shown in the main pane.
  function markSelected() {
    const main = document.getElementById("main");
    const moid = main && main.dataset.moid;
    document.querySelectorAll(".tree-link.selected").forEach(function (link) {
      link.classList.remove("selected");
    });
    if (!moid) return;
    document.querySelectorAll('.tree-node[data-moid="' + moid + '"]').forEach(function (node) {
      const link = node.querySelector(".tree-link");
      if (link) link.classList.add("selected");
    });
    // The header's icon shows the object's live state (powered off, maintenance mode): the
    // navigator shows the same object, so it takes the same icon.
    const live = document.querySelector("[data-state-icon] > svg use");
    if (!live) return;
    document.querySelectorAll('[data-icon-for="' + moid + '"] use').forEach(function (use) {
      use.setAttribute("href", live.getAttribute("href"));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    applyPane();
    markSelected();
  });
  document.addEventListener("htmx:afterSettle", markSelected);
  // What htmx would otherwise evaluate from attributes, which the Content-Security-Policy forbids
  // (htmx.config.allowEval is off): trigger conditions and values computed at request time.
  document.addEventListener("htmx:configRequest", function (event) {
    const elt = event.detail.elt;
    // Recent Tasks polls only while the browser tab is visible.
    if (elt.hasAttribute("data-poll-visible") && document.visibilityState !== "visible") {
      event.preventDefault();
      return;
    }
    // A region does not refresh under an open form (data-hold-while: a selector).
    if (elt.dataset.holdWhile && document.querySelector(elt.dataset.holdWhile)) {
      event.preventDefault();
      return;
    }
    // The navigator's view tabs open the new tree at the object the main pane shows.
    if (elt.hasAttribute("data-reveal-main")) {
      const main = document.getElementById("main");
      event.detail.parameters.reveal = (main && main.dataset.moid) || "";
    }
    // Requests no person asked for (polls, refreshes on an event) say so: they do not keep an
    // idle session alive (vksportal.middleware.session_idle).
    const cause = event.detail.triggeringEvent;
    if (!cause || !cause.isTrusted) event.detail.headers["X-VKS-Background"] = "1";
  });
})();
