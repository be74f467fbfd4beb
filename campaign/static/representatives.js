// Choosing representatives: filter the list as you type, select everyone shown.
// The page works without this file: the filter form and the "select everyone"
// link both reload it from the server.
(function () {
  "use strict";

  var input = document.getElementById("q");
  var list = document.getElementById("representatives");
  if (!input || !list) return;

  var choices = Array.prototype.slice.call(list.querySelectorAll(".choice"));
  var fieldsets = Array.prototype.slice.call(list.querySelectorAll("fieldset"));
  var status = document.querySelector("[data-filter-status]");
  var nobody = list.querySelector("[data-nobody]");
  var selectAll = document.querySelector("[data-select-all]");

  function normalise(text) {
    return text.toLocaleLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  choices.forEach(function (choice) {
    choice.dataset.search = normalise(choice.textContent);
  });

  function visibleBoxes() {
    return choices
      .filter(function (choice) { return !choice.hidden; })
      .map(function (choice) { return choice.querySelector("input[type=checkbox]"); })
      // A representative who cannot be written to now is listed without a box.
      .filter(Boolean);
  }

  function updateSelectAll() {
    if (!selectAll) return;
    var boxes = visibleBoxes();
    var allChecked = boxes.length > 0 && boxes.every(function (box) { return box.checked; });
    if (!selectAll.dataset.selectText) selectAll.dataset.selectText = selectAll.textContent;
    selectAll.textContent = allChecked ? selectAll.dataset.clearText : selectAll.dataset.selectText;
  }

  function applyFilter() {
    var words = normalise(input.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    choices.forEach(function (choice) {
      var match = words.every(function (word) { return choice.dataset.search.indexOf(word) !== -1; });
      choice.hidden = !match;
      if (match) shown += 1;
    });
    fieldsets.forEach(function (fieldset) {
      fieldset.hidden = !fieldset.querySelector(".choice:not([hidden])");
    });
    if (nobody) nobody.hidden = shown > 0 || choices.length === 0;
    if (status && status.dataset.template) {
      status.textContent = status.dataset.template
        .replace("{shown}", String(shown))
        .replace("{total}", String(choices.length));
    }
    updateSelectAll();
  }

  var timer = null;
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(applyFilter, 120);
  });

  if (selectAll) {
    selectAll.addEventListener("click", function (event) {
      event.preventDefault();
      var boxes = visibleBoxes();
      var check = !boxes.every(function (box) { return box.checked; });
      boxes.forEach(function (box) { box.checked = check; });
      updateSelectAll();
    });
    list.addEventListener("change", updateSelectAll);
  }

  if (input.value) applyFilter(); else updateSelectAll();
})();
