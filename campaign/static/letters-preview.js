// "Update the preview" without leaving the supporter's place: the form is posted
// as the button would post it, and only the parts the preview changes (the
// letters, the questions about the paragraph's language and the name in Latin
// letters) are replaced, so the page does not jump to the top or lose what is
// typed. Without this file the button reloads the page at the letters (#letters).
(function () {
  "use strict";

  var button = document.querySelector('button[name="preview"]');
  if (!button || !window.fetch || !window.DOMParser || !window.FormData) return;
  var form = button.form;
  var live = document.getElementById("preview-live");
  var busy = false;

  button.addEventListener("click", function (event) {
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.setAttribute("aria-busy", "true");
    var data = new FormData(form);
    data.append(button.name, button.value);
    fetch(form.getAttribute("action") || window.location.pathname + window.location.search, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var parts = document.querySelectorAll("[data-preview-part]");
        for (var i = 0; i < parts.length; i++) {
          var replacement = fresh.getElementById(parts[i].id);
          if (!replacement) throw new Error("no " + parts[i].id);
          parts[i].replaceWith(document.importNode(replacement, true));
        }
        if (live) {
          // Emptied first, so that the same words are announced again.
          live.textContent = "";
          window.setTimeout(function () {
            live.textContent = live.dataset.doneText || "";
          }, 100);
        }
      })
      .catch(function () {
        // Whatever went wrong, the page's own way still works: post and reload.
        var fallback = document.createElement("input");
        fallback.type = "hidden";
        fallback.name = button.name;
        fallback.value = button.value;
        form.appendChild(fallback);
        form.action = button.getAttribute("formaction") || "";
        form.submit();
      })
      .then(function () {
        busy = false;
        button.removeAttribute("aria-busy");
      });
  });
})();
