// The trend chart of a progress page: UCJ % against the target, from the series the server wrote
// into <script id="trend-data" type="application/json">. Numbers are formatted for the page's
// language (58,68 % in Indonesian); without JavaScript the table beside the chart says the same.
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("trend-chart");
    var source = document.getElementById("trend-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var lang = document.documentElement.lang || "id";
    var percent = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var printing = document.body.classList.contains("progress-print");

    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          {
            label: data.legend.percent,
            data: data.percent,
            borderColor: "#198754",
            backgroundColor: "#198754",
            spanGaps: true,
            tension: 0.2,
            pointRadius: data.labels.length > 60 ? 0 : 3,
          },
          {
            label: data.legend.target,
            data: data.target,
            borderColor: "#dc3545",
            backgroundColor: "#dc3545",
            borderDash: [6, 4],
            stepped: true,
            spanGaps: true,
            pointRadius: 0,
          },
        ],
      },
      options: {
        // A printed page must show the finished chart, not its first animation frame.
        animation: printing ? false : undefined,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: {
            beginAtZero: true,
            ticks: {
              callback: function (value) {
                return percent.format(value) + " %";
              },
            },
          },
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                if (context.parsed.y === null) {
                  return context.dataset.label + ": —";
                }
                return context.dataset.label + ": " + percent.format(context.parsed.y) + " %";
              },
            },
          },
        },
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
