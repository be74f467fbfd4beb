// In a partner's frame: tell the partner's page how tall this page is, so that it
// sets the frame's height and the page never scrolls inside the frame.
// The message is {type: "campaign-frame-height", height: <CSS pixels>}
// (docs/organisers/partners.md), sent only to the partner's registered origins:
// to the one framing this page where the browser says which (ancestorOrigins),
// else to each (a browser delivers it only to the page of that origin).
(function () {
  "use strict";

  if (window.parent === window || !window.postMessage) return;
  var body = document.body;
  var allowed = (body.getAttribute("data-frame-origins") || "").split(" ").filter(Boolean);
  var type = body.getAttribute("data-frame-message");
  var ancestors = window.location.ancestorOrigins;
  var targets = allowed;
  if (ancestors && ancestors.length) {
    targets = allowed.indexOf(ancestors[0]) >= 0 ? [ancestors[0]] : [];
  }
  if (!targets.length || !type) return;

  var last = 0;
  function announce() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    for (var i = 0; i < targets.length; i++) {
      window.parent.postMessage({ type: type, height: height }, targets[i]);
    }
  }

  announce();
  window.addEventListener("load", announce);
  if (window.ResizeObserver) {
    new ResizeObserver(announce).observe(document.documentElement);
  } else {
    window.addEventListener("resize", announce);
    document.addEventListener("toggle", announce, true);
  }
})();
