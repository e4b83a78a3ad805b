// The streams pages: the list refreshes its counters and open alerts from GET /api/streams;
// a stream's page follows one key's windows live from GET /api/streams/{name}/live (server-
// sent events: a `snapshot`, then a `tick` a second), redrawing its chart without a reload.
"use strict";

const lakeboxStreams = {
  REFRESH_MS: 2000,
  COLOURS: ["#1f6feb", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4"],

  // A status field as the cards show it.
  formatted(field, status) {
    const value = status[field];
    if (field === "running") return value ? "running" : "stopped";
    if (value === null || value === undefined) return "";
    if (field === "rate") return `${(status.running ? Number(value) : 0).toFixed(1)}/s`;
    if (field === "watermark") return lakeboxStreams.moment(value);
    if (field === "last_flush_seconds") return `${Number(value).toFixed(3)} s`;
    if (field === "checkpoint_age") return `${Math.round(Number(value))} s`;
    return lakebox.number(value);
  },

  // An ISO time as the page shows it (UTC, to the second); Plotly reads it as a UTC time.
  moment(value) {
    return String(value ?? "").replace("T", " ").slice(0, 19);
  },

  // Put `status` into the elements with a data-field below `root`.
  showStatus(root, status) {
    for (const element of root.querySelectorAll("[data-field]")) {
      element.textContent = lakeboxStreams.formatted(element.dataset.field, status);
      if (element.dataset.field === "running") {
        element.classList.toggle("running", Boolean(status.running));
        element.classList.toggle("stopped", !status.running);
      }
    }
  },

  // Replace the open alerts of the table and count below `root`.
  showAlerts(root, alerts) {
    const escape = lakebox.escape;
    root.querySelector("[data-count=alerts]").textContent = String(alerts.length);
    root.querySelector("table.stream-alerts tbody").innerHTML = alerts.map((a) =>
      `<tr class="alert" data-incident="${escape(a.incident_id)}">` +
      `<td><span class="badge severity-${escape(a.severity)}">${escape(a.severity)}</span></td>` +
      `<td class="message">${escape(a.subject)}</td><td>${escape(lakeboxStreams.moment(a.opened_at))}</td>` +
      `<td class="message delivery-error">${escape(a.last_error ?? "")}</td></tr>`
    ).join("") || '<tr class="none"><td colspan="4" class="good-news">No open alerts.</td></tr>';
  },

  // The list: every stream's counters and open alerts, refreshed every two seconds.
  listing() {
    async function refresh() {
      try {
        for (const stream of await lakebox.get("/api/streams")) {
          const section = document.querySelector(`section.stream[data-stream="${CSS.escape(stream.name)}"]`);
          if (!section) continue;
          lakeboxStreams.showStatus(section, stream.status);
          lakeboxStreams.showAlerts(section, stream.alerts);
        }
      } catch (error) {
        // the next refresh tries again (a server restarting, a busy engine)
      }
      setTimeout(refresh, lakeboxStreams.REFRESH_MS);
    }
    setTimeout(refresh, lakeboxStreams.REFRESH_MS);
  },

  // A stream's page: follow the chosen window and key live.
  streamPage(settings) {
    const $ = (id) => document.getElementById(id);
    const cards = document.querySelector("section.stream");
    const page = document.querySelector("main");
    window.lakeboxPageLoadedAt = window.lakeboxPageLoadedAt || Date.now();  // a reload resets it
    let source = null;
    let closed = [];
    let open = [];
    let draws = 0;

    function address() {
      const params = new URLSearchParams({ window: settings.window });
      if (settings.key !== null) params.set("key", settings.key);
      return params;
    }

    function connect() {
      if (source) source.close();
      closed = [];
      open = [];
      if (!settings.window) return;
      const params = address();
      params.set("limit", settings.limit);
      source = new EventSource(`/api/streams/${encodeURIComponent(settings.name)}/live?${params}`);
      source.addEventListener("snapshot", (event) => {
        const answer = JSON.parse(event.data);
        closed = answer.closed;
        show(answer);
      });
      source.addEventListener("tick", (event) => {
        const answer = JSON.parse(event.data);
        closed = merged(closed, answer.closed);
        show(answer);
      });
      source.addEventListener("problem", (event) => {
        const answer = JSON.parse(event.data);
        lakebox.failure($("live-error"), Object.assign(new Error(answer.error), { hint: answer.hint || "" }));
      });
      // The server ends a live answer after a while; EventSource then opens a new one.
      source.addEventListener("end", () => { $("live-state").textContent = "reconnecting…"; });
      source.onerror = (event) => {
        const closed = event.target.readyState === EventSource.CLOSED;  // refused: no retrying
        $("live-state").textContent = closed ? "disconnected: reload the page" : "reconnecting…";
      };
    }

    function stamp(row) {
      return `${row.window_start}|${row.window_end}`;
    }

    function merged(known, fresh) {
      const byStamp = new Map(known.map((row) => [stamp(row), row]));
      for (const row of fresh) byStamp.set(stamp(row), row);
      const rows = [...byStamp.values()].sort((a, b) => (stamp(a) < stamp(b) ? -1 : 1));
      return rows.slice(-settings.limit);
    }

    function show(answer) {
      lakebox.failure($("live-error"), null);
      // a window closed since the worker last wrote its status is drawn once, as closed
      const done = new Set(closed.map(stamp));
      open = answer.open.filter((row) => !done.has(stamp(row)));
      lakeboxStreams.showStatus(cards, answer.status);
      if (answer.keys) addKeys(answer.keys);
      if (answer.alerts) lakeboxStreams.showAlerts($("alerts-panel"), answer.alerts);
      const at = lakeboxStreams.moment(new Date(answer.at * 1000).toISOString());
      $("live-state").textContent = `live · ${at} UTC`;
      if (settings.key !== null) {
        draw();
        showOpen();
      }
    }

    // New keys join the select; with none chosen yet, the first one is followed.
    function addKeys(keys) {
      const select = $("key");
      const known = new Set([...select.options].map((option) => option.value));
      for (const key of keys.map(String)) {
        if (!known.has(key)) select.add(new Option(key, key));
      }
      if (settings.key === null && keys.length) {
        settings.key = String(keys[0]);
        select.value = settings.key;
        if ($("no-keys")) $("no-keys").hidden = true;
        history.replaceState(null, "", `?${address()}`);
        connect();
      }
    }

    function plotted() {
      const columns = settings.columns[settings.window] || [];
      const values = columns.filter((column) => column !== "events_count");
      return values.length ? values : ["events_count"];
    }

    function draw() {
      const x = (rows) => rows.map((row) => lakeboxStreams.moment(row.window_start));
      const traces = [];
      plotted().forEach((column, index) => {
        const colour = lakeboxStreams.COLOURS[index % lakeboxStreams.COLOURS.length];
        traces.push({ type: "scatter", mode: "lines+markers", name: column, x: x(closed), legendgroup: column,
          y: closed.map((row) => row[column]), line: { color: colour }, marker: { size: 5 } });
        traces.push({ type: "scatter", mode: "markers", name: `${column} (open)`, x: x(open), legendgroup: column,
          showlegend: false, y: open.map((row) => row[column]),
          marker: { color: colour, size: 10, symbol: "circle-open" } });
      });
      const counted = [...closed, ...open];
      const most = Math.max(1, ...counted.map((row) => row.events_count));
      traces.push({ type: "bar", name: "events", x: x(counted), y: counted.map((row) => row.events_count),
        yaxis: "y2", marker: { color: "rgba(97, 110, 124, 0.15)" }, hoverinfo: "x+y" });
      const layout = { margin: { t: 40, r: 60, b: 40, l: 60 }, legend: { orientation: "h", y: 1.12 },
        hovermode: "x unified", xaxis: { type: "date" },
        yaxis: { title: { text: settings.key === null ? "" : `${settings.keyColumn} ${settings.key}` } },
        // the events' bars keep to the lower half, under the values
        yaxis2: { overlaying: "y", side: "right", range: [0, 2 * most], dtick: Math.max(1, Math.ceil(most / 2)),
          showgrid: false, title: { text: "events" } },
        uirevision: `${settings.window}|${settings.key}` };
      const chart = $("chart");
      Plotly.react(chart, traces, layout, { responsive: true, displaylogo: false });
      // What the chart shows, for tests and scripts: how often it was drawn, and its values.
      chart.dataset.updates = String(++draws);
      chart.dataset.closed = String(closed.length);
      chart.dataset.open = String(open.length);
      chart.dataset.values = JSON.stringify(traces.map((trace) => trace.y));
    }

    function showOpen() {
      const columns = [settings.keyColumn, "window_start", "window_end", ...(settings.columns[settings.window] || [])];
      const types = columns.map((column, index) => ({ name: column, type: index > 2 ? "double" : "string" }));
      const rows = open.map((row) => ({ ...row, window_start: lakeboxStreams.moment(row.window_start),
        window_end: lakeboxStreams.moment(row.window_end) }));
      lakebox.grid($("open-windows"), { columns: types, rows });
    }

    function pick() {
      settings.window = $("window").value;
      settings.key = $("key").value === "" ? null : $("key").value;
      history.replaceState(null, "", `?${address()}`);
      connect();
    }

    if (!settings.window) return;
    $("pick").addEventListener("submit", (event) => event.preventDefault());
    $("window").addEventListener("change", pick);
    $("key").addEventListener("change", pick);
    window.addEventListener("pagehide", () => { if (source) source.close(); });
    page.dataset.live = "on";
    connect();
  },
};
