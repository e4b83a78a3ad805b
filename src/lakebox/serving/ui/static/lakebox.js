// Small helpers shared by the UI's pages. No framework: the pages are rendered on the server.
"use strict";

const lakebox = {
  // The CSRF token of the user's session (in the page's <meta name="csrf-token">).
  csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },

  // `options` for fetch() with the session's CSRF token added to a request that changes
  // something (the server refuses such a request made with the session cookie without it).
  guarded(options = {}) {
    const method = (options.method || "GET").toUpperCase();
    const headers = new Headers(options.headers || {});
    const token = lakebox.csrfToken();
    if (token && !["GET", "HEAD", "OPTIONS"].includes(method)) headers.set("X-CSRF-Token", token);
    return { ...options, headers };
  },

  // Fetch `url` and return the decoded JSON answer; an error answer throws an Error whose
  // message is the API's `error` (or FastAPI's `detail`) and whose `hint` is the API's hint.
  async request(url, options = {}) {
    const response = await fetch(url, lakebox.guarded(options));
    const answer = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) {
      let detail = answer.error || answer.detail || response.statusText || `HTTP ${response.status}`;
      if (Array.isArray(detail)) detail = detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
      const error = new Error(String(detail));
      error.hint = answer.hint || "";
      throw error;
    }
    return answer;
  },

  // GET `url` as JSON.
  async get(url) {
    return lakebox.request(url);
  },

  // POST JSON to `url` and return the decoded answer; an error answer throws its message.
  async post(url, body) {
    return lakebox.request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body ?? {}),
    });
  },

  // Escape text for HTML.
  escape(value) {
    return String(value ?? "").replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  },

  // A count with thousands separators, as the server renders them.
  number(value) {
    return Number(value).toLocaleString("en-US");
  },

  // Show an error (and its hint) in `element`; `null` clears it.
  failure(element, error) {
    element.innerHTML = error
      ? `<div class="error" role="alert"><div class="message">${lakebox.escape(error.message)}</div>` +
        (error.hint ? `<div class="hint">${lakebox.escape(error.hint)}</div>` : "") + "</div>"
      : "";
  },

  // Whether an Arrow type name (as the API reports it) holds numbers.
  numeric(type) {
    return /^(u?int\d*|float|halffloat|double|decimal)/i.test(type);
  },

  // Render {columns, rows} as a table.grid into `element`.
  grid(element, result) {
    const names = result.columns.map((c) => c.name);
    const numeric = result.columns.map((c) => lakebox.numeric(c.type));
    const head = names.map((n) => `<th>${lakebox.escape(n)}</th>`).join("");
    const body = result.rows.map((row) => "<tr>" + names.map((n, i) =>
      `<td${numeric[i] ? ' class="num"' : ""}>${row[n] === null ? '<span class="muted">NULL</span>' : lakebox.escape(row[n])}</td>`
    ).join("") + "</tr>").join("");
    element.innerHTML = `<table class="grid"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  },

  // The catalog's filter box: show only the tables whose `zone.name` contains the text.
  filterTables(input, counter) {
    const rows = [...document.querySelectorAll("tr.table-row")];
    const apply = () => {
      const wanted = input.value.trim().toLowerCase();
      let shown = 0;
      for (const row of rows) {
        row.hidden = !row.dataset.table.toLowerCase().includes(wanted);
        shown += row.hidden ? 0 : 1;
      }
      for (const zone of document.querySelectorAll("section.zone")) {
        zone.hidden = !zone.querySelector("tr.table-row:not([hidden])");
      }
      counter.textContent = wanted ? `${shown} of ${rows.length} tables` : `${rows.length} tables`;
    };
    input.addEventListener("input", apply);
    apply();
  },

  // The table page: its first rows (read on the server as the user: masked and filtered),
  // rows as of a snapshot (time travel, where offered) and "profile now".
  tablePage(settings) {
    const $ = (id) => document.getElementById(id);
    const base = `/api/tables/${encodeURIComponent(settings.zone)}/${encodeURIComponent(settings.name)}`;
    const select = $("as-of");
    const time = $("as-of-time");

    function shown(result, asOf) {
      lakebox.grid($("rows-grid"), result);
      $("rows-state").innerHTML = rowsState(result);
      const address = new URL(window.location.href);
      if (asOf) address.searchParams.set("as_of", asOf);
      else address.searchParams.delete("as_of");
      history.replaceState(null, "", address);
    }

    function failed(error) {
      $("rows-state").textContent = "";
      $("rows-grid").innerHTML = "";
      lakebox.failure($("rows-error"), error);
    }

    async function show(asOf) {
      lakebox.failure($("rows-error"), null);
      if (!asOf && settings.problem) return failed(Object.assign(new Error(settings.problem.message), { hint: settings.problem.hint || "" }));
      if (!asOf && settings.current) return shown(settings.current, "");
      $("rows-state").textContent = "Loading…";
      const params = new URLSearchParams({ limit: settings.limit });
      if (asOf) params.set("as_of", asOf);
      try {
        shown(await lakebox.get(`${base}/rows?${params}`), asOf);
      } catch (error) {
        failed(error);
      }
    }

    function rowsState(result) {
      const shown = `the first <span class="shown">${lakebox.number(result.row_count)}</span> below`;
      if (!result.as_of) {
        return `Current snapshot: <strong class="count">${lakebox.number(settings.rows)}</strong> rows; ${shown}.`;
      }
      const at = lakebox.escape(String(result.as_of.committed_at).replace("T", " ").slice(0, 19));
      return `As of snapshot <code class="snapshot">${lakebox.escape(result.as_of.snapshot)}</code>, ` +
        `committed ${at} UTC: <strong class="count">${lakebox.number(result.as_of.rows)}</strong> rows; ${shown}.`;
    }

    if (select) {
      select.addEventListener("change", () => { time.value = ""; show(select.value); });
      $("travel").addEventListener("click", () => show(time.value.trim() || select.value));
      time.addEventListener("keydown", (event) => {
        if (event.key === "Enter") show(time.value.trim() || select.value);
      });
      for (const link of document.querySelectorAll("a.travel")) {
        link.addEventListener("click", (event) => {
          event.preventDefault();
          select.value = link.dataset.snapshot;
          time.value = "";
          show(link.dataset.snapshot);
          $("rows").scrollIntoView();
        });
      }
    }
    const profile = $("profile-now");
    if (profile) {
      profile.addEventListener("click", async () => {
        profile.disabled = true;
        profile.textContent = "Profiling…";
        try {
          await lakebox.post(`${base}/profile`);
          window.location.hash = "columns";
          window.location.reload();
        } catch (error) {
          lakebox.failure($("profile-error"), error);
          profile.disabled = false;
          profile.textContent = "Profile now";
        }
      });
    }
    show(settings.asOf);
  },

  // The SQL console: run (button or Ctrl-Enter), page through the result, chart it, download it.
  sqlConsole(settings) {
    const $ = (id) => document.getElementById(id);
    const editor = $("sql");
    let result = null;
    let page = 0;

    async function run() {
      const sql = editor.value.trim();
      if (!sql) return;
      history.replaceState(null, "", `/sql?${new URLSearchParams({ q: sql })}`);
      lakebox.failure($("error"), null);
      $("run").disabled = true;
      $("run").textContent = "Running…";
      try {
        result = await lakebox.post("/api/sql", { sql });
        page = 0;
        showPage();
        prepareChart();
      } catch (error) {
        result = null;
        $("result").hidden = true;
        $("chart-panel").hidden = true;
        lakebox.failure($("error"), error);
      } finally {
        $("run").disabled = false;
        $("run").textContent = "Run";
      }
    }

    function pages() {
      return Math.max(1, Math.ceil(result.rows.length / settings.pageRows));
    }

    function showPage() {
      const start = page * settings.pageRows;
      lakebox.grid($("grid"), { columns: result.columns, rows: result.rows.slice(start, start + settings.pageRows) });
      const more = result.truncated
        ? ` <span class="status-warn truncated">truncated: the query has more rows; the first ${lakebox.number(result.row_count)} are shown</span>`
        : "";
      $("status").innerHTML = `<strong id="row-count">${lakebox.number(result.row_count)}</strong> rows${more} · ${result.seconds} s`;
      $("page-state").textContent = `page ${page + 1} of ${pages()}`;
      $("previous").disabled = page === 0;
      $("next").disabled = page >= pages() - 1;
      $("result").hidden = false;
    }

    function prepareChart() {
      const names = result.columns.map((c) => c.name);
      const options = names.map((n) => `<option>${lakebox.escape(n)}</option>`).join("");
      $("chart-x").innerHTML = options;
      $("chart-y").innerHTML = options;
      const numbers = result.columns.filter((c) => lakebox.numeric(c.type)).map((c) => c.name);
      $("chart-y").value = numbers.find((n) => n !== names[0]) || names[names.length - 1];
      $("chart").innerHTML = "";
      $("chart-panel").hidden = result.columns.length === 0;
    }

    function draw() {
      const x = $("chart-x").value;
      const y = $("chart-y").value;
      const kind = $("chart-type").value;
      const numeric = lakebox.numeric(result.columns.find((c) => c.name === y).type);
      const values = (name, asNumbers) => result.rows.map((row) =>
        row[name] === null ? null : asNumbers ? Number(row[name]) : row[name]);
      const trace = kind === "bar"
        ? { type: "bar", x: values(x, false), y: values(y, numeric), name: y }
        : { type: "scatter", mode: kind === "line" ? "lines" : "markers", x: values(x, false), y: values(y, numeric), name: y };
      const layout = {
        margin: { t: 20, r: 20, b: 60, l: 70 },
        xaxis: { title: { text: x } },
        yaxis: { title: { text: y } },
      };
      Plotly.react($("chart"), [trace], layout, { responsive: true, displaylogo: false });
    }

    // Download the result as a file: POST the query (SQL never runs from a GET), then save
    // the answer through a link to it in memory.
    async function download(event) {
      event.preventDefault();
      const link = event.currentTarget;
      const sql = editor.value.trim();
      if (!sql) return;
      lakebox.failure($("error"), null);
      const response = await fetch("/api/sql", lakebox.guarded({
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sql, format: link.dataset.format }),
      }));
      if (!response.ok) {
        const answer = await response.json().catch(() => ({ error: response.statusText }));
        lakebox.failure($("error"), Object.assign(new Error(answer.error || answer.detail), { hint: answer.hint || "" }));
        return;
      }
      const saved = document.createElement("a");
      saved.href = URL.createObjectURL(await response.blob());
      saved.download = link.getAttribute("download");
      document.body.append(saved);
      saved.click();
      saved.remove();
      setTimeout(() => URL.revokeObjectURL(saved.href), 60_000);
    }

    $("console").addEventListener("submit", (event) => { event.preventDefault(); run(); });
    editor.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
        event.preventDefault();
        run();
      }
    });
    $("previous").addEventListener("click", () => { page = Math.max(0, page - 1); showPage(); });
    $("next").addEventListener("click", () => { page = Math.min(pages() - 1, page + 1); showPage(); });
    $("draw").addEventListener("click", draw);
    for (const link of document.querySelectorAll("a.download")) link.addEventListener("click", download);
    // A query in the address (/sql?q=…) fills the editor; it runs when Run is pressed, so that
    // a link from anywhere cannot run SQL.
  },

  // The catalog page of `zone.table`.
  tableHref(table) {
    const [zone, ...rest] = String(table).split(".");
    return `/catalog/${encodeURIComponent(zone)}/${encodeURIComponent(rest.join("."))}`;
  },

  // A number for a table cell: up to `digits` significant digits, thousands separated.
  figure(value, digits = 4) {
    if (value === null || value === undefined) return "";
    return Number(value).toLocaleString("en-US", { maximumSignificantDigits: digits });
  },

  // A forecast's page: pick a series, chart its history, forecast and interval bands, list
  // every candidate's backtest, and run the forecast now.
  forecastPage(settings) {
    const $ = (id) => document.getElementById(id);
    const base = `/api/forecasts/${encodeURIComponent(settings.name)}`;
    const BAND_COLOURS = ["rgba(31, 111, 235, 0.14)", "rgba(31, 111, 235, 0.28)"];

    let latest = 0;  // answers to earlier picks that arrive late are dropped

    async function show(series) {
      const asked = ++latest;
      lakebox.failure($("forecast-error"), null);
      try {
        const answer = await lakebox.get(`${base}?${new URLSearchParams({ series })}`);
        if (asked !== latest) return;
        draw(answer);
        $("chart").dataset.series = series;  // what the chart shows, for tests and scripts
        showMetrics(answer.metrics);
        const entry = answer.series.find((s) => s.series === series);
        $("model").textContent = entry ? entry.model : "";
        $("history-note").textContent = answer.history_note || "";
        const address = new URL(window.location.href);
        address.searchParams.set("series", series);
        history.replaceState(null, "", address);
      } catch (error) {
        lakebox.failure($("forecast-error"), error);
      }
    }

    function bandTraces(rows, levels) {
      const x = rows.map((r) => r.ds);
      const widestFirst = [...levels].sort((a, b) => b - a);
      return widestFirst.flatMap((level, i) => [
        { x, y: rows.map((r) => r.bounds[`lo_${level}`]), type: "scatter", mode: "lines",
          line: { width: 0 }, hoverinfo: "skip", showlegend: false, name: `lo_${level}` },
        { x, y: rows.map((r) => r.bounds[`hi_${level}`]), type: "scatter", mode: "lines",
          line: { width: 0 }, fill: "tonexty", fillcolor: BAND_COLOURS[Math.min(i, 1)],
          name: `${level}% interval`, meta: `hi_${level}` },
      ]);
    }

    function draw(answer) {
      const actual = { x: answer.history.map((h) => h.ds), y: answer.history.map((h) => h.value),
        type: "scatter", mode: "lines+markers", name: "actual", line: { color: "#1f2933" }, marker: { size: 4 } };
      const forecast = { x: answer.rows.map((r) => r.ds), y: answer.rows.map((r) => r.forecast),
        type: "scatter", mode: "lines+markers", name: "forecast", line: { color: "#1f6feb", dash: "dash" }, marker: { size: 5 } };
      const layout = { margin: { t: 20, r: 20, b: 40, l: 80 }, legend: { orientation: "h" }, hovermode: "x unified" };
      const traces = [actual, ...bandTraces(answer.rows, answer.levels), forecast];
      Plotly.react($("chart"), traces, layout, { responsive: true, displaylogo: false });
    }

    function showMetrics(metrics) {
      $("metrics").querySelector("tbody").innerHTML = metrics.map((m) =>
        `<tr class="candidate${m.chosen ? " chosen" : ""}" data-model="${lakebox.escape(m.model)}">` +
        `<td>${lakebox.escape(m.model)}${m.chosen ? ' <span class="pill">chosen</span>' : ""}</td>` +
        `<td class="num smape">${lakebox.escape(lakebox.figure(m.smape))}</td>` +
        `<td class="num mase">${lakebox.escape(lakebox.figure(m.mase))}</td>` +
        `<td class="num">${lakebox.escape(m.windows ?? "")}</td>` +
        `<td class="description">${lakebox.escape(m.note ?? "")}</td></tr>`
      ).join("");
    }

    const run = $("run-now");
    if (run) {
      run.addEventListener("click", async () => {
        run.disabled = true;
        run.textContent = "Running…";
        lakebox.failure($("run-error"), null);
        try {
          // JSON without a body: the declared forecast (a cross-site form cannot send JSON)
          const made = await lakebox.request(base, { method: "POST", headers: { "Content-Type": "application/json" } });
          $("run-state").textContent = `Made ${made.rows} rows for ${made.series.length} series in ${made.seconds} s.`;
          window.location.reload();
        } catch (error) {
          lakebox.failure($("run-error"), error);
          run.disabled = false;
          run.textContent = "Run now";
        }
      });
    }
    if (!settings.exists) return;
    $("series").addEventListener("change", (event) => show(event.currentTarget.value));
    if (settings.series !== null) show(settings.series);
  },

  // The anomalies page: filters (kept in the address), counts per rule and severity, a chart
  // of anomalies per day and severity, and the latest rows.
  anomaliesPage(settings) {
    const $ = (id) => document.getElementById(id);
    const names = Object.keys(settings.filters);
    const COLOURS = { critical: "#cf222e", warn: "#d4a72c", info: "#8c959f" };

    function filters() {
      const chosen = {};
      for (const name of names) if ($(name).value.trim()) chosen[name] = $(name).value.trim();
      return chosen;
    }

    let latest = 0;  // answers to earlier filters that arrive late are dropped

    async function show() {
      const asked = ++latest;
      const chosen = filters();
      lakebox.failure($("error"), null);
      history.replaceState(null, "", `/anomalies?${new URLSearchParams(chosen)}`);
      try {
        const answer = await lakebox.get(`/api/anomalies?${new URLSearchParams({ ...chosen, limit: settings.limit })}`);
        if (asked !== latest) return;
        showCounts(answer);
        showRows(answer);
        draw(answer.by_day);
        $("anomalies").dataset.query = new URLSearchParams(chosen).toString();
      } catch (error) {
        lakebox.failure($("error"), error);
      }
    }

    function showCounts(answer) {
      $("total").textContent = lakebox.number(answer.total);
      $("counts").querySelector("tbody").innerHTML = answer.counts.map((c) =>
        `<tr data-rule="${lakebox.escape(c.rule_name)}"><td>${lakebox.escape(c.rule_name)}</td>` +
        `<td><a href="${lakebox.escape(lakebox.tableHref(c.table_name))}">${lakebox.escape(c.table_name)}</a></td>` +
        `<td class="severity-${lakebox.escape(c.severity)}">${lakebox.escape(c.severity)}</td>` +
        `<td class="num">${lakebox.number(c.count)}</td></tr>`
      ).join("") || '<tr><td colspan="4" class="muted">No anomalies match.</td></tr>';
    }

    function showRows(answer) {
      const time = (value) => lakebox.escape(String(value ?? "").replace("T", " ").slice(0, 16));
      $("shown").textContent = answer.truncated
        ? `· the latest ${lakebox.number(answer.rows.length)} of ${lakebox.number(answer.total)}`
        : `· ${lakebox.number(answer.rows.length)}`;
      $("anomalies").querySelector("tbody").innerHTML = answer.rows.map((a) =>
        `<tr class="anomaly" data-incident="${lakebox.escape(a.incident_id)}"><td>${time(a.ts)}</td>` +
        `<td>${a.ts_end && a.ts_end !== a.ts ? time(a.ts_end) : ""}</td>` +
        `<td title="${lakebox.escape(a.rule)}">${lakebox.escape(a.rule_name)}</td>` +
        `<td><a href="${lakebox.escape(lakebox.tableHref(a.table_name))}">${lakebox.escape(a.table_name)}</a></td>` +
        `<td class="entity">${lakebox.escape(a.entity)}</td>` +
        `<td class="severity-${lakebox.escape(a.severity)}">${lakebox.escape(a.severity)}</td>` +
        `<td class="num">${lakebox.escape(lakebox.figure(a.value, 6))}</td>` +
        `<td class="num">${lakebox.escape(lakebox.figure(a.expected, 6))}</td>` +
        `<td class="num">${a.deviation === null ? "" : lakebox.escape(`${a.deviation > 0 ? "+" : ""}${Math.round(100 * a.deviation)}%`)}</td>` +
        `<td class="description">${lakebox.escape(a.detail)}</td></tr>`
      ).join("") || '<tr><td colspan="10" class="muted">No anomalies match the filters.</td></tr>';
    }

    function draw(days) {
      const traces = ["critical", "warn", "info"].map((severity) => {
        const found = days.filter((d) => d.severity === severity);
        return { type: "bar", name: severity, x: found.map((d) => d.day), y: found.map((d) => d.count),
          marker: { color: COLOURS[severity] } };
      }).filter((trace) => trace.x.length);
      const layout = { barmode: "stack", margin: { t: 10, r: 10, b: 40, l: 40 }, legend: { orientation: "h" },
        xaxis: { type: "date" }, yaxis: { title: { text: "anomalies" } } };
      Plotly.react($("chart"), traces, layout, { responsive: true, displaylogo: false });
    }

    for (const name of names) $(name).value = settings.filters[name] || "";
    $("filters").addEventListener("submit", (event) => { event.preventDefault(); show(); });
    for (const name of ["rule", "severity", "since", "until"]) $(name).addEventListener("change", show);
    $("clear").addEventListener("click", () => { for (const name of names) $(name).value = ""; show(); });
    show();
  },

  // The models page: each production model's predict form calls the predict endpoint.
  modelsPage() {
    for (const form of document.querySelectorAll("form.predict")) {
      const output = form.querySelector(".prediction");
      const problem = form.nextElementSibling;
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const row = {};
        for (const input of form.querySelectorAll("input[data-feature]")) {
          row[input.dataset.feature] = input.value === "" ? null : Number(input.value);
        }
        lakebox.failure(problem, null);
        output.textContent = "…";
        try {
          const answer = await lakebox.post(`/api/models/${encodeURIComponent(form.dataset.model)}/predict`, { rows: [row] });
          output.textContent = answer.predictions[0] === null ? "no prediction" : lakebox.figure(answer.predictions[0], 8);
          output.dataset.value = String(answer.predictions[0]);
          output.title = `by version ${answer.version}`;
        } catch (error) {
          output.textContent = "";
          lakebox.failure(problem, error);
        }
      });
    }
  },
};

// The runs pages: charts of `ops.runs` and `ops.step_runs`, drawn from data in the page.
Object.assign(lakebox, {
  STATUS_COLOURS: { ok: "#1a7f37", built: "#2da44e", failed: "#cf222e", error: "#cf222e",
    warn: "#d4a72c", fresh: "#8c959f", unchanged: "#b6bfc8" },

  // The colour of a run's or step's status (grey for a status without one).
  statusColour(status) {
    return lakebox.STATUS_COLOURS[status] || "#8c959f";
  },

  // A bar per run (x its start, y its seconds), a trace per status; a click opens the run.
  // Bars share one width, from the time the runs span, so a few runs are not drawn as slabs.
  runsChart(element, runs) {
    const times = runs.map((r) => Date.parse(`${r.started_at.replace(" ", "T")}Z`));
    const span = times.length ? Math.max(...times) - Math.min(...times) : 0;
    const width = Math.max(span / Math.max(2 * runs.length, 40), 500);
    const statuses = [...new Set(runs.map((r) => r.status))].sort();
    const traces = statuses.map((status) => {
      const found = runs.filter((r) => r.status === status);
      return { type: "bar", name: status, x: found.map((r) => r.started_at), y: found.map((r) => r.seconds),
        width: found.map(() => width), customdata: found.map((r) => [r.run_id, r.pipeline]),
        hovertemplate: "%{customdata[0]}<br>pipeline %{customdata[1]}<br>%{y:.2f} s<extra>%{fullData.name}</extra>",
        marker: { color: lakebox.statusColour(status) } };
    });
    const layout = { margin: { t: 10, r: 10, b: 40, l: 50 }, legend: { orientation: "h" }, showlegend: true,
      xaxis: { type: "date" }, yaxis: { title: { text: "seconds" }, rangemode: "tozero" } };
    Plotly.react(element, traces, layout, { responsive: true, displaylogo: false });
    element.on("plotly_click", (event) => {
      const point = event.points[0];
      if (point) window.location.href = `/runs/${encodeURIComponent(point.customdata[0])}`;
    });
  },

  // A horizontal bar per step, from its start for its duration, the first step on top.
  stepsTimeline(element, steps) {
    const statuses = [...new Set(steps.map((s) => s.status))].sort();
    const traces = statuses.map((status) => {
      const found = steps.filter((s) => s.status === status);
      return { type: "bar", orientation: "h", name: status, y: found.map((s) => s.step),
        base: found.map((s) => s.start), x: found.map((s) => s.milliseconds),
        customdata: found.map((s) => s.seconds),
        hovertemplate: "%{y}<br>%{customdata:.3f} s<extra>%{fullData.name}</extra>",
        marker: { color: lakebox.statusColour(status) } };
    });
    const order = [...new Set(steps.map((s) => s.step))];
    const layout = { margin: { t: 10, r: 10, b: 40, l: 200 }, legend: { orientation: "h" }, barmode: "overlay",
      height: Math.max(200, 60 + 22 * order.length),
      xaxis: { type: "date" }, yaxis: { type: "category", categoryorder: "array", categoryarray: order, autorange: "reversed" } };
    Plotly.react(element, traces, layout, { responsive: true, displaylogo: false });
  },

  // "Run now" on the runs page: start the pipeline's run and say so (it is listed once it ends).
  runNowButtons() {
    for (const button of document.querySelectorAll("button.run-now")) {
      button.addEventListener("click", async () => {
        const said = button.parentElement.querySelector(".run-now-status");
        button.disabled = true;
        try {
          const started = await lakebox.post(`/api/pipelines/${encodeURIComponent(button.dataset.pipeline)}/runs`);
          said.textContent = `started (process ${started.pid}); it is listed here when it ends`;
        } catch (error) {
          lakebox.failure(said, error);
        } finally {
          button.disabled = false;
        }
      });
    }
  },
});
