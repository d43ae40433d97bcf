// The map of a progress page: the region's children shaded by coverage band, drawn as SVG with
// d3-geo (vendored) from the page's map read (GET /api/v1/coverage/{code}/map/, GeoJSON). Hover
// or focus a region for its figures, click it to open it; on a touch screen the first tap shows
// the figures and a second tap opens it. Numbers are formatted for the page's language (58,68 %).
// No inline script (the Content-Security-Policy forbids it): the labels come from
// <script id="coverage-map-labels" type="application/json">, the address from data-url.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 1000;
  var PAD = 6;

  function element(name, attributes) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    return node;
  }

  // The extent of the shapes in longitude/latitude, read from the coordinates themselves.
  function extent(geometries) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    function visit(value) {
      if (typeof value[0] === "number") {
        box[0] = Math.min(box[0], value[0]);
        box[1] = Math.min(box[1], value[1]);
        box[2] = Math.max(box[2], value[0]);
        box[3] = Math.max(box[3], value[1]);
        return;
      }
      value.forEach(visit);
    }
    geometries.forEach(function (geometry) {
      visit(geometry.coordinates);
    });
    return box;
  }

  function start() {
    var box = document.getElementById("coverage-map");
    var labelsNode = document.getElementById("coverage-map-labels");
    var info = document.getElementById("coverage-map-info");
    if (!box || !labelsNode || !info || !window.d3 || !window.d3.geoPath) {
      return;
    }
    var labels = JSON.parse(labelsNode.textContent);
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        draw(box, info, labels, data);
      })
      .catch(function () {
        info.textContent = labels.failed;
        box.hidden = true;
      });
  }

  function draw(box, info, labels, data) {
    var lang = document.documentElement.lang || "id";
    var number = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    var geometries = data.features.map(function (feature) {
      return feature.geometry;
    });
    if (data.outline) {
      geometries.push(data.outline);
    }
    if (!geometries.length) {
      return;
    }
    // Indonesia lies within 11° of the equator: a plain longitude/latitude plane (y flipped) is
    // as true as Mercator there, and unlike d3's spherical projections it does not depend on the
    // rings' winding order.
    var bounds = extent(geometries);
    var aspect = (bounds[3] - bounds[1]) / Math.max(bounds[2] - bounds[0], 1e-9);
    var height = Math.round(Math.min(Math.max(WIDTH * aspect, WIDTH * 0.3), WIDTH * 1.1)) + 2 * PAD;
    var collection = {
      type: "FeatureCollection",
      features: geometries.map(function (geometry) {
        return { type: "Feature", geometry: geometry, properties: {} };
      }),
    };
    var projection = window.d3.geoIdentity().reflectY(true).fitExtent([[PAD, PAD], [WIDTH - PAD, height - PAD]], collection);
    var path = window.d3.geoPath(projection);

    var svg = element("svg", { viewBox: "0 0 " + WIDTH + " " + height, class: "coverage-map-svg", role: "presentation" });
    var regions = element("g", { class: "regions" });
    svg.appendChild(regions);
    var selected = null;
    // The region the last tap chose: focus comes before a tap's click, so it cannot tell.
    var tapped = null;
    var lastPointer = "mouse";

    function figure(label, value, suffix) {
      return label + ": " + (value === null ? "—" : number.format(value) + (suffix || ""));
    }

    function show(properties) {
      info.textContent = "";
      var name = document.createElement("strong");
      name.textContent = properties.name;
      info.appendChild(name);
      var parts = [
        figure(labels.percent, properties.percent, " %"),
        properties.band_label || labels.no_figure,
        figure(labels.target, properties.target_percent, " %"),
        figure(labels.gap, properties.gap_points),
      ];
      info.appendChild(document.createTextNode(" · " + parts.join(" · ") + " · "));
      var link = document.createElement("a");
      link.href = properties.url;
      link.textContent = labels.open.replace("%(name)s", properties.name);
      info.appendChild(link);
    }

    function select(anchor, properties) {
      if (selected) {
        selected.classList.remove("selected");
      }
      selected = anchor;
      anchor.classList.add("selected");
      // Last drawn, so that its outline is not hidden under its neighbours'.
      regions.appendChild(anchor);
      show(properties);
    }

    data.features.forEach(function (feature) {
      var properties = feature.properties;
      var anchor = element("a", { href: properties.url, class: "region", "data-code": properties.code });
      var shape = element("path", { d: path(feature.geometry), class: "band-" + (properties.band || "none") });
      var title = element("title");
      title.textContent = properties.name + ": " + figure(labels.percent, properties.percent, " %");
      shape.appendChild(title);
      anchor.appendChild(shape);
      anchor.addEventListener("mouseenter", function () {
        show(properties);
      });
      anchor.addEventListener("focus", function () {
        show(properties);
      });
      anchor.addEventListener("pointerdown", function (event) {
        lastPointer = event.pointerType || "mouse";
      });
      anchor.addEventListener("click", function (event) {
        if (lastPointer !== "mouse" && tapped !== anchor) {
          event.preventDefault();
          tapped = anchor;
          select(anchor, properties);
        }
      });
      regions.appendChild(anchor);
    });
    if (data.outline) {
      svg.appendChild(element("path", { d: path(data.outline), class: "outline" }));
    }
    box.appendChild(svg);
    box.classList.add("drawn");

    var missing = document.getElementById("coverage-map-missing");
    if (missing && data.missing.length) {
      missing.textContent = missing.textContent.trim() + " " + labels.missing.replace(
        "%(names)s",
        data.missing
          .map(function (child) {
            return child.name;
          })
          .join(", ")
      );
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
