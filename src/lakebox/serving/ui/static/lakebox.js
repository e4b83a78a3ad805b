// Small helpers shared by the UI's pages. No framework: the pages are rendered on the server.
"use strict";

const lakebox = {
  // Fetch `url` and return the decoded JSON answer; an error answer throws an Error whose
  // message is the API's `error` (or FastAPI's `detail`) and whose `hint` is the API's hint.
  async request(url, options = {}) {
    const response = await fetch(url, options);
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

  // The table page: sample rows now or as of a snapshot (time travel), and "profile now".
  tablePage(settings) {
    const $ = (id) => document.getElementById(id);
    const base = `/api/tables/${encodeURIComponent(settings.zone)}/${encodeURIComponent(settings.name)}`;
    const select = $("as-of");
    const time = $("as-of-time");

    async function show(asOf) {
      lakebox.failure($("rows-error"), null);
      $("rows-state").textContent = "Loading…";
      const params = new URLSearchParams({ limit: settings.limit });
      if (asOf) params.set("as_of", asOf);
      try {
        const result = await lakebox.get(`${base}/rows?${params}`);
        lakebox.grid($("rows-grid"), result);
        $("rows-state").innerHTML = rowsState(result);
        const address = new URL(window.location.href);
        if (asOf) address.searchParams.set("as_of", asOf);
        else address.searchParams.delete("as_of");
        history.replaceState(null, "", address);
      } catch (error) {
        $("rows-state").textContent = "";
        $("rows-grid").innerHTML = "";
        lakebox.failure($("rows-error"), error);
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
    $("profile-now").addEventListener("click", async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      button.textContent = "Profiling…";
      try {
        await lakebox.post(`${base}/profile`);
        window.location.hash = "columns";
        window.location.reload();
      } catch (error) {
        lakebox.failure($("profile-error"), error);
        button.disabled = false;
        button.textContent = "Profile now";
      }
    });
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

    function download(event) {
      const sql = editor.value.trim();
      if (!sql) {
        event.preventDefault();
        return;
      }
      event.currentTarget.href = `/api/sql?${new URLSearchParams({ q: sql, format: event.currentTarget.dataset.format })}`;
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
    if (settings.run) run();
  },
};
