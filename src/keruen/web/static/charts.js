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
  // A title longer than the chart is wide is broken into lines (Vega clips it otherwise);
  // about 8 px a character at the titles' 14 px.
  var fitTitle = function (spec, width) {
    var title = spec.title;
    var text = typeof title === "string" ? title : (title && typeof title.text === "string" ? title.text : null);
    var per = Math.max(12, Math.floor(width / 8));
    if (!text || !width || text.length <= per) { return; }
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > per) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    if (typeof title === "string") { spec.title = lines; } else { title.text = lines; }
  };
  document.querySelectorAll("div.vega[data-spec-id]").forEach(function (target) {
    var source = document.getElementById(target.getAttribute("data-spec-id"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var width = target.clientWidth;
    fitTitle(spec, width);
    // a world map is about twice as wide as high: on a narrow screen its height follows its
    // width, so the map fills the chart instead of floating in a tall blank box
    if (spec.projection && width && typeof spec.height === "number") {
      spec.height = Math.min(spec.height, Math.round(width * 0.55));
    }
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
