// The status page follows its letters: it asks the server for their states
// (a small JSON document, by the same signed link) and updates the table.
// Without this file the page shows the same table; a reload brings changes.
(function () {
  "use strict";

  var table = document.querySelector("table[data-status-url]");
  if (table && window.fetch) follow(table);

  var copy = document.querySelector("[data-copy]");
  if (copy && navigator.clipboard) enableCopy(copy);

  function follow(table) {
    var url = table.dataset.statusUrl;
    var live = document.getElementById("status-live");
    var hint = document.getElementById("status-hint");
    var delay = 2000;
    var maxDelay = 60000;
    var giveUpAt = Date.now() + 2 * 3600 * 1000;
    if (hint && hint.dataset.liveText) hint.textContent = hint.dataset.liveText;

    function update(letters) {
      var changes = [];
      letters.forEach(function (letter, index) {
        var row = table.querySelector('tr[data-letter="' + index + '"]');
        var cell = row && row.querySelector("[data-state]");
        if (!cell || cell.dataset.state === letter.state) return;
        cell.className = "state state-" + letter.state;
        cell.dataset.state = letter.state;
        cell.textContent = letter.label;
        changes.push(letter.representative + ": " + letter.label);
      });
      if (changes.length && live) live.textContent = changes.join("; ");
      return changes.length > 0;
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          var changed = update(data.letters || []);
          // Quick while letters are on their way, slower once they all went out
          // (delivery and replies take hours), and never for ever.
          delay = changed ? 2000 : Math.min(delay * 1.5, data.settled ? maxDelay : 15000);
          schedule();
        })
        .catch(function () {
          delay = Math.min(delay * 2, maxDelay);
          schedule();
        });
    }

    function schedule() {
      if (Date.now() < giveUpAt) window.setTimeout(poll, delay);
    }

    schedule();
  }

  function enableCopy(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.dataset.copiedText || label;
        window.setTimeout(function () { button.textContent = label; }, 3000);
      });
    });
  }
})();
