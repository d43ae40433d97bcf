// The event form (templates/outreach/event_form.html): a file of its own, as the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  // Fields of one kind of event show only for it (without JS they are always there).
  function showKindFields() {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "";
    form.querySelectorAll(".kind-only").forEach(function (el) {
      el.hidden = el.dataset.kinds.split(" ").indexOf(kind) < 0;
    });
  }
  form.querySelectorAll("input[name=kind]").forEach(function (el) { el.addEventListener("change", showKindFields); });
  showKindFields();

  // The employer list offers the employers of the ticked villages only.
  var employer = form.querySelector("select[name=employer]");
  var noEmployer = document.getElementById("employer-none");
  function offerEmployers() {
    var ticked = {};
    form.querySelectorAll("input[name=villages]:checked").forEach(function (el) { ticked[el.value] = true; });
    var offered = 0;
    employer.querySelectorAll("option[data-village]").forEach(function (option) {
      var show = !!ticked[option.dataset.village];
      option.hidden = !show;
      option.disabled = !show;
      if (!show && option.selected) { employer.value = ""; }
      if (show) { offered += 1; }
    });
    employer.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    noEmployer.hidden = offered > 0;
  }
  form.querySelectorAll("input[name=villages]").forEach(function (el) { el.addEventListener("change", offerEmployers); });
  offerEmployers();

  // Village filter: hide the villages (and districts) whose name does not match.
  var filter = document.getElementById("village-filter");
  filter.hidden = false;
  filter.addEventListener("input", function () {
    var q = filter.value.trim().toLowerCase();
    form.querySelectorAll(".village-list .district").forEach(function (group) {
      var any = false;
      group.querySelectorAll(".form-check").forEach(function (row) {
        var show = !q || row.dataset.name.indexOf(q) >= 0 || row.querySelector("input").checked;
        row.hidden = !show;
        any = any || show;
      });
      group.hidden = !any;
    });
  });

  // Attendance total as the officer types.
  var total = document.getElementById("attendance-total");
  function sum() {
    var n = 0;
    form.querySelectorAll(".attendance input").forEach(function (el) { n += parseInt(el.value, 10) || 0; });
    total.textContent = "· " + total.dataset.label + " " + n.toLocaleString(document.documentElement.lang || "id");
    total.hidden = false;
  }
  form.querySelectorAll(".attendance input").forEach(function (el) { el.addEventListener("input", sum); });
  sum();

  // "Use my location" fills latitude and longitude from the phone's GPS.
  var button = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  if (navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = status.dataset.finding;
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
        status.textContent = status.dataset.found;
      }, function () {
        status.textContent = status.dataset.failed;
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }

  // One tap is enough: a second one while the page loads would only wait for the same answer.
  var save = document.getElementById("save-event");
  form.addEventListener("submit", function () {
    setTimeout(function () { save.disabled = true; }, 0);
  });
  // Back to this page from the browser's cache: sending again is safe (same client id).
  window.addEventListener("pageshow", function () { save.disabled = false; });
})();
