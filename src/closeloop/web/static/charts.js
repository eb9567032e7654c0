// Draw every chart of the page: <div id=X> + <script type="application/json" data-chart="X">.
(function () {
  function draw() {
    const blocks = document.querySelectorAll('script[type="application/json"][data-chart]');
    if (!window.Plotly || !blocks.length) {
      document.body.setAttribute("data-charts-ready", blocks.length ? "no-plotly" : "1");
      return;
    }
    const jobs = [];
    blocks.forEach(function (block) {
      const target = document.getElementById(block.getAttribute("data-chart"));
      if (!target) return;
      const spec = JSON.parse(block.textContent);
      jobs.push(
        window.Plotly.newPlot(target, spec.data, spec.layout, {
          displayModeBar: false,
          responsive: true,
        })
      );
    });
    Promise.all(jobs).then(function () {
      document.body.setAttribute("data-charts-ready", "1");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
