// Copies the session's CSRF token (see fastmvc/admin/csrf.py) into every POST
// form as a hidden csrf_token field, and into jQuery's AJAX requests (the
// delete button) as the X-CSRF-Token header. The server refuses both without it.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) {
    return;
  }
  var token = meta.getAttribute("content");

  function protect(form) {
    if (!form || (form.getAttribute("method") || "").toUpperCase() !== "POST") {
      return;
    }
    var field = form.querySelector('input[name="csrf_token"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "csrf_token";
      form.appendChild(field);
    }
    field.value = token;
  }

  document.querySelectorAll("form").forEach(protect);
  document.addEventListener("submit", function (event) {
    protect(event.target);
  }, true);
  if (window.jQuery) {
    window.jQuery.ajaxSetup({ headers: { "X-CSRF-Token": token } });
  }
})();
