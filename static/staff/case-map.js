/* The case's location on a Leaflet map. The address and coordinates are always shown as text too,
   so nothing is lost when tiles fail to load or scripts are off. */
(function () {
  "use strict";

  function show(el) {
    if (!window.L || el.dataset.ready) { return; }
    var lat = parseFloat(el.dataset.lat);
    var lng = parseFloat(el.dataset.lng);
    if (!isFinite(lat) || !isFinite(lng)) { return; }
    el.dataset.ready = "1";
    var map = window.L.map(el, { scrollWheelZoom: false }).setView([lat, lng], 17);
    window.L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
    // A vector marker: no image files to find, so it works with hashed static file names.
    window.L.circleMarker([lat, lng], { radius: 10, color: "#0b5cad", weight: 3, fillOpacity: 0.35 })
      .addTo(map)
      .bindTooltip(el.dataset.label);
  }

  document.querySelectorAll("[data-case-map]").forEach(show);
})();
