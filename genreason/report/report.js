// Renders one page of sample cards at a time from the JSON blob in #report-data,
// so a report of thousands of samples only ever holds a page of images in the DOM.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var cardsEl = document.getElementById("cards");
  var state = { outcome: "all", family: "", difficulty: "", page: 0 };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  function uniq(values) {
    return values.filter(function (v, i) { return values.indexOf(v) === i; });
  }

  function fillSelect(id, values) {
    var select = document.getElementById(id);
    values.forEach(function (v) { select.appendChild(el("option", { value: v }, v)); });
  }

  function matches(card) {
    if (state.outcome === "failures" && card.outcome === "success") { return false; }
    if (state.outcome !== "all" && state.outcome !== "failures" && card.outcome !== state.outcome) { return false; }
    if (state.family && card.family !== state.family) { return false; }
    if (state.difficulty && card.difficulty !== state.difficulty) { return false; }
    return true;
  }

  function polyline(points, attrs) {
    var node = svgEl("polyline", attrs);
    node.setAttribute("points", points.map(function (p) { return p[0] + "," + p[1]; }).join(" "));
    node.setAttribute("fill", "none");
    return node;
  }

  // The first frame with the reference path and the tracked trajectory (split where the agent was not seen).
  function overlay(card, puzzle) {
    var w = puzzle.width, h = puzzle.height, unit = Math.max(w, h) / 100;
    var svg = svgEl("svg", { viewBox: "0 0 " + w + " " + h, "class": "overlay", role: "img",
                             "aria-label": "first frame with paths" });
    svg.appendChild(svgEl("image", { href: puzzle.image, x: 0, y: 0, width: w, height: h }));
    if (puzzle.reference) {
      svg.appendChild(polyline(puzzle.reference, { stroke: "#00b3ff", "stroke-width": unit * 2.2,
        "stroke-dasharray": unit * 3 + " " + unit * 2, "stroke-linejoin": "round", opacity: 0.9,
        "class": "reference" }));
    }
    var seen = card.trajectory.filter(function (p) { return p !== null; });
    var run = [];
    card.trajectory.concat([null]).forEach(function (p) {
      if (p !== null) { run.push(p); return; }
      if (run.length > 1) {
        svg.appendChild(polyline(run, { stroke: "#ff7a00", "stroke-width": unit * 0.9, "stroke-linejoin": "round",
          "class": "trajectory" }));
      }
      run = [];
    });
    if (seen.length) {
      var first = seen[0], last = seen[seen.length - 1];
      svg.appendChild(svgEl("circle", { cx: first[0], cy: first[1], r: unit * 1.8, fill: "#fff",
        stroke: "#ff7a00", "stroke-width": unit * 0.8 }));
      svg.appendChild(svgEl("circle", { cx: last[0], cy: last[1], r: unit * 1.8, fill: "#ff7a00" }));
    }
    return svg;
  }

  function renderCard(card) {
    var puzzle = data.puzzles[card.puzzle] || {};
    var node = el("article", { "class": "card " + card.outcome.replace(" ", "-"), "data-sample": card.id,
                               "data-outcome": card.outcome });
    var title = el("h3");
    title.appendChild(el("span", { "class": "id" }, card.id));
    title.appendChild(el("span", { "class": "badge" }, card.outcome));
    node.appendChild(title);
    var meta = [card.family, card.difficulty, "skin " + card.skin, "seed " + card.seed];
    if (card.frames) { meta.push(card.frames + " frames at " + card.fps + " fps"); }
    if (card.verifier) { meta.push("verifier " + card.verifier); }
    node.appendChild(el("div", { "class": "meta" }, meta.join(" \u00b7 ")));
    if (card.reason) { node.appendChild(el("div", { "class": "reason" }, card.reason)); }

    var pictures = el("div", { "class": "pictures" });
    if (puzzle.image) {
      pictures.appendChild(overlay(card, puzzle));
    } else {
      pictures.appendChild(el("div", { "class": "missing" }, "first frame unavailable: " + puzzle.problem));
    }
    if (card.sheet) {
      var sheet = el("img", { "class": "sheet", src: card.sheet, alt: "frames of " + card.id,
                              loading: "lazy", title: "click to enlarge" });
      sheet.addEventListener("click", function () { node.classList.toggle("zoom"); });
      pictures.appendChild(sheet);
    } else {
      pictures.appendChild(el("div", { "class": "missing video-problem" }, "video unavailable: " + card.video_problem));
    }
    node.appendChild(pictures);

    if (card.events.length) {
      var list = el("ol", { "class": "events" });
      card.events.forEach(function (e) {
        var text = e[2].indexOf("frame " + e[0] + ":") === 0 ? e[2] : "frame " + e[0] + ": " + e[2];
        list.appendChild(el("li", { "class": "kind-" + e[1], title: e[1] }, text));
      });
      node.appendChild(list);
    }
    var names = Object.keys(card.metrics);
    if (names.length) {
      node.appendChild(el("div", { "class": "metrics" }, names.map(function (k) {
        return k + " " + Number(card.metrics[k]).toFixed(3);
      }).join("  \u00b7  ")));
    }
    var details = el("details");
    details.appendChild(el("summary", {}, "prompt"));
    details.appendChild(el("p", {}, card.prompt || "(none)"));
    node.appendChild(details);
    if (card.video) {
      var link = el("a", { href: card.video }, "video");
      var line = el("div", { "class": "meta" });
      line.appendChild(link);
      line.appendChild(document.createTextNode(" " + decodeURIComponent(card.video)));
      node.appendChild(line);
    }
    return node;
  }

  function render() {
    var shown = data.cards.filter(matches);
    var pages = Math.max(1, Math.ceil(shown.length / data.page_size));
    state.page = Math.min(state.page, pages - 1);
    var from = state.page * data.page_size;
    var page = shown.slice(from, from + data.page_size);
    cardsEl.textContent = "";
    page.forEach(function (card) { cardsEl.appendChild(renderCard(card)); });
    document.getElementById("page-info").textContent = shown.length
      ? "samples " + (from + 1) + "\u2013" + (from + page.length) + " of " + shown.length + " (page " +
        (state.page + 1) + " of " + pages + ")"
      : "no sample matches";
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
    document.body.setAttribute("data-rendered", String(page.length));
    document.body.setAttribute("data-matching", String(shown.length));
  }

  // A filter can come with the address, e.g. report.html#outcome=failures&family=maze&page=2.
  function readHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var kv = part.split("=");
      var key = decodeURIComponent(kv[0] || ""), value = decodeURIComponent(kv[1] || "");
      if (key === "page") { state.page = Math.max(0, (parseInt(value, 10) || 1) - 1); }
      else if (key === "outcome" || key === "family" || key === "difficulty") { state[key] = value; }
    });
    document.getElementById("f-outcome").value = state.outcome;
    document.getElementById("f-family").value = state.family;
    document.getElementById("f-difficulty").value = state.difficulty;
  }

  fillSelect("f-family", uniq(data.cards.map(function (c) { return c.family; })));
  fillSelect("f-difficulty", uniq(data.cards.map(function (c) { return c.difficulty; })));
  readHash();
  [["f-outcome", "outcome"], ["f-family", "family"], ["f-difficulty", "difficulty"]].forEach(function (pair) {
    document.getElementById(pair[0]).addEventListener("change", function (e) {
      state[pair[1]] = e.target.value;
      state.page = 0;
      render();
    });
  });
  document.getElementById("prev").addEventListener("click", function () { state.page -= 1; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; render(); });
  render();
}());
