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
    // The portal's copy buttons copy a block of commands as the page shows it (data-copy-from).
    const copyFrom = event.target.closest("[data-copy-from]");
    const source = copyFrom && document.querySelector(copyFrom.dataset.copyFrom);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent).then(function () {
        copyFrom.textContent = "Copied";
        setTimeout(function () { copyFrom.textContent = "Copy"; }, 1500);
      });
    }
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".alert").remove();
    const menuSelector = "details.menu[open], details.user-menu[open], details.actions-menu[open]";
    document.querySelectorAll(menuSelector).forEach(function (menu) {
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
  // The navigator reveals the object the main pane opens: a node already in the tree is
  // scrolled into view; an object opened from elsewhere (search, a task, a link) has the tree
  // loaded again, open down to it (only the first page of each ancestor's children).
  document.addEventListener("htmx:afterSettle", function (event) {
    const target = event.detail.target;
    if (!target || (target.id !== "main" && target.id !== "navigator")) return;
    const main = document.getElementById("main");
    const moid = main && main.dataset.moid;
    if (!moid || !document.getElementById("navigator")) return;
    const link = document.querySelector('#navigator .tree-node[data-moid="' + moid + '"] .tree-link');
    if (link) {
      link.scrollIntoView({ block: "nearest" });
      return;
    }
    const view = document.querySelector("#navigator .nav-view.active");
    if (target.id === "main" && view) {
      const url = view.getAttribute("href") + "?reveal=" + encodeURIComponent(moid);
      htmx.ajax("GET", url, { target: "#navigator", swap: "innerHTML" });
    }
  });
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
  // ---- ACTIONS menu: the menu button pattern on a <details> (WAI-ARIA APG). The summary is the
  // button; Enter, Space or ArrowDown opens the menu on its first entry, arrows move, Escape
  // closes it and gives focus back to the button. Disabled entries take focus but do nothing.
  function menuItems(menu) {
    return Array.from(menu.querySelectorAll('[role="menuitem"]'));
  }
  function openMenu(menu, index) {
    menu.setAttribute("open", "");
    const items = menuItems(menu);
    if (items.length) items[(index + items.length) % items.length].focus();
  }
  function closeMenu(menu, refocus) {
    menu.removeAttribute("open");
    if (refocus) menu.querySelector("summary").focus();
  }
  document.addEventListener("toggle", function (event) {
    const menu = event.target;
    if (!menu.matches || !menu.matches("details.actions-menu")) return;
    menu.querySelector("summary").setAttribute("aria-expanded", menu.open ? "true" : "false");
  }, true);
  document.addEventListener("keydown", function (event) {
    const menu = event.target.closest && event.target.closest("details.actions-menu");
    if (!menu) return;
    const onButton = event.target.matches("summary");
    if (onButton && ["Enter", " ", "ArrowDown", "ArrowUp"].includes(event.key)) {
      event.preventDefault();
      if (menu.open && event.key !== "ArrowDown" && event.key !== "ArrowUp") closeMenu(menu, true);
      else openMenu(menu, event.key === "ArrowUp" ? -1 : 0);
      return;
    }
    if (event.key === "Escape" && menu.open) {
      event.preventDefault();
      closeMenu(menu, true);
      return;
    }
    if (onButton) return;
    const items = menuItems(menu);
    const at = items.indexOf(event.target.closest('[role="menuitem"]'));
    if (at < 0) return;
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      items[(moves[event.key] + items.length) % items.length].focus();
    } else if (event.key === "Tab") {
      closeMenu(menu, false);
    } else if ((event.key === "Enter" || event.key === " ") && event.target.matches("[aria-disabled=true]")) {
      event.preventDefault();
    } else if (event.key === " " && event.target.matches("a")) {
      event.preventDefault();  // Space activates a menu entry that is a link, as Enter does
      event.target.click();
    }
  });
  document.addEventListener("click", function (event) {
    const item = event.target.closest && event.target.closest('.actions-menu [role="menuitem"]');
    if (!item) return;
    if (item.matches("[aria-disabled=true]")) {
      event.preventDefault();
      return;
    }
    closeMenu(item.closest("details.actions-menu"), false);
  });

  // ---- Modal dialogs (inventory/dialogs.py), the console's and the portal's alike: htmx puts a
  // <dialog> into #modal; it opens as a modal over the page (focus moves into it), and Cancel,
  // Close or Escape close it and give focus back to what opened it. A rejected submit replaces
  // the dialog's form (#dialog-form): its summary at the top is scrolled into view and focus
  // goes to the first field in error. A refusal lands in #dialog-alerts. Success (204, or a
  // region outside the dialog to refresh) closes it.
  let opener = null;
  function openerNow() {
    // The element that opened the dialog, or its like after the region holding it was
    // refreshed (same id, or the same link); a menu entry gives way to its menu's button.
    let element = opener && opener.element;
    if (element && !element.isConnected) {
      element = (opener.id && document.getElementById(opener.id)) ||
        (opener.url && document.querySelector('[hx-get="' + CSS.escape(opener.url) + '"]'));
    }
    const menu = element && element.closest("details");
    if (menu && !menu.open) element = menu.querySelector("summary");
    // Gone for good (a deleted cluster's card): the object's ACTIONS, else the page itself.
    return element || document.querySelector("#main .actions-button, #main[tabindex]");
  }
  function showDialogErrors(form) {
    if (!form) return;
    const invalid = form.querySelector(
      "[aria-invalid=true], .has-error input:not([type=hidden]), .has-error select, .has-error textarea");
    if (invalid) invalid.focus({ preventScroll: true });
    const summary = form.querySelector("#dialog-alerts > *");
    if (summary) summary.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (target.id === "modal") {
      const dialog = target.querySelector("dialog");
      const elt = event.detail.requestConfig.elt;
      opener = { element: elt, id: elt.id, url: elt.getAttribute("hx-get") };
      if (dialog && !dialog.open) dialog.showModal();
    } else if (target.id === "dialog-form") {
      showDialogErrors(document.querySelector("#modal #dialog-form"));
    } else if (target.id === "dialog-alerts" && target.firstElementChild) {
      target.firstElementChild.scrollIntoView({ block: "nearest" });
    }
  });
  document.addEventListener("click", function (event) {
    const close = event.target.closest("[data-close-dialog]");
    const dialog = close && close.closest("dialog[open]");
    if (dialog && document.getElementById("modal").contains(dialog)) {
      event.preventDefault();
      dialog.close();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const dialog = event.detail.elt.closest && event.detail.elt.closest("#modal dialog[open]");
    const status = event.detail.xhr.status;
    if (!dialog || status < 200 || status > 299) return;
    if (status === 204 || !dialog.contains(event.detail.target)) dialog.close();
  });
  document.addEventListener("close", function (event) {
    const dialog = event.target;
    if (!dialog.matches || !dialog.matches("#modal dialog")) return;
    dialog.remove();
    const back = openerNow();
    opener = null;
    if (back) back.focus();
  }, true);

  // ---- Recent Tasks: a failed task's message opened on demand stays open across the pane's
  // refreshes (each replaces the pane).
  const openDetails = new Set();
  document.addEventListener("toggle", function (event) {
    const more = event.target;
    if (!more.matches || !more.matches("details[data-task-more]")) return;
    if (more.open) openDetails.add(more.dataset.taskMore);
    else openDetails.delete(more.dataset.taskMore);
  }, true);
  document.addEventListener("htmx:afterSettle", function () {
    openDetails.forEach(function (key) {
      const at = 'details[data-task-more="' + key + '"]';
      // The portal's Activity list keeps them open across its refreshes too.
      document.querySelectorAll("#recent-tasks " + at + ", #portal-activity " + at).forEach(
        function (more) { more.open = true; });
    });
  });
  // ---- Global search suggestions: the combobox pattern (WAI-ARIA APG) on the header's search
  // box. htmx swaps the listbox in as one types; arrows move through the options (focus stays
  // in the box, aria-activedescendant names the option), Enter opens the active one (or, with
  // none, submits the search), Escape and a click elsewhere close the list.
  function searchBox() {
    return document.querySelector('.global-search input[role="combobox"]');
  }
  function suggestionOptions() {
    return Array.from(document.querySelectorAll('#search-suggestions [role="option"]'));
  }
  function setActiveSuggestion(input, option) {
    suggestionOptions().forEach(function (each) {
      each.setAttribute("aria-selected", each === option ? "true" : "false");
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function closeSuggestions(input) {
    const list = document.getElementById("search-suggestions");
    if (list) list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActiveSuggestion(input, null);
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "search-suggestions") return;
    const input = searchBox();
    const list = document.getElementById("search-suggestions");
    if (!input || !list) return;
    // An answer that comes back after the user has left the box (submitted, clicked away)
    // stays hidden.
    if (document.activeElement !== input) list.hidden = true;
    input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    setActiveSuggestion(input, null);
  });
  document.addEventListener("keydown", function (event) {
    const input = event.target;
    if (!input.matches || !input.matches('.global-search input[role="combobox"]')) return;
    const list = document.getElementById("search-suggestions");
    const open = list && !list.hidden;
    const options = suggestionOptions();
    const active = document.getElementById(input.getAttribute("aria-activedescendant") || "");
    const at = options.indexOf(active);
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && options.length) {
      event.preventDefault();
      if (!open) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = at < 0 ? (step > 0 ? 0 : options.length - 1) : at + step;
      setActiveSuggestion(input, options[(next + options.length) % options.length]);
    } else if (event.key === "Enter" && open && active) {
      event.preventDefault();
      const link = active.querySelector("a");
      closeSuggestions(input);
      if (link) link.click();
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      closeSuggestions(input);
    } else if (event.key === "Enter") {
      closeSuggestions(input);
    }
  });
  document.addEventListener("click", function (event) {
    const input = searchBox();
    if (!input) return;
    const option = event.target.closest && event.target.closest("#search-suggestions a");
    if (option || !event.target.closest(".global-search")) closeSuggestions(input);
  });
})();
