// A dashboard page: filter controls, tabs and charts drawn from /api/dashboards/… .
// The filters' state lives in the URL's query string, so a view can be linked and reloaded.
"use strict";

(() => {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const name = root.dataset.name;
  const api = `/api/dashboards/${encodeURIComponent(name)}`;
  let view = JSON.parse(root.dataset.view);
  const controls = {};       // filter name -> {element, update(filter)}
  const drawn = {};          // chart name -> the query string it was drawn with
  let generation = 0;        // answers to older requests are dropped
  let pending = null;        // the debounce timer of slider moves
  const problem = document.getElementById("dashboard-problem");
  let tab = new URLSearchParams(location.search).get("tab");
  if (!view.tabs.some((t) => t.name === tab)) tab = view.tabs.length ? view.tabs[0].name : null;

  // -- the query string -------------------------------------------------------------------------

  function filterQuery() {
    const query = new URLSearchParams();
    for (const filter of view.filters) {
      const value = filter.value;
      if (filter.kind === "multiselect") {
        if (value.length) value.forEach((v) => query.append(filter.name, v));
        else query.set(filter.name, "");
      } else if (filter.kind === "date_range" || filter.kind === "hour_range") {
        if (value) {
          query.set(`${filter.name}_from`, value[0]);
          query.set(`${filter.name}_to`, value[1]);
        }
      } else {
        query.set(filter.name, value === null ? "" : value);
      }
    }
    return query;
  }

  function syncUrl() {
    const query = filterQuery();
    if (tab) query.set("tab", tab);
    const url = `${location.pathname}?${query}`;
    history.replaceState(null, "", url);
    document.getElementById("dashboard-link").href = url;
  }

  async function getJson(url) {
    try {
      return await lakebox.get(url);
    } catch (error) {
      throw new Error(error.hint ? `${error.message}\n${error.hint}` : error.message);
    }
  }

  // -- filters ----------------------------------------------------------------------------------

  function filterOf(filterName) {
    return view.filters.find((f) => f.name === filterName);
  }

  function setValue(filterName, value, later = false) {
    filterOf(filterName).value = value;
    syncUrl();
    clearTimeout(pending);
    pending = setTimeout(refresh, later ? 350 : 0);
  }

  function field(filter, body) {
    const wrapper = document.createElement("div");
    wrapper.className = `filter filter-${filter.kind}`;
    wrapper.dataset.filter = filter.name;
    const label = document.createElement("span");
    label.className = "filter-label";
    label.textContent = filter.label;
    if (filter.description) label.title = filter.description;
    wrapper.append(label, body);
    return wrapper;
  }

  function sameOptions(a, b) {
    return JSON.stringify(a || []) === JSON.stringify(b || []);
  }

  function selectControl(filter) {
    const select = document.createElement("select");
    select.name = filter.name;
    select.setAttribute("aria-label", filter.label);
    let shown = null;
    select.addEventListener("change", () => setValue(filter.name, select.value || null));
    return {
      element: field(filter, select),
      update(current) {
        const choices = current.all ? [{ value: "", label: current.all }, ...current.options] : current.options;
        if (!sameOptions(shown, choices)) {
          select.innerHTML = choices.map((o) =>
            `<option value="${lakebox.escape(o.value)}">${lakebox.escape(o.label)}</option>`).join("");
          shown = choices;
        }
        select.value = current.value === null ? "" : current.value;
      },
    };
  }

  function multiselectControl(filter) {
    const box = document.createElement("div");
    box.className = "chips";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", filter.label);
    let shown = null;
    box.addEventListener("change", () => {
      const chosen = [...box.querySelectorAll("input:checked")].map((input) => input.value);
      setValue(filter.name, chosen);
    });
    return {
      element: field(filter, box),
      update(current) {
        if (!sameOptions(shown, current.options)) {
          box.innerHTML = current.options.map((o) =>
            `<label class="chip"><input type="checkbox" name="${lakebox.escape(filter.name)}" ` +
            `value="${lakebox.escape(o.value)}"><span>${lakebox.escape(o.label)}</span></label>`).join("");
          shown = current.options;
        }
        for (const input of box.querySelectorAll("input")) input.checked = current.value.includes(input.value);
      },
    };
  }

  // Two range inputs over one track: the thumbs can be dragged or moved with the arrow keys.
  function rangeControl(filter, toValue, fromValue, show) {
    const slider = document.createElement("div");
    slider.className = "range";
    slider.innerHTML =
      `<div class="range-track"><div class="range-fill"></div>` +
      `<input type="range" class="range-from" aria-label="${lakebox.escape(filter.label)} from">` +
      `<input type="range" class="range-to" aria-label="${lakebox.escape(filter.label)} to"></div>` +
      `<div class="range-labels"><output class="range-from-label"></output>` +
      `<output class="range-to-label"></output></div>`;
    const [low, high] = slider.querySelectorAll("input");
    const fill = slider.querySelector(".range-fill");
    const labels = slider.querySelectorAll("output");
    let bounds = null;

    function paint() {
      const span = Number(high.max) - Number(high.min) || 1;
      fill.style.left = `${(100 * (low.value - low.min)) / span}%`;
      fill.style.right = `${100 - (100 * (high.value - high.min)) / span}%`;
      labels[0].textContent = show(toValue(bounds, Number(low.value)));
      labels[1].textContent = show(toValue(bounds, Number(high.value)));
    }

    function moved(event) {
      if (Number(low.value) > Number(high.value)) {
        if (event.target === low) low.value = high.value;
        else high.value = low.value;
      }
      paint();
      setValue(filter.name, [toValue(bounds, Number(low.value)), toValue(bounds, Number(high.value))], true);
    }

    low.addEventListener("input", moved);
    high.addEventListener("input", moved);
    return {
      element: field(filter, slider),
      update(current) {
        slider.classList.toggle("empty", !current.bounds);
        if (!current.bounds) return;
        bounds = current.bounds;
        for (const input of [low, high]) {
          input.min = 0;
          input.max = fromValue(bounds, bounds[1]);
        }
        low.value = fromValue(bounds, current.value[0]);
        high.value = fromValue(bounds, current.value[1]);
        paint();
      },
    };
  }

  const DAY = 86400000;
  const dayIndex = (bounds, iso) => Math.round((Date.parse(iso) - Date.parse(bounds[0])) / DAY);
  const dayAt = (bounds, index) => new Date(Date.parse(bounds[0]) + index * DAY).toISOString().slice(0, 10);
  const hour = (text) => `${String(text).padStart(2, "0")}:00`;

  function resolutionControl(filter) {
    const group = document.createElement("div");
    group.className = "switch";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", filter.label);
    group.innerHTML = filter.options.map((o) =>
      `<button type="button" data-value="${lakebox.escape(o.value)}">${lakebox.escape(o.label)}</button>`).join("");
    group.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (button) setValue(filter.name, button.dataset.value);
    });
    return {
      element: field(filter, group),
      update(current) {
        for (const button of group.querySelectorAll("button")) {
          const on = button.dataset.value === current.value;
          button.classList.toggle("active", on);
          button.setAttribute("aria-pressed", String(on));
        }
      },
    };
  }

  const CONTROLS = {
    select: selectControl,
    multiselect: multiselectControl,
    date_range: (filter) => rangeControl(filter, dayAt, dayIndex, (text) => text),
    hour_range: (filter) => rangeControl(filter, (_, index) => index, (_, value) => Number(value), hour),
    resolution: resolutionControl,
  };

  function showFilters() {
    const form = document.getElementById("filters");
    for (const filter of view.filters) {
      if (!controls[filter.name]) {
        controls[filter.name] = CONTROLS[filter.kind](filter);
        form.append(controls[filter.name].element);
      }
      controls[filter.name].update(filter);
    }
    form.hidden = view.filters.length === 0;
  }

  // -- tabs and charts --------------------------------------------------------------------------

  function showTabs() {
    const nav = document.getElementById("tabs");
    nav.hidden = view.tabs.length < 2;
    nav.innerHTML = view.tabs.map((t) =>
      `<button type="button" role="tab" data-tab="${lakebox.escape(t.name)}">${lakebox.escape(t.title)}</button>`).join("");
    nav.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      tab = button.dataset.tab;
      syncUrl();
      showTab();
    });
  }

  function showTab() {
    for (const button of document.querySelectorAll("#tabs button")) {
      const on = button.dataset.tab === tab;
      button.classList.toggle("active", on);
      button.setAttribute("aria-selected", String(on));
    }
    for (const card of document.querySelectorAll(".chart-card")) card.hidden = card.dataset.tab !== String(tab);
    drawTab();
  }

  function chartCards() {
    const holder = document.getElementById("charts");
    holder.innerHTML = view.charts.map((chart) =>
      `<section class="chart-card panel ${chart.kind === "kpi" ? "kpi" : `width-${chart.width}`}" ` +
      `data-chart="${lakebox.escape(chart.name)}" data-kind="${chart.kind}" data-tab="${lakebox.escape(String(chart.tab))}">` +
      `<header><h2 title="${lakebox.escape(chart.description || "")}">${lakebox.escape(chart.title)}</h2>` +
      `<span class="note"></span><a class="button csv" download>CSV</a></header>` +
      `<div class="chart-body"></div></section>`).join("");
  }

  function drawTab() {
    const query = filterQuery().toString();
    for (const chart of view.charts) {
      const card = document.querySelector(`.chart-card[data-chart="${CSS.escape(chart.name)}"]`);
      card.querySelector("a.csv").href = `${api}/charts/${encodeURIComponent(chart.name)}?${query}&format=csv`;
      if (String(chart.tab) === String(tab) && drawn[chart.name] !== query) drawChart(chart, card, query);
    }
  }

  async function drawChart(chart, card, query) {
    const mine = generation;
    card.dataset.state = "loading";
    const body = card.querySelector(".chart-body");
    try {
      const data = await getJson(`${api}/charts/${encodeURIComponent(chart.name)}?${query}`);
      if (mine !== generation) return;
      DRAW[chart.kind](chart, body, data);
      card.querySelector(".note").textContent = data.truncated ? `first ${data.row_count.toLocaleString()} rows` : "";
      card.dataset.rows = data.row_count;
      drawn[chart.name] = query;
      card.dataset.query = query;
      card.dataset.state = "ready";
    } catch (error) {
      if (mine !== generation) return;
      body.innerHTML = `<div class="error">${lakebox.escape(error.message)}</div>`;
      card.dataset.state = "error";
    }
  }

  function traces(chart, data) {
    const type = { line: "scatter", area: "scatter", scatter: "scatter", bar: "bar" }[chart.kind];
    const mode = chart.kind === "scatter" ? "markers" : chart.kind === "bar" ? undefined : "lines";
    const groups = new Map();
    for (const row of data.rows) {
      const key = chart.series ? String(row[chart.series]) : "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row);
    }
    const made = [];
    for (const [key, rows] of groups) {
      for (const y of chart.y) {
        const named = [key, chart.y.length > 1 || !key ? y : ""].filter(Boolean).join(" · ");
        made.push({
          type, mode, name: named,
          x: rows.map((r) => r[chart.x]),
          y: rows.map((r) => r[y]),
          stackgroup: chart.kind === "area" ? "one" : undefined,
        });
      }
    }
    return made;
  }

  const DRAW = {
    line: plot, area: plot, bar: plot, scatter: plot,
    table(chart, body, data) {
      body.classList.add("scroll");
      lakebox.grid(body, data);
    },
    kpi(chart, body, data) {
      const value = data.rows.length ? data.rows[0][chart.value] : null;
      const shown = typeof value === "number"
        ? value.toLocaleString(undefined, { maximumFractionDigits: 2 }) : (value ?? "—");
      body.innerHTML = `<div class="kpi-value" data-value="${lakebox.escape(value ?? "")}">` +
        `${lakebox.escape(shown)}<span class="kpi-unit">${lakebox.escape(chart.unit || "")}</span></div>`;
    },
  };

  function plot(chart, body, data) {
    const layout = {
      margin: { l: 56, r: 16, t: 8, b: 48 },
      height: chart.width === "half" ? 300 : 360,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
      showlegend: Boolean(chart.series) || chart.y.length > 1,
      barmode: chart.series ? "stack" : "group",
      xaxis: { title: { text: chart.x }, automargin: true },
      yaxis: { title: { text: [chart.y.join(", "), chart.unit].filter(Boolean).join(" · ") }, automargin: true },
      font: { family: "system-ui, sans-serif", size: 12 },
    };
    body.classList.add("plot");
    Plotly.react(body, traces(chart, data), layout, { responsive: true, displaylogo: false });
  }

  // -- changes ----------------------------------------------------------------------------------

  // Ask the server to resolve the new values (options may depend on other filters), then redraw.
  async function refresh() {
    generation += 1;
    const mine = generation;
    syncUrl();
    try {
      const fresh = await getJson(`${api}?${filterQuery()}`);
      if (mine !== generation) return;
      view = fresh;
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
      return;
    }
    problem.hidden = true;
    showFilters();
    syncUrl();
    drawTab();
  }

  showFilters();
  showTabs();
  chartCards();
  syncUrl();
  showTab();
})();
