/* Chorus conversion snippet: first-party, no cookies, no third-party code.
   <script src="https://chorus.example.com/t.js" data-site-key="chs_..." defer></script>
   then, when a visitor converts: chorus.conversion({type: "signup", external_id: "order-42"}) */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var PARAM = __CLICK_PARAM__;
  var STORE = "chorus_click";
  var KEEP_MS = 30 * 24 * 3600 * 1000;
  var endpoint = new URL("/t/conversions", script.src).href;
  var siteKey = script.getAttribute("data-site-key");

  function remember() {
    try {
      var id = new URLSearchParams(window.location.search).get(PARAM);
      if (id && /^[A-Za-z0-9_-]{16,64}$/.test(id)) {
        window.localStorage.setItem(STORE, JSON.stringify({ id: id, at: Date.now() }));
      }
    } catch (e) { /* storage may be disabled: then nothing is kept */ }
  }

  function clickId() {
    try {
      var kept = JSON.parse(window.localStorage.getItem(STORE) || "null");
      if (kept && kept.id && Date.now() - kept.at < KEEP_MS) { return kept.id; }
      window.localStorage.removeItem(STORE);
    } catch (e) { /* unreadable: treat as absent */ }
    return null;
  }

  function conversion(details) {
    details = details || {};
    var body = {
      site_key: siteKey,
      click_id: clickId(),
      type: details.type || "signup",
      external_id: details.external_id ||
        (window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
          : String(Date.now()) + String(Math.random()).slice(2))
    };
    if (details.value !== undefined) { body.value = String(details.value); }
    if (details.currency) { body.currency = details.currency; }
    if (details.occurred_at) { body.occurred_at = details.occurred_at; }
    // text/plain keeps this a simple CORS request: no preflight, no cookies either way.
    return window.fetch(endpoint, {
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw data; }
        return data;
      });
    });
  }

  remember();
  window.chorus = { clickId: clickId, conversion: conversion };
}());
