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
  // htmx sends the CSRF token with every request.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
  });
})();
