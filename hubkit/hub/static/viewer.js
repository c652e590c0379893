// The dataset viewer page: fills the frame webui.py serves from the hub's /viewer/ JSON routes
// (the dataset viewer API's own shapes: /splits, /rows, /search, /statistics).
// Plain DOM, no framework, nothing from the network. Every value from a dataset is put in the
// page as text (textContent), never as markup, so a cell cannot inject HTML.
"use strict";

(() => {
  const root = document.getElementById("viewer");
  const embedded = root.dataset.embedded === "true";  // on the dataset's page, above its card
  const PAGE_SIZE = embedded ? 10 : 25;  // rows per page (the API allows up to 100)
  const CUT = 160;  // characters shown of a long value before "…"; a click shows the rest
  const $ = (id) => document.getElementById(id);
  const state = {
    dataset: root.dataset.dataset, revision: root.dataset.revision,
    config: root.dataset.config, split: root.dataset.split,
    splits: [], features: [], offset: 0, query: "", total: 0, request: 0,
  };

  async function api(route, params) {
    const query = new URLSearchParams({ dataset: state.dataset, ...params });
    if (state.revision) query.set("revision", state.revision);
    const response = await fetch(`/viewer/${route}?${query}`, { credentials: "same-origin" });
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (!response.ok) {
      throw new Error((body && body.error) || `${route}: the hub answered ${response.status}`);
    }
    return body;
  }

  function make(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function fill(select, values, chosen) {
    select.replaceChildren(...values.map((value) => {
      const option = make("option", "", value);
      option.value = value;
      option.selected = value === chosen;
      return option;
    }));
  }

  function showStatus(text, isError) {
    $("status").textContent = text;
    $("status").classList.toggle("error", Boolean(isError));
  }

  function isList(type) {
    return type._type === "Sequence" || type._type === "List" || type._type === "LargeList";
  }

  function typeLabel(type) {
    if (!type) return "";
    if (type._type === "ClassLabel") return `class label · ${type.names.length} classes`;
    if (type._type === "Value") return type.dtype;
    if (isList(type)) return type.feature && type.feature._type === "ClassLabel" ? "list of class labels" : "list";
    if (Array.isArray(type)) return "list";
    return type._type || "struct";
  }

  function labelName(names, value) {
    return Number.isInteger(value) && value >= 0 && value < names.length ? names[value] : "no label";
  }

  // ---------------------------------------------------------------- configs and splits

  async function loadSplits() {
    const answer = await api("splits", {});
    state.splits = answer.splits;
    if (!state.splits.length) throw new Error("This dataset has no splits the viewer can read.");
    const configs = [...new Set(state.splits.map((s) => s.config))];
    if (!configs.includes(state.config)) state.config = configs[0];
    fill($("config"), configs, state.config);
    chooseSplit(state.split);
  }

  function chooseSplit(wanted) {
    const names = state.splits.filter((s) => s.config === state.config).map((s) => s.split);
    state.split = names.includes(wanted) ? wanted : names[0];
    fill($("split"), names, state.split);
  }

  // The address bar follows the reader, as on huggingface.co (…/viewer/CONFIG/SPLIT?q=…&p=…),
  // so a page of rows or of search results can be linked to.
  function rememberLocation() {
    if (embedded) return;  // the dataset page's address stays its own
    const path = `${root.dataset.base}/${encodeURIComponent(state.config)}/${encodeURIComponent(state.split)}`;
    const query = new URLSearchParams(root.dataset.querySuffix);
    if (state.query) query.set("q", state.query);
    if (state.offset) query.set("p", String(state.offset / PAGE_SIZE));
    const search = query.toString();
    history.replaceState(null, "", search ? `${path}?${search}` : path);
  }

  function readLocation() {
    if (embedded) return;
    const query = new URLSearchParams(location.search);
    state.query = (query.get("q") || "").trim();
    $("query").value = state.query;
    const page = Number.parseInt(query.get("p") || "0", 10);
    state.offset = Number.isInteger(page) && page > 0 ? page * PAGE_SIZE : 0;
  }

  // ---------------------------------------------------------------- the table

  function cellText(value) {
    if (value === null || value === undefined) return null;
    if (typeof value === "string") return value;
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function renderCell(feature, value) {
    const td = make("td");
    const type = feature.type || {};
    if (value === null || value === undefined) {
      td.append(make("span", "null", "null"));
      return td;
    }
    if (type._type === "ClassLabel" && Number.isInteger(value)) {
      td.className = "label";
      td.append(make("span", "label-name", labelName(type.names, value)), make("span", "label-id", ` ${value}`));
      return td;
    }
    // A list of class labels (token tags) shows the names too, e.g. ["B-ORG", "O"].
    const labels = isList(type) && type.feature && type.feature._type === "ClassLabel" && Array.isArray(value);
    const text = labels ? JSON.stringify(value.map((v) => labelName(type.feature.names, v))) : cellText(value);
    if (typeof value === "number") td.className = "number";
    if (text.length <= CUT) {
      td.textContent = text;
      return td;
    }
    // Long values are cut; a click (or Enter) shows the whole value and a second one cuts it again.
    td.className = "cut";
    td.tabIndex = 0;
    td.title = `${text.length} characters: click to show all`;
    const show = (full) => {
      td.textContent = full ? text : `${text.slice(0, CUT)}…`;
      td.classList.toggle("expanded", full);
    };
    show(false);
    const toggle = () => show(!td.classList.contains("expanded"));
    td.addEventListener("click", toggle);
    td.addEventListener("keydown", (event) => { if (event.key === "Enter") toggle(); });
    return td;
  }

  function renderHeader(features) {
    const names = make("tr");
    names.append(make("th", "row-idx", "#"));
    for (const feature of features) {
      const th = make("th");
      th.dataset.column = feature.name;
      th.append(make("div", "column-name", feature.name), make("div", "column-type", typeLabel(feature.type)));
      names.append(th);
    }
    const stats = make("tr", "stats");
    stats.append(make("td", "row-idx"));
    for (const feature of features) {
      const td = make("td");
      td.dataset.column = feature.name;
      stats.append(td);
    }
    $("rows").tHead.replaceChildren(names, stats);
  }

  function renderRows(answer) {
    const body = $("rows").tBodies[0];
    body.replaceChildren(...answer.rows.map((item) => {
      const tr = make("tr");
      tr.dataset.rowIdx = item.row_idx;
      tr.append(make("td", "row-idx", String(item.row_idx)));
      for (const feature of state.features) tr.append(renderCell(feature, item.row[feature.name]));
      return tr;
    }));
  }

  function renderPager(shown) {
    const first = shown ? state.offset + 1 : 0;
    const last = state.offset + shown;
    const noun = state.query ? "matching rows" : "rows";
    $("range").textContent = `${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")} of `
      + `${state.total.toLocaleString("en-US")} ${noun}`;
    $("prev").disabled = state.offset === 0;
    $("next").disabled = last >= state.total;
  }

  async function loadRows() {
    const ticket = ++state.request;  // answers to superseded requests are dropped
    rememberLocation();
    showStatus(state.query ? `Searching for “${state.query}”…` : "Loading rows…");
    const params = { config: state.config, split: state.split, offset: state.offset, length: PAGE_SIZE };
    let answer;
    try {
      answer = state.query ? await api("search", { ...params, query: state.query }) : await api("rows", params);
    } catch (error) {
      if (ticket === state.request) showStatus(error.message, true);
      return;
    }
    if (ticket !== state.request) return;
    const columns = answer.features.map((f) => f.name).join("\n");
    if (columns !== state.features.map((f) => f.name).join("\n") || !$("rows").tHead.rows.length) {
      state.features = answer.features;
      renderHeader(state.features);
      loadStatistics();
    }
    state.total = answer.num_rows_total;
    renderRows(answer);
    renderPager(answer.rows.length);
    showStatus(answer.partial ? "Partial: only the first part of this split is shown." : "");
  }

  // ---------------------------------------------------------------- per-column statistics

  const SVG = "http://www.w3.org/2000/svg";

  function svgElement(tag, attributes) {
    const element = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    return element;
  }

  // Small bar chart: one bar per bin (or per class), heights relative to the largest.
  function bars(counts, labels) {
    const width = 140, height = 36, gap = 1;
    const svg = svgElement("svg", { class: "histogram", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    const top = Math.max(1, ...counts);
    const step = width / Math.max(1, counts.length);
    counts.forEach((count, i) => {
      const h = count ? Math.max(1, (count / top) * (height - 2)) : 0;
      const bar = svgElement("rect", { x: i * step, y: height - h, width: Math.max(1, step - gap), height: h });
      bar.append(svgElement("title", {}));
      bar.firstChild.textContent = `${labels[i]}: ${count.toLocaleString("en-US")}`;
      svg.append(bar);
    });
    return svg;
  }

  function roundish(value) {
    return Number.isInteger(value) ? value.toLocaleString("en-US") : Number(value).toPrecision(4);
  }

  function statisticsCell(column) {
    const stats = column.column_statistics || {};
    const cell = make("div", "column-stats");
    cell.dataset.kind = column.column_type;
    if (stats.histogram && stats.histogram.hist && stats.histogram.hist.length) {
      const edges = stats.histogram.bin_edges;
      const labels = stats.histogram.hist.map((_, i) => `${roundish(edges[i])}–${roundish(edges[i + 1])}`);
      cell.append(bars(stats.histogram.hist, labels));
      const what = column.column_type === "string_text" ? "length " : column.column_type === "list" ? "items " : "";
      cell.append(make("div", "caption", `${what}${roundish(stats.min)} – ${roundish(stats.max)}`));
    } else if (stats.frequencies) {
      const entries = Object.entries(stats.frequencies).sort((a, b) => b[1] - a[1]);
      cell.append(bars(entries.map((e) => e[1]), entries.map((e) => e[0])));
      const total = entries.reduce((sum, e) => sum + e[1], 0) || 1;
      const [name, count] = entries[0] || ["", 0];
      cell.append(make("div", "caption", `${entries.length} classes · ${name} ${Math.round((100 * count) / total)}%`));
    }
    if (stats.nan_count) cell.append(make("div", "caption", `${stats.nan_count.toLocaleString("en-US")} null`));
    return cell;
  }

  async function loadStatistics() {
    const split = `${state.config}\n${state.split}`;
    let answer;
    try {
      answer = await api("statistics", { config: state.config, split: state.split });
    } catch (error) {
      return;  // statistics are a bonus: the table stands without them
    }
    if (split !== `${state.config}\n${state.split}`) return;  // the reader moved on meanwhile
    for (const column of answer.statistics || []) {
      const td = [...$("rows").tHead.querySelectorAll("tr.stats td")].find((c) => c.dataset.column === column.column_name);
      if (td) td.replaceChildren(statisticsCell(column));
    }
  }

  // ---------------------------------------------------------------- wiring

  // A new config or split: a new table, from its first row (the search, if any, is kept).
  async function restart(offset = 0) {
    state.offset = offset;
    state.features = [];
    $("rows").tHead.replaceChildren();
    $("rows").tBodies[0].replaceChildren();
    await loadRows();
  }

  $("config").addEventListener("change", () => { state.config = $("config").value; chooseSplit(""); restart(); });
  $("split").addEventListener("change", () => { state.split = $("split").value; restart(); });
  $("controls").addEventListener("submit", (event) => {
    event.preventDefault();
    state.query = $("query").value.trim();
    state.offset = 0;
    loadRows();
  });
  $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); loadRows(); });
  $("next").addEventListener("click", () => { state.offset += PAGE_SIZE; loadRows(); });

  readLocation();
  loadSplits().then(() => restart(state.offset)).catch((error) => {
    if (embedded) {  // a dataset without readable data files: say so, without an empty table
      for (const id of ["controls", "pager"]) $(id).hidden = true;
      root.querySelector(".table-wrap").hidden = true;
      showStatus(`The dataset viewer is not available for this dataset: ${error.message}`);
    } else {
      showStatus(error.message, true);
    }
  });
})();
