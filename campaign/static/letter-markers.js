// The letter editor's marker buttons: a field's marker goes in at the cursor; a
// condition's markers go around the selected text. Without this script the
// markers can be typed (or copied from the buttons' labels in the text).
(function () {
  "use strict";
  var body = document.getElementById("body");
  if (!body) {
    return;
  }
  document.querySelectorAll("button.marker[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var start = body.selectionStart;
      var end = body.selectionEnd;
      var text = body.value;
      var before = button.getAttribute("data-insert");
      var after = button.getAttribute("data-end") || "";
      var inserted = before + text.slice(start, end) + after;
      body.value = text.slice(0, start) + inserted + text.slice(end);
      var caret = after ? start + before.length + (end - start) : start + inserted.length;
      body.focus();
      body.setSelectionRange(caret, caret);
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
