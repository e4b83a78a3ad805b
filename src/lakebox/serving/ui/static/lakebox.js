// Small helpers shared by the UI's pages. No framework: the pages are rendered on the server.
"use strict";

const lakebox = {
  // POST JSON to `url` and return the decoded answer; an error answer throws its message.
  async post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) {
      const detail = answer.error || answer.detail || response.statusText;
      throw new Error(answer.hint ? `${detail}\n${answer.hint}` : String(detail));
    }
    return answer;
  },

  // Escape text for HTML.
  escape(value) {
    return String(value ?? "").replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  },

  // Render {columns, rows} as a table.grid into `element`.
  grid(element, result) {
    const names = result.columns.map((c) => c.name);
    const numeric = result.columns.map((c) => /int|float|double|decimal/i.test(c.type));
    const head = names.map((n) => `<th>${lakebox.escape(n)}</th>`).join("");
    const body = result.rows.map((row) => "<tr>" + names.map((n, i) =>
      `<td${numeric[i] ? ' class="num"' : ""}>${row[n] === null ? '<span class="muted">NULL</span>' : lakebox.escape(row[n])}</td>`
    ).join("") + "</tr>").join("");
    element.innerHTML = `<table class="grid"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  },
};
