// Tell the site that this article page was seen, once it is shown to its reader (not while it
// is prerendered or in a background tab). Only pages a shared cache may serve carry this: the
// server cannot count those copies. Sends where the reader came from (the referring address,
// of which the site keeps only its kind: search, social...) and the campaign's utm_medium and
// utm_source; sets no cookie and loads nothing from anywhere else.
(function () {
  "use strict";
  var script = document.currentScript;
  var address = script && script.dataset.seen;
  if (!address) return;

  function send() {
    var data = new URLSearchParams();
    data.set("referrer", document.referrer);
    var query = new URLSearchParams(window.location.search);
    ["utm_medium", "utm_source"].forEach(function (name) {
      if (query.has(name)) data.set(name, query.get(name));
    });
    if (navigator.sendBeacon && navigator.sendBeacon(address, data)) return;
    fetch(address, { method: "POST", body: data, keepalive: true, credentials: "same-origin" });
  }

  function whenShown() {
    if (document.prerendering) {
      document.addEventListener("prerenderingchange", whenShown, { once: true });
    } else if (document.visibilityState !== "visible") {
      document.addEventListener("visibilitychange", whenShown, { once: true });
    } else {
      send();
    }
  }
  whenShown();
})();
