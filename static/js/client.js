// Small behaviours htmx does not cover: collapsing the Recent Tasks pane (remembered per browser),
// closing alerts, and closing open menus on outside clicks. Everything else is htmx attributes.
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
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".alert").remove();
    document.querySelectorAll("details.menu[open], details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("DOMContentLoaded", applyPane);
})();
