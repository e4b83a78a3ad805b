// The edit form of a table page's dictionary section: it fills in what the chosen table or
// column declares or was given, and sends what changed with PUT /api/dictionary/... (with the
// page's CSRF token, through lakebox.request). Text users wrote is only ever set as values
// and textContent, never as HTML.
"use strict";

(() => {
  const settings = JSON.parse(document.getElementById("dictionary-settings").textContent);
  const form = document.getElementById("dictionary-edit");
  const target = document.getElementById("dictionary-target");
  const state = document.getElementById("dictionary-state");
  const problem = document.getElementById("dictionary-error");
  const listed = (text) => text.split(",").map((item) => item.trim()).filter(Boolean);

  function url() {
    const table = encodeURIComponent(settings.table);
    return target.value ? `/api/dictionary/${table}/${encodeURIComponent(target.value)}` : `/api/dictionary/${table}`;
  }

  function entry() {
    return settings.entries[target.value];
  }

  function fill() {
    const shown = entry();
    form.elements.description.value = shown.description || "";
    form.elements.owner.value = shown.owner || "";
    form.elements.tags.value = shown.tags.join(", ");
    form.elements.terms.value = shown.terms.join(", ");
    form.querySelector(".owner-field").hidden = Boolean(target.value);
    document.getElementById("dictionary-revert").disabled = shown.edited.length === 0;
    lakebox.failure(problem, null);
    state.textContent = "";
  }

  // The fields whose value differs from what the form was filled with.
  function changes() {
    const shown = entry();
    const given = {
      description: form.elements.description.value.trim(),
      tags: listed(form.elements.tags.value),
      terms: listed(form.elements.terms.value),
    };
    if (!target.value) given.owner = form.elements.owner.value.trim();
    const before = { description: shown.description || "", owner: shown.owner || "", tags: shown.tags, terms: shown.terms };
    return Object.fromEntries(
      Object.entries(given).filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(before[name])),
    );
  }

  async function send(body) {
    lakebox.failure(problem, null);
    if (Object.keys(body).length === 0) {
      state.textContent = "nothing changed";
      return;
    }
    state.textContent = "saving…";
    try {
      await lakebox.request(url(), {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      state.textContent = "saved";
      window.location.hash = target.value ? `dictionary-${target.value}` : "dictionary";
      window.location.reload();
    } catch (error) {
      state.textContent = "";
      lakebox.failure(problem, error);
    }
  }

  target.addEventListener("change", fill);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(changes());
  });
  document.getElementById("dictionary-revert").addEventListener("click", () => {
    send(Object.fromEntries(entry().edited.map((name) => [name, null])));
  });
  fill();
})();
