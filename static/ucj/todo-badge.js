// The navigation badge: the number of things waiting for the user. A page rendered while the
// cached count had expired carries data-count-url instead of a number; ask for it once.
(function () {
  "use strict";
  var badges = document.querySelectorAll("[data-todo-badge][data-count-url]");
  if (!badges.length) return;
  fetch(badges[0].getAttribute("data-count-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data || typeof data.count !== "number") return;
      badges.forEach(function (badge) {
        badge.textContent = data.count.toLocaleString(document.documentElement.lang || undefined);
        badge.hidden = data.count === 0;
      });
    })
    .catch(function () { /* no badge is better than a wrong one */ });
})();
