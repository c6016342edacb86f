// Report form enhancements: a map pin, "use my location", photo previews, anonymous toggle.
// Without this script the form still works: the resident types an address.
(function () {
  "use strict";
  var form = document.querySelector(".report-form");
  if (!form) return;
  var lat = form.querySelector("input[name=latitude]");
  var lon = form.querySelector("input[name=longitude]");
  var block = form.querySelector("[data-map]");
  var status = document.getElementById("pin-status");

  function say(template, la, lo) {
    status.textContent = template.replace("%(lat)s", la).replace("%(lon)s", lo);
  }

  function setupMap() {
    if (!block || typeof L === "undefined") return;
    block.hidden = false;
    var center = block.dataset.center.split(",").map(Number);
    var map = L.map("map", { scrollWheelZoom: false }).setView(center, 13);
    L.tileLayer(block.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    var marker = null;
    function place(latlng, zoom) {
      var la = latlng.lat.toFixed(6), lo = latlng.lng.toFixed(6);
      lat.value = la; lon.value = lo;
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      if (zoom) map.setView(latlng, 17);
      say(status.dataset.pinPlaced, la, lo);
    }
    if (lat.value && lon.value) place(L.latLng(Number(lat.value), Number(lon.value)), true);
    map.on("click", function (e) { place(e.latlng, false); });
    var locate = block.querySelector("[data-locate]");
    if (!("geolocation" in navigator)) { locate.hidden = true; return; }
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (pos) { place(L.latLng(pos.coords.latitude, pos.coords.longitude), true); },
        function () { status.textContent = status.dataset.locateFailed; },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
  }

  function setupPreviews() {
    var input = form.querySelector("input[type=file]");
    var box = form.querySelector("[data-previews]");
    if (!input || !box || !window.URL) return;
    input.addEventListener("change", function () {
      box.textContent = "";
      Array.prototype.forEach.call(input.files, function (file, i) {
        if (!/^image\//.test(file.type)) return;
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = file.name;
        img.className = "preview";
        box.appendChild(img);
      });
    });
  }

  function setupAnonymous() {
    var box = form.querySelector("input[name=anonymous]");
    var contact = form.querySelector("[data-contact]");
    if (!box || !contact) return;
    function sync() { contact.hidden = box.checked; }
    box.addEventListener("change", sync);
    sync();
  }

  window.addEventListener("load", setupMap);
  setupPreviews();
  setupAnonymous();
})();
