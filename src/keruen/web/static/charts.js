// Draw every Vega-Lite spec embedded in the page (JSON in <script type="application/json">).
(function () {
  "use strict";
  document.querySelectorAll("div.vega[data-spec-id]").forEach(function (target) {
    var source = document.getElementById(target.getAttribute("data-spec-id"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    window.vegaEmbed(target, spec, { actions: false, renderer: "svg" }).catch(function (err) {
      target.textContent = "chart could not be drawn: " + err;
    });
  });
})();
