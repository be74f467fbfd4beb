// The partner page's "Copy the snippet" buttons: copy the snippet's text and say so.
// Without this file (or without a clipboard) the snippet stays selectable in its box.
(function () {
  "use strict";

  function copied(button) {
    var status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
    if (status) status.textContent = button.dataset.copiedText || "";
  }

  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    var button = buttons[i];
    var box = document.getElementById(button.dataset.copy);
    if (!box) continue;
    button.hidden = false;
    button.addEventListener("click", function (event) {
      var button = event.currentTarget;
      var box = document.getElementById(button.dataset.copy);
      box.focus();
      box.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(
          function () { copied(button); },
          function () { if (document.execCommand("copy")) copied(button); }
        );
      } else if (document.execCommand("copy")) {
        copied(button);
      }
    });
  }
})();
