// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Buttons with data-confirm ask before submitting their form.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = (submitter && submitter.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // File sizes by the rule of portal/sizes.py, so that a size the browser counts (the upload
  // page) reads like one the server wrote: 1024 steps, whole bytes, one decimal above them,
  // the page language's decimal mark, a no-break space before the unit.
  var SIZE_UNITS = ["B", "KB", "MB", "GB", "TB"];
  function fileSize(bytes) {
    var value = Math.max(0, bytes);
    var step = 0;
    while (value >= 1024 && step < SIZE_UNITS.length - 1) { value /= 1024; step += 1; }
    if (!step) { value = Math.floor(value); }
    var digits = step ? 1 : 0;
    var number = new Intl.NumberFormat(document.documentElement.lang || "en", {
      minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false
    }).format(value);
    return number + "\u00a0" + SIZE_UNITS[step];
  }
  window.Rayport = window.Rayport || {};
  window.Rayport.fileSize = fileSize;
  // Colour swatches carry their colour in data-color: CSP forbids inline style attributes,
  // but allows setting styles from this script.
  function paintSwatches(root) {
    root.querySelectorAll("[data-color]").forEach(function (element) {
      if (/^#[0-9a-fA-F]{6}$/.test(element.dataset.color)) {
        element.style.backgroundColor = element.dataset.color;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { paintSwatches(document); });
  document.addEventListener("htmx:afterSwap", function (event) { paintSwatches(event.target); });
  // Folder choices loaded when first used ([data-lazy-options]: a select, or an element with
  // one inside, whose hx-get fills it from folders:options). Whichever of its triggers comes
  // first (hover, focus, press, opening) loads it, once; a choice made while the options
  // were on their way is kept; a failed load says so in the select, and the next trigger
  // tries again.
  function lazyOwner(event) {
    var element = event.detail && event.detail.elt;
    return element && element.hasAttribute && element.hasAttribute("data-lazy-options") ? element : null;
  }
  function lazySelect(owner) {
    return owner.tagName === "SELECT" ? owner : owner.querySelector("select");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var owner = lazyOwner(event);
    if (!owner) { return; }
    if (owner.dataset.lazyState) {
      event.preventDefault(); // loading, or loaded already
    } else {
      owner.dataset.lazyState = "loading";
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var owner = lazyOwner(event);
    var select = owner && lazySelect(owner);
    if (select && !select.multiple) { owner.dataset.lazyValue = select.value; }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var owner = lazyOwner(event);
    if (!owner) { return; }
    owner.dataset.lazyState = "loaded";
    var select = lazySelect(owner);
    var kept = owner.dataset.lazyValue;
    if (select && kept !== undefined && select.value !== kept) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === kept) { select.selectedIndex = i; break; }
      }
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var owner = lazyOwner(event);
    if (!owner || event.detail.successful) { return; }
    delete owner.dataset.lazyState;
    var select = lazySelect(owner);
    var status = select && select.querySelector("option[data-lazy-status]");
    if (status && status.dataset.failed) { status.textContent = status.dataset.failed; }
  });
  // Documents: a file over the size limit ([data-max-bytes] on a file input) is taken out of
  // the selection before anything is sent, and the list under the input says so; the server
  // checks again while the files stream in.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var limit = Number(input.dataset.maxBytes);
    var list = input.form && input.form.querySelector(".document-too-large");
    var kept = [];
    var dropped = [];
    Array.prototype.forEach.call(input.files, function (file) { (file.size > limit ? dropped : kept).push(file); });
    if (list) {
      list.textContent = "";
      list.hidden = dropped.length === 0;
      dropped.forEach(function (file) {
        var item = document.createElement("li");
        item.textContent = input.dataset.tooLarge.replace("{name}", file.name);
        list.appendChild(item);
      });
    }
    if (dropped.length && typeof DataTransfer === "function") {
      var transfer = new DataTransfer();
      kept.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
    }
  });
  // A form marked [data-swap-refusals] answers 400 with the card that says what was refused:
  // htmx would drop it (4xx is not swapped by default), so it is swapped all the same.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status === 400 && elt && elt.closest && elt.closest("[data-swap-refusals]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // The page's <dialog id="dialog"> (the share dialog): opened as a modal when htmx fills it,
  // emptied when closed; [data-close-dialog] closes it instead of leaving the page (without
  // JavaScript those are plain links and the dialog is a page of its own).
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target;
    if (dialog && dialog.id === "dialog" && dialog.showModal && !dialog.open) {
      dialog.showModal();
      copyButtons(dialog);
      var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    } else if (dialog && dialog.id === "dialog") {
      copyButtons(dialog);
    }
  });
  document.addEventListener("close", function (event) {
    if (event.target && event.target.id === "dialog") { event.target.innerHTML = ""; }
  }, true);
  document.addEventListener("click", function (event) {
    var closer = event.target.closest && event.target.closest("[data-close-dialog]");
    var dialog = closer && closer.closest("dialog[open]");
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  });
  // htmx sends the CSRF token with every request.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
  });
  // A button with data-copy copies the value of the field it names (the API key shown once),
  // then says so in its data-copied words. Hidden without JavaScript: the field stays selectable.
  function copyButtons(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { copyButtons(document); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.dataset.copy);
    if (!field) { return; }
    field.select();
    var done = function () { button.textContent = button.dataset.copied || button.textContent; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (document.execCommand("copy")) { done(); }
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  });
})();
