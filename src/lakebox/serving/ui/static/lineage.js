// The lineage graph: tables and what uses them (dashboards, charts, …) drawn as boxes in
// layers left to right by depth (landing → formatted → models → consumers), each table
// expandable to its columns. Clicking a column lights its upstream and downstream path and
// dims the rest; the side panel says where the selected node comes from and goes to, and
// lists the landing objects behind a landing node. Drawn in SVG with no library; every text
// is set as text (never HTML). The state is in the DOM for tests: `data-state` on the root,
// `data-expanded` on boxes, the classes `lit`, `dim`, `selected` and `start`.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const SIZE = { width: 210, header: 40, row: 22, pad: 6, gap: 20, layerGap: 80, margin: 20 };
  const TABLE_KINDS = new Set(["landing", "table"]);
  const LABEL_CHARACTERS = 27;
  const SWEEPS = 4;
  const MIN_ZOOM = 0.3;
  const MIN_FIT = 0.6;  // fitting the width never makes the text smaller than this
  const MAX_ZOOM = 2;

  // -- the graph as boxes (tables and consumers) holding their columns, and links ----------

  function model(data) {
    const boxes = new Map();
    const columns = new Map();
    for (const node of data.graph.nodes) {
      if (node.kind !== "column") boxes.set(node.id, { ...node, columns: [], expanded: false });
    }
    for (const node of data.graph.nodes) {
      if (node.kind === "column" && boxes.has(node.table)) {
        columns.set(node.id, node);
        boxes.get(node.table).columns.push(node);
      }
    }
    const known = (id) => boxes.has(id) || columns.has(id);
    const links = data.graph.links.filter((link) => known(link.source) && known(link.target));
    const into = new Map();
    const outOf = new Map();
    for (const link of links) {
      link.key = `${link.source}\u2192${link.target}`;
      if (!into.has(link.target)) into.set(link.target, []);
      if (!outOf.has(link.source)) outOf.set(link.source, []);
      into.get(link.target).push(link);
      outOf.get(link.source).push(link);
    }
    return { start: data.start, boxes, columns, links, into, outOf, landing: data.landing || {} };
  }

  function boxOf(graph, id) {
    return graph.boxes.has(id) ? id : graph.columns.has(id) ? graph.columns.get(id).table : null;
  }

  function node(graph, id) {
    return graph.boxes.get(id) || graph.columns.get(id);
  }

  // -- layout: layers by longest path from the sources, ordered by barycentres --------------

  function boxEdges(graph) {
    const edges = new Map([...graph.boxes.keys()].map((id) => [id, new Set()]));
    for (const link of graph.links) {
      const upper = boxOf(graph, link.source);
      const lower = boxOf(graph, link.target);
      if (upper && lower && upper !== lower) edges.get(upper).add(lower);
    }
    return edges;
  }

  function ranks(graph, edges) {
    const incoming = new Map([...graph.boxes.keys()].map((id) => [id, 0]));
    for (const targets of edges.values()) for (const id of targets) incoming.set(id, incoming.get(id) + 1);
    const rank = new Map([...graph.boxes.keys()].map((id) => [id, 0]));
    const queue = [...graph.boxes.keys()].filter((id) => incoming.get(id) === 0);
    while (queue.length) {  // a box left in a cycle keeps the rank reached so far
      const id = queue.shift();
      for (const next of edges.get(id)) {
        rank.set(next, Math.max(rank.get(next), rank.get(id) + 1));
        incoming.set(next, incoming.get(next) - 1);
        if (incoming.get(next) === 0) queue.push(next);
      }
    }
    const tables = [...graph.boxes.values()].filter((box) => TABLE_KINDS.has(box.kind));
    const consumers = tables.length ? Math.max(...tables.map((box) => rank.get(box.id))) + 1 : 0;
    for (const box of graph.boxes.values()) {
      if (!TABLE_KINDS.has(box.kind)) rank.set(box.id, Math.max(rank.get(box.id), consumers));
    }
    return rank;
  }

  function layers(graph) {
    const edges = boxEdges(graph);
    const rank = ranks(graph, edges);
    const count = Math.max(0, ...rank.values()) + 1;
    const order = Array.from({ length: count }, () => []);
    const byKind = (a, b) => (a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind.localeCompare(b.kind));
    for (const box of [...graph.boxes.values()].sort(byKind)) order[rank.get(box.id)].push(box.id);
    const upstream = new Map([...graph.boxes.keys()].map((id) => [id, []]));
    for (const [id, targets] of edges) for (const target of targets) upstream.get(target).push(id);
    for (let sweep = 0; sweep < SWEEPS; sweep += 1) {
      for (let r = 1; r < count; r += 1) reorder(order, r, upstream);
      for (let r = count - 2; r >= 0; r -= 1) reorder(order, r, new Map([...edges].map(([id, s]) => [id, [...s]])));
    }
    return order.filter((layer) => layer.length);
  }

  // Sort layer `r` by the mean position of each box's neighbours (in any other layer).
  function reorder(order, r, neighbours) {
    const position = new Map();
    for (const layer of order) layer.forEach((id, index) => position.set(id, index / Math.max(1, layer.length - 1)));
    const weight = new Map(order[r].map((id, index) => {
      const placed = (neighbours.get(id) || []).filter((other) => position.has(other) && !order[r].includes(other));
      const mean = placed.length ? placed.reduce((sum, other) => sum + position.get(other), 0) / placed.length : null;
      return [id, mean === null ? index / Math.max(1, order[r].length - 1) : mean];
    }));
    order[r].sort((a, b) => weight.get(a) - weight.get(b));
  }

  function heightOf(box) {
    return SIZE.header + (box.expanded && box.columns.length ? box.columns.length * SIZE.row + SIZE.pad : 0);
  }

  function place(graph, order) {
    const heights = order.map((layer) => layer.reduce((sum, id) => sum + heightOf(graph.boxes.get(id)) + SIZE.gap, -SIZE.gap));
    const tallest = Math.max(0, ...heights);
    order.forEach((layer, r) => {
      let y = SIZE.margin + (tallest - heights[r]) / 2;
      for (const id of layer) {
        const box = graph.boxes.get(id);
        Object.assign(box, { x: SIZE.margin + r * (SIZE.width + SIZE.layerGap), y });
        y += heightOf(box) + SIZE.gap;
      }
    });
    return {
      width: 2 * SIZE.margin + order.length * (SIZE.width + SIZE.layerGap) - SIZE.layerGap,
      height: 2 * SIZE.margin + tallest,
    };
  }

  // Where a link ends at `id`: its column's row when its table is expanded, else the header.
  function anchor(graph, id) {
    const box = graph.boxes.get(boxOf(graph, id));
    const index = box.columns.findIndex((column) => column.id === id);
    const y = box.expanded && index >= 0
      ? box.y + SIZE.header + SIZE.pad / 2 + (index + 0.5) * SIZE.row
      : box.y + SIZE.header / 2;
    return { box, y };
  }

  // -- drawing -------------------------------------------------------------------------------

  function element(name, attributes = {}, text = null) {
    const made = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) made.setAttribute(key, value);
    if (text !== null) made.textContent = text;
    return made;
  }

  function shortened(text, characters = LABEL_CHARACTERS) {
    return text.length > characters ? `${text.slice(0, characters - 1)}\u2026` : text;
  }

  function kindLine(graph, box) {
    if (box.kind === "landing") {
      const found = graph.landing[box.id];
      if (!found || found.hidden) return "landing";
      return `landing \u00b7 ${found.total} object${found.total === 1 ? "" : "s"}`;
    }
    const columns = box.columns.length ? ` \u00b7 ${box.columns.length} columns` : "";
    return `${box.kind}${columns}`;
  }

  function drawBox(graph, box) {
    const group = element("g", {
      class: `lineage-node kind-${box.kind}`, "data-id": box.id, "data-kind": box.kind,
      "data-expanded": String(box.expanded), transform: `translate(${box.x},${box.y})`,
    });
    group.append(element("title", {}, box.id));
    group.append(element("rect", { class: "box", width: SIZE.width, height: heightOf(box), rx: 6 }));
    const header = element("g", { class: "lineage-header", tabindex: "0", role: "button", "data-id": box.id });
    header.append(element("rect", { class: "header", width: SIZE.width, height: SIZE.header, rx: 6 }));
    const marker = box.columns.length ? (box.expanded ? "\u25be " : "\u25b8 ") : "";
    header.append(element("text", { class: "kind", x: 10, y: 14 }, kindLine(graph, box)));
    header.append(element("text", { class: "label", x: 10, y: 31 }, marker + shortened(box.label)));
    group.append(header);
    if (box.expanded) box.columns.forEach((column, index) => group.append(drawColumn(column, index)));
    return group;
  }

  function drawColumn(column, index) {
    const y = SIZE.header + SIZE.pad / 2 + index * SIZE.row;
    const row = element("g", {
      class: "lineage-column", "data-id": column.id, "data-table": column.table,
      tabindex: "0", role: "button", transform: `translate(0,${y})`,
    });
    row.append(element("title", {}, column.id));
    row.append(element("rect", { class: "row", x: 4, width: SIZE.width - 8, height: SIZE.row - 2, rx: 3 }));
    row.append(element("text", { x: 14, y: 15 }, shortened(column.label, 30)));
    return row;
  }

  function drawLink(graph, link) {
    const from = anchor(graph, link.source);
    const to = anchor(graph, link.target);
    if (from.box === to.box) return null;
    const x1 = from.box.x + SIZE.width;
    const x2 = to.box.x;
    const bend = Math.max(40, Math.abs(x2 - x1) / 2);
    const grain = graph.boxes.has(link.source) && graph.boxes.has(link.target) ? "table-link" : "column-link";
    const path = element("path", {
      class: `lineage-link ${grain}`, "data-source": link.source, "data-target": link.target,
      "data-how": link.how, "data-key": link.key,
      d: `M${x1},${from.y} C${x1 + bend},${from.y} ${x2 - bend},${to.y} ${x2},${to.y}`,
    });
    path.append(element("title", {}, `${link.source} \u2192 ${link.target}: ${link.how}`));
    return path;
  }

  // A column link is drawn when one of its ends shows as a column row.
  function drawn(graph, link) {
    if (graph.boxes.has(link.source) && graph.boxes.has(link.target)) return true;
    const shows = (id) => graph.columns.has(id) && graph.boxes.get(graph.columns.get(id).table).expanded;
    return shows(link.source) || shows(link.target);
  }

  function draw(view) {
    const { graph } = view;
    const size = place(graph, view.order);
    if (view.zoom === null) view.zoom = fitting(view, size);
    const svg = element("svg", {
      class: "lineage-svg", width: Math.round(size.width * view.zoom), height: Math.round(size.height * view.zoom),
      viewBox: `0 0 ${size.width} ${size.height}`, role: "img",
      "aria-label": `Lineage of ${graph.start}`,
    });
    svg.append(element("defs"));
    const links = element("g", { class: "links" });
    for (const link of graph.links) {
      const path = drawn(graph, link) ? drawLink(graph, link) : null;
      if (path) links.append(path);
    }
    const boxes = element("g", { class: "boxes" });
    for (const layer of view.order) for (const id of layer) boxes.append(drawBox(graph, graph.boxes.get(id)));
    svg.append(links, boxes);
    const focused = focusedItem(view);
    view.canvas.replaceChildren(svg);
    if (focused) refocus(svg, focused);
    view.size = size;
    view.root.dataset.zoom = view.zoom.toFixed(2);
    paint(view);
  }

  // The box header or column row that has the keyboard's focus, to give it back once redrawn.
  function focusedItem(view) {
    const active = document.activeElement;
    if (!active || !view.canvas.contains(active) || !active.dataset.id) return null;
    return { kind: active.classList.contains("lineage-column") ? "lineage-column" : "lineage-header", id: active.dataset.id };
  }

  function refocus(svg, focused) {
    const again = svg.querySelector(`.${focused.kind}[data-id="${CSS.escape(focused.id)}"]`);
    if (again) again.focus({ preventScroll: true });
  }

  // The zoom showing the whole graph's width in the canvas (never below MIN_FIT, never
  // larger than life).
  function fitting(view, size) {
    const room = view.canvas.clientWidth - 2;
    return room > 0 ? Math.min(1, Math.max(MIN_FIT, room / size.width)) : 1;
  }

  function zoom(view, factor) {
    view.zoom = factor === null ? null : Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom * factor));
    draw(view);
  }

  // -- selection: a column's path, or a table's -----------------------------------------------

  // Follow links from `start` one way: from a column through columns (a link into a table
  // or a consumer is lit and ends there); from a table or consumer through tables only.
  function walk(graph, start, upstream, lit, links) {
    const byColumn = graph.columns.has(start);
    const queue = [start];
    const seen = new Set(queue);
    while (queue.length) {
      const id = queue.shift();
      for (const link of (upstream ? graph.into : graph.outOf).get(id) || []) {
        const next = upstream ? link.source : link.target;
        if (!byColumn && !graph.boxes.has(next)) continue;
        links.add(link.key);
        lit.add(next);
        const goesOn = byColumn ? graph.columns.has(next) : true;
        if (goesOn && !seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  }

  function pathOf(graph, id) {
    const lit = new Set([id]);
    const links = new Set();
    walk(graph, id, true, lit, links);
    walk(graph, id, false, lit, links);
    return { lit, links };
  }

  function select(view, id) {
    const { graph } = view;
    view.selected = id;
    view.path = pathOf(graph, id);
    for (const litId of view.path.lit) {
      if (graph.columns.has(litId)) graph.boxes.get(graph.columns.get(litId).table).expanded = true;
    }
    draw(view);
    details(view);
    const shown = view.canvas.querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (shown && shown.scrollIntoView) shown.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function clear(view) {
    view.selected = null;
    view.path = null;
    paint(view);
    details(view);
  }

  function paint(view) {
    const svg = view.canvas.querySelector("svg");
    if (!svg) return;
    const path = view.path;
    view.root.dataset.selected = view.selected || "";
    for (const item of svg.querySelectorAll(".lineage-node, .lineage-column")) {
      const id = item.dataset.id;
      const onPath = path && (path.lit.has(id) || (item.classList.contains("lineage-node") && hasLitColumn(view, id)));
      item.classList.toggle("lit", Boolean(path && path.lit.has(id)));
      item.classList.toggle("on-path", Boolean(onPath));
      item.classList.toggle("dim", Boolean(path && !onPath));
      item.classList.toggle("selected", id === view.selected);
      item.classList.toggle("start", id === view.graph.start);
    }
    for (const link of svg.querySelectorAll(".lineage-link")) {
      const lit = Boolean(path && path.links.has(link.dataset.key));
      link.classList.toggle("lit", lit);
      link.classList.toggle("dim", Boolean(path && !lit));
    }
  }

  function hasLitColumn(view, boxId) {
    return view.graph.boxes.get(boxId).columns.some((column) => view.path.lit.has(column.id));
  }

  // -- the side panel ---------------------------------------------------------------------------

  function html(name, attributes = {}, text = null) {
    const made = document.createElement(name);
    for (const [key, value] of Object.entries(attributes)) made.setAttribute(key, value);
    if (text !== null) made.textContent = text;
    return made;
  }

  function pageOf(graph, item) {
    if (item.kind === "dashboard") return `/dashboards/${encodeURIComponent(item.id.slice("dashboard:".length))}`;
    if (item.kind === "chart") return `/dashboards/${encodeURIComponent(item.id.slice("chart:".length).split("/")[0])}`;
    const table = item.kind === "column" ? item.table : item.id;
    if (!graph.boxes.has(table) || graph.boxes.get(table).kind !== "table") return null;
    const [zone, ...name] = table.split(".");
    return `/catalog/${encodeURIComponent(zone)}/${encodeURIComponent(name.join("."))}`;
  }

  function linkList(view, title, links, upstream, className) {
    const section = html("section", { class: className });
    section.append(html("h3", {}, title));
    if (!links.length) {
      section.append(html("p", { class: "muted" }, "nothing here"));
      return section;
    }
    const list = html("ul");
    for (const link of links) {
      const other = upstream ? link.source : link.target;
      const item = html("li");
      const follow = html("button", { type: "button", class: "lineage-follow", "data-id": other }, other);
      item.append(follow, html("span", { class: "muted how" }, ` ${link.how}`));
      list.append(item);
    }
    section.append(list);
    return section;
  }

  function landingList(view, boxId) {
    const found = view.graph.landing[boxId];
    if (!found) return null;  // an answer without the landing objects (the lineage API's)
    const section = html("section", { class: "lineage-landing" });
    section.append(html("h3", {}, "Landing objects"));
    if (found.hidden) {
      section.append(html("p", { class: "muted" }, "Hidden from you: the landing objects need a grant of landing.manifest."));
      return section;
    }
    const shown = found.objects.length;
    section.append(html("p", { class: "muted" }, shown ? `The latest ${shown} of ${found.total}, newest first.` : "None landed yet."));
    const list = html("ul", { class: "lineage-objects" });
    for (const object of found.objects) {
      const item = html("li", { class: "lineage-object", "data-batch": object.batch_id });
      item.append(html("code", { class: "batch" }, object.batch_id));
      item.append(html("div", { class: "path", title: object.original_path || "" }, object.path || object.original_path || ""));
      const rows = object.rows === null || object.rows === undefined ? "" : ` \u00b7 ${lakebox.number(object.rows)} rows`;
      item.append(html("div", { class: "muted" }, `landed ${object.received_at.replace("T", " ").slice(0, 19)} UTC \u00b7 ${object.status}${rows}`));
      list.append(item);
    }
    section.append(list);
    return section;
  }

  function details(view) {
    const panel = view.details;
    const { graph } = view;
    const id = view.selected;
    if (!id) {
      panel.replaceChildren(html("p", { class: "muted" }, "Select a table or a column to see where it comes from and what uses it."));
      return;
    }
    const item = node(graph, id);
    const parts = [html("h3", { class: "lineage-selected" }, item.label), html("p", { class: "muted" }, `${item.kind} \u00b7 ${id}`)];
    const page = pageOf(graph, item);
    const actions = html("p", { class: "actions" });
    if (page) actions.append(html("a", { href: page }, item.kind === "dashboard" || item.kind === "chart" ? "Open the dashboard" : "Open the table"), " ");
    if (id !== graph.start) actions.append(html("a", { href: `/lineage?node=${encodeURIComponent(id)}` }, "Lineage from here"));
    parts.push(actions);
    parts.push(linkList(view, "Comes from", graph.into.get(id) || [], true, "lineage-upstream"));
    parts.push(linkList(view, "Goes to", graph.outOf.get(id) || [], false, "lineage-downstream"));
    const box = graph.boxes.get(boxOf(graph, id));
    const landed = box.kind === "landing" ? landingList(view, box.id) : null;
    if (landed) parts.push(landed);
    panel.replaceChildren(...parts);
  }

  // -- events and loading ------------------------------------------------------------------------

  function activate(view, target) {
    const column = target.closest(".lineage-column");
    if (column) return select(view, column.dataset.id);
    const header = target.closest(".lineage-header");
    if (!header) return clear(view);
    const box = view.graph.boxes.get(header.dataset.id);
    if (box.columns.length) box.expanded = !box.expanded;
    return select(view, box.id);
  }

  function listen(view) {
    view.canvas.addEventListener("click", (event) => activate(view, event.target));
    view.canvas.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      activate(view, event.target);
    });
    view.details.addEventListener("click", (event) => {
      const follow = event.target.closest(".lineage-follow");
      if (follow && node(view.graph, follow.dataset.id)) select(view, follow.dataset.id);
    });
    view.root.querySelector(".lineage-clear").addEventListener("click", () => clear(view));
    view.root.querySelector(".lineage-columns").addEventListener("change", (event) => {
      for (const box of view.graph.boxes.values()) box.expanded = event.target.checked && box.columns.length > 0;
      draw(view);
    });
    view.root.querySelector(".lineage-zoom-in").addEventListener("click", () => zoom(view, 1.25));
    view.root.querySelector(".lineage-zoom-out").addEventListener("click", () => zoom(view, 0.8));
    view.root.querySelector(".lineage-fit").addEventListener("click", () => zoom(view, null));
    for (const name of [".lineage-direction", ".lineage-depth"]) {
      view.root.querySelector(name).addEventListener("change", () => load(view));
    }
  }

  function show(view, data) {
    const previous = view.graph;
    view.graph = model(data);
    for (const box of view.graph.boxes.values()) {
      const before = previous && previous.boxes.get(box.id);
      box.expanded = Boolean(before && before.expanded) || view.root.querySelector(".lineage-columns").checked;
    }
    view.order = layers(view.graph);
    const tables = [...view.graph.boxes.values()].filter((box) => TABLE_KINDS.has(box.kind)).length;
    view.state.textContent = `${tables} table${tables === 1 ? "" : "s"}, ${view.graph.columns.size} columns, ${view.graph.links.length} links`;
    const keep = view.selected && node(view.graph, view.selected) ? view.selected : null;
    const first = keep || (view.graph.columns.has(view.graph.start) ? view.graph.start : null);
    if (first) select(view, first);
    else {
      view.selected = null;
      view.path = null;
      draw(view);
      details(view);
    }
    view.root.dataset.state = "ready";
  }

  async function load(view) {
    view.root.dataset.state = "loading";
    view.state.textContent = "Loading the lineage\u2026";
    const query = new URLSearchParams({ node: view.root.dataset.node });
    const direction = view.root.querySelector(".lineage-direction").value;
    const depth = view.root.querySelector(".lineage-depth").value;
    if (direction) query.set("direction", direction);
    if (depth) query.set("depth", depth);
    try {
      const response = await fetch(`${view.root.dataset.source}?${query}`);
      const answer = await response.json().catch(() => ({ error: response.statusText }));
      lakebox.failure(view.error, null);
      if (response.ok) return show(view, answer);
      if (response.status === 404) return absent(view);
      throw Object.assign(new Error(answer.error || answer.detail || `HTTP ${response.status}`), { hint: answer.hint || "" });
    } catch (error) {
      view.root.dataset.state = "error";
      view.state.textContent = "";
      view.canvas.replaceChildren();
      lakebox.failure(view.error, error);
    }
  }

  // A node the graph does not hold (a table no source, model or dashboard links): no drawing.
  function absent(view) {
    view.root.dataset.state = "absent";
    view.canvas.replaceChildren();
    view.details.replaceChildren();
    view.state.textContent = "Not in the lineage graph: no source, model or dashboard links it.";
  }

  function start(root) {
    const view = {
      root,
      canvas: root.querySelector(".lineage-canvas"),
      details: root.querySelector(".lineage-details"),
      error: root.querySelector(".lineage-error"),
      state: root.querySelector(".lineage-state"),
      graph: null, order: [], selected: null, path: null, zoom: null,
    };
    listen(view);
    const embedded = root.querySelector("script.lineage-data");
    if (embedded) show(view, JSON.parse(embedded.textContent));
    else load(view);
  }

  for (const root of document.querySelectorAll(".lineage[data-node]")) start(root);
})();
