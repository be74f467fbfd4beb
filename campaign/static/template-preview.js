// Refreshes the letter editor's preview while the organiser types. Without this
// script the "Preview" button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var output = document.getElementById("preview-text");
  if (!form || !output || !window.fetch || !window.FormData) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var latest = 0;

  function refresh() {
    var ticket = ++latest;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "text/plain" }
    })
      .then(function (response) {
        return response.text().then(function (text) {
          return { ok: response.ok, text: text };
        });
      })
      .then(function (result) {
        if (ticket !== latest) {
          return; // an older answer arriving after a newer one
        }
        output.textContent = result.text;
        output.classList.toggle("error", !result.ok);
      })
      .catch(function () {
        /* offline or the session ended: the Preview button still works */
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 500);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
