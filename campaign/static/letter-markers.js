// The letter editor's marker buttons: a field's marker goes in at the cursor; a
// condition's markers go around the selected text. Without this script the
// markers can be typed (or copied from the buttons' labels in the text).
// The markers go into the field that had the cursor last, the subject or the body
// (the body until either has had it): the subject can vary too.
(function () {
  "use strict";
  var body = document.getElementById("body");
  if (!body) {
    return;
  }
  var target = body;
  [document.getElementById("subject"), body].forEach(function (field) {
    if (field) {
      field.addEventListener("focus", function () {
        target = field;
      });
    }
  });
  document.querySelectorAll("button.marker[data-insert]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = target;
      var start = field.selectionStart;
      var end = field.selectionEnd;
      var text = field.value;
      var before = button.getAttribute("data-insert");
      var after = button.getAttribute("data-end") || "";
      var inserted = before + text.slice(start, end) + after;
      field.value = text.slice(0, start) + inserted + text.slice(end);
      var caret = after ? start + before.length + (end - start) : start + inserted.length;
      field.focus();
      field.setSelectionRange(caret, caret);
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
