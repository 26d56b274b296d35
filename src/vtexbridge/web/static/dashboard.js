// vtexbridge dashboard: panels that refresh themselves and forms that post without leaving the page.
// Plain JavaScript, no dependency; every page also works without it (forms post and redirect).
(function () {
  "use strict";
  var HEADERS = { "X-Requested-With": "fetch" };

  function refresh(panel) {
    var url = panel.getAttribute("data-poll");
    if (!url || panel.getAttribute("data-busy") === "1") return Promise.resolve();
    return fetch(url, { headers: HEADERS, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        if (panel.getAttribute("data-busy") !== "1") panel.innerHTML = html;
      })
      .catch(function () { /* keep what is shown; the next poll tries again */ });
  }

  function refreshAll() {
    document.querySelectorAll("[data-poll]").forEach(refresh);
  }

  function schedule(panel) {
    var every = parseInt(panel.getAttribute("data-interval") || "5000", 10);
    var tick = function () {
      if (!document.hidden) refresh(panel);
      setTimeout(tick, every);
    };
    setTimeout(tick, every);
  }

  function notice(text) {
    var box = document.getElementById("notice");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("js-post")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), headers: HEADERS, credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (text) { notice(text); })
      .catch(function () { notice("The request failed; is vtexbridge still running?"); })
      .then(function () {
        if (button) button.disabled = false;
        refreshAll();
      });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(schedule);
  });

  window.vtexbridge = { refreshAll: refreshAll };
})();
