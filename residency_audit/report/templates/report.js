(function () {
  "use strict";
  // Hovering a node of the residency graph fades everything not connected to it.
  var svg = document.getElementById("residency-graph");
  if (svg) {
    var edges = Array.prototype.slice.call(svg.querySelectorAll(".edge"));
    var nodes = Array.prototype.slice.call(svg.querySelectorAll(".node"));
    var focus = function (key) {
      var linked = {};
      linked[key] = true;
      edges.forEach(function (edge) {
        var on = edge.getAttribute("data-a") === key || edge.getAttribute("data-b") === key;
        edge.classList.toggle("faded", !on);
        if (on) {
          linked[edge.getAttribute("data-a")] = true;
          linked[edge.getAttribute("data-b")] = true;
        }
      });
      nodes.forEach(function (node) {
        node.classList.toggle("faded", !linked[node.getAttribute("data-key")]);
      });
    };
    var clear = function () {
      edges.concat(nodes).forEach(function (el) { el.classList.remove("faded"); });
    };
    nodes.forEach(function (node) {
      node.addEventListener("mouseenter", function () { focus(node.getAttribute("data-key")); });
      node.addEventListener("mouseleave", clear);
    });
  }
  // The inventory filter hides rows whose text does not contain what is typed.
  var filter = document.getElementById("inventory-filter");
  if (filter) {
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var needle = filter.value.toLowerCase();
      document.querySelectorAll("#inventory tbody tr").forEach(function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  }
  document.documentElement.setAttribute("data-js", "ready");
})();
