// Draw every Vega-Lite spec embedded in the page (JSON in <script type="application/json">),
// numbers and dates in the page language's format (the d3 locale the server put in #vega-locale).
(function () {
  "use strict";
  if (!window.vegaEmbed) { return; }
  var held = document.getElementById("vega-locale");
  var locale = held ? JSON.parse(held.textContent) : {};
  var options = { actions: false, renderer: "svg" };
  if (locale.number) { options.formatLocale = locale.number; }
  if (locale.time) { options.timeFormatLocale = locale.time; }
  document.querySelectorAll("div.vega[data-spec-id]").forEach(function (target) {
    var source = document.getElementById(target.getAttribute("data-spec-id"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    window.vegaEmbed(target, spec, options).catch(function (err) {
      target.textContent = "chart could not be drawn: " + err;
    });
  });
})();
// Year slider: it steps over the years held (data-years); it shows the chosen year, sets the
// form's year field and reloads the page when released. Without JavaScript the field is used.
(function () {
  "use strict";
  var slider = document.getElementById("year-slider");
  var field = document.getElementById("year");
  var shown = document.getElementById("year-value");
  if (!slider || !field || !shown) { return; }
  var years = (slider.getAttribute("data-years") || "").split(",");
  slider.hidden = false;
  field.hidden = true;
  var pick = function () { var y = years[parseInt(slider.value, 10)]; shown.textContent = y; field.value = y; };
  slider.addEventListener("input", pick);
  slider.addEventListener("change", function () { pick(); slider.form.submit(); });
})();
// A section still being computed on the server: reload the page after the stated seconds.
(function () {
  "use strict";
  var pending = document.querySelector("[data-reload-after]");
  if (!pending) { return; }
  var seconds = parseInt(pending.getAttribute("data-reload-after"), 10) || 5;
  window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
})();
