// The site's own behaviour, in a file so the Content-Security-Policy can refuse every inline script.
(function () {
  "use strict";
  // <select data-submit-on-change>: choosing an option sends its form (the language menu, the portal's county menu).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-submit-on-change]") && target.form) {
      target.form.submit();
    }
  });
  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });
  // Registration: fill birth date and sex from the number the live check just read.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "doc-check") { return; }
    var b = document.getElementById("derived-birth"), s = document.getElementById("derived-sex");
    if (b) { document.getElementById("id_birth_date").value = b.value; }
    if (s) { document.getElementById("id_sex").value = s.value; }
  });
})();
