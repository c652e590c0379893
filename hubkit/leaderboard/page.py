"""``index.html``: the leaderboard as one static page with no external assets.

Everything is inline (style, a small sorting script, SVG interval bars), and a Content Security
Policy forbids loading anything else, so the page works offline, from a file, and on any hub that
serves it (a static Space: ``/spaces/<ns>/<name>`` on huggingface.co and on hubkit's hub). Text from the hub (model ids)
is escaped; values travel in ``data-value`` attributes, never inside the script.

Sorting: a click on a column header sorts by that column, ascending first, then descending; rows
with no value stay last; equal values keep the leaderboard order. ``aria-sort`` on the header
says the current order (screen readers, and tests, read it).
"""

from __future__ import annotations

import html
from typing import Any

from hubkit.leaderboard.render import method_lines

BAR_WIDTH = 180
BAR_HEIGHT = 20
STATUS_CLASS = {"reproduced": "ok", "failed reproduction": "bad", "self-reported": "self", "evaluated": "eval"}
STATUS_TEXT = {"reproduced": "✓ reproduced", "failed reproduction": "✗ failed reproduction",
               "self-reported": "self-reported", "evaluated": "evaluated here"}
GROUP_COLOURS = ["#1f6feb", "#8250df", "#bf3989", "#bc4c00", "#1a7f37", "#0a7ea4"]

STYLE = """
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:1180px;margin:0 auto;padding:20px 28px}h1{font-size:24px;margin:0 0 4px}
.sub{color:#57606a;margin:0 0 14px}.method{color:#3d444d;font-size:13px;line-height:1.45;max-width:980px}
table{border-collapse:collapse;width:100%;font-size:14px;margin-top:12px}
th{text-align:left;border-bottom:2px solid #d0d7de;padding:0;white-space:nowrap;background:#f6f8fa}
th button{all:unset;cursor:pointer;display:block;padding:8px 10px;font-weight:600}
th button:focus-visible{outline:2px solid #1f6feb}th .arrow{color:#8c959f;font-size:11px;margin-left:4px}
th[aria-sort=ascending] .arrow::after{content:'▲';color:#1f2328}th[aria-sort=descending] .arrow::after{content:'▼';color:#1f2328}
th:not([aria-sort]) .arrow::after{content:'⇅'}th.static{padding:8px 10px;font-weight:600}
td{padding:7px 10px;border-bottom:1px solid #eaeef2;vertical-align:middle}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.odd td{background:#fafbfc}
td.model a{color:#0969da;text-decoration:none;font-weight:600}td.model a:hover{text-decoration:underline}
.group{display:inline-block;min-width:26px;text-align:center;border-radius:10px;color:#fff;font-size:12px;padding:1px 7px}
.badge{display:inline-block;font-size:12px;border-radius:10px;padding:2px 8px;border:1px solid}
.badge.ok{color:#1a7f37;border-color:#4ac26b;background:#dafbe1}.badge.bad{color:#cf222e;border-color:#ff8182;background:#ffebe9}
.badge.self{color:#57606a;border-color:#d0d7de;background:#f6f8fa}.badge.eval{color:#0969da;border-color:#80ccff;background:#ddf4ff}
.sha{font-family:ui-monospace,monospace;font-size:12px;color:#57606a}.warn{color:#9a6700;font-size:12px;display:block}
.axis{font-size:11px;color:#8c959f;font-weight:400;display:flex;justify-content:space-between;padding:0 10px 6px}
footer{color:#8c959f;font-size:12px;margin-top:18px}footer a{color:#57606a}
"""

SCRIPT = """
(function () {
  var table = document.getElementById('leaderboard');
  var body = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, column) {
    var button = th.querySelector('button');
    if (!button) { return; }
    button.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      var numeric = th.getAttribute('data-type') === 'number';
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute('data-value'), y = b.cells[column].getAttribute('data-value');
        var position = Number(a.getAttribute('data-position')) - Number(b.getAttribute('data-position'));
        if (x === '' || y === '') { return (x === '') - (y === '') || position; }
        var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return (ascending ? order : -order) || position;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    });
  });
})();
"""

# (header, data-type or None for a column that does not sort, cell-class)
COLUMNS = [("Rank", "number", "num"), ("Group", "number", "num"), ("Model", "text", "model"),
           ("Score", "number", "num"), ("95% CI", "number", "num"), ("Interval", None, "bar"),
           ("Status", "text", "status"), ("Reported", "number", "num"), ("Commit", "text", "sha")]


def render(doc: dict[str, Any], model_url: str | None = None, files_url: str | None = None) -> str:
    """The page. ``model_url`` prefixes model links (the hub endpoint); ``files_url`` the JSON/CSV links."""
    esc = html.escape
    metric = doc["metric"]
    data = doc["dataset"]
    scale = _scale(doc["entries"])
    head = "".join(_header(name, kind, metric["name"] if name == "Score" else None, scale if name == "Interval" else None)
                   for name, kind, _ in COLUMNS)
    rows = "".join(_row(i, e, scale, model_url) for i, e in enumerate(doc["entries"]))
    method = "".join(f"<p>{_inline(line)}</p>" for line in method_lines(doc))
    files = (files_url or "").rstrip("/")
    links = " · ".join(f"<a href='{esc(f'{files}/{name}' if files else name)}'>{name}</a>"
                       for name in ("leaderboard.json", "leaderboard.csv"))
    hubkit = doc["generated"].get("hubkit") or {}
    better = "higher" if metric["greater_is_better"] else "lower"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(doc['title'])}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{esc(doc['title'])}</h1>"
        f"<p class='sub'>{len(doc['entries'])} models · <b>{esc(data['name'])}</b> config <code>{esc(str(data['config']))}"
        f"</code> split <code>{esc(str(data['split']))}</code> · ranked by <b>{esc(metric['name'])}</b> ({better} is "
        f"better) · ties: <b>{esc(doc['method']['ties']['method'])}</b> · results: <b>"
        f"{esc(doc['method']['verification']['mode'])}</b></p>"
        f"<div class='method'>{method}</div>"
        f"<table id='leaderboard'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        f"<footer>Generated {esc(str(doc['generated'].get('date', '')))} by hubkit {esc(str(hubkit.get('version', '')))}"
        f" · {links} · schema version {doc['schema_version']}</footer>"
        f"</main><script>{SCRIPT}</script></body></html>\n")


def _header(name: str, kind: str | None, metric: str | None, scale: tuple[float, float] | None) -> str:
    label = html.escape(metric or name)
    if kind is None:
        axis = f"<div class='axis'><span>{scale[0]:.3f}</span><span>{scale[1]:.3f}</span></div>" if scale else ""
        return f"<th class='static'>{label}{axis}</th>"
    return (f"<th data-type='{kind}' data-column='{html.escape(name.lower())}'><button type='button'>{label}"
            f"<span class='arrow'></span></button></th>")


def _row(position: int, e: dict[str, Any], scale: tuple[float, float], model_url: str | None) -> str:
    esc = html.escape
    model = e["model"]["id"]
    href = f"{model_url.rstrip('/')}/{model}" if model_url else f"/{model}"
    ci = e["ci"]
    reported = e["reported"]
    revision = e["model"]["revision"] or ""
    colour = GROUP_COLOURS[(e["group"] - 1) % len(GROUP_COLOURS)]
    status = e["status"]
    title = ""
    if e["verification"]:
        tooltip = f"reported {_fmt(e['verification'].get('reported'))}, re-run {_fmt(e['verification']['value'])}"
        title = f" title='{esc(tooltip)}'"
    warnings = "".join(f"<span class='warn'>⚠ {esc(w)}</span>" for w in e["warnings"])
    cells = [
        _cell("num", e["rank"], str(e["rank"])),
        _cell("num", e["group"], f"<span class='group' style='background:{colour}'>{e['group']}</span>"),
        _cell("model", model, f"<a href='{esc(href)}'>{esc(model)}</a>{warnings}"),
        _cell("num", e["score"], f"<b>{e['score']:.4f}</b>"),
        _cell("num", ci[0] if ci else "", f"[{ci[0]:.4f}, {ci[1]:.4f}]" if ci else "n/a"),
        f"<td class='bar'>{_bar(e, scale, colour)}</td>",
        _cell("status", status, f"<span class='badge {STATUS_CLASS[status]}'{title}>{esc(STATUS_TEXT[status])}</span>"),
        _cell("num", reported["value"] if reported else "", f"{reported['value']:.4f}" if reported else ""),
        _cell("sha", revision, esc(revision[:10])),
    ]
    parity = "odd" if e["group"] % 2 == 0 else "even"
    return (f"<tr class='{parity}' data-position='{position}' data-model='{esc(model)}'>" + "".join(cells) + "</tr>")


def _inline(text: str) -> str:
    """The method's markdown emphasis and code spans as HTML (the text is escaped first)."""
    import re

    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def _cell(kind: str, value: Any, content: str) -> str:
    return f"<td class='{kind}' data-value='{html.escape(str(value))}'>{content}</td>"


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.4f}"


def _scale(entries: list[dict[str, Any]]) -> tuple[float, float]:
    """The common axis of the interval bars: every score, bound and reported value, padded a little."""
    values = [e["score"] for e in entries] + [v for e in entries if e["ci"] for v in e["ci"]]
    values += [e["reported"]["value"] for e in entries if e["reported"]]
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or 0.01
    return low - pad, high + pad


def _bar(e: dict[str, Any], scale: tuple[float, float], colour: str) -> str:
    """The score as a dot on its 95% interval; a failed claim shows as a red cross where it was claimed."""
    low, high = scale

    def x(value: float) -> float:
        return round(4 + (value - low) / (high - low) * (BAR_WIDTH - 8), 2)

    mid = BAR_HEIGHT / 2
    parts = [f"<line x1='4' x2='{BAR_WIDTH - 4}' y1='{mid}' y2='{mid}' stroke='#eaeef2' stroke-width='2'/>"]
    if e["ci"]:
        a, b = x(e["ci"][0]), x(e["ci"][1])
        parts.append(f"<rect x='{a}' y='{mid - 4}' width='{max(b - a, 1.5)}' height='8' rx='4' fill='{colour}' "
                     "fill-opacity='0.3' class='ci'/>")
    parts.append(f"<circle cx='{x(e['score'])}' cy='{mid}' r='4.5' fill='{colour}' class='score'/>")
    if e["status"] == "failed reproduction" and e["reported"]:
        c = x(e["reported"]["value"])
        parts.append(f"<path d='M{c - 4} {mid - 4}L{c + 4} {mid + 4}M{c - 4} {mid + 4}L{c + 4} {mid - 4}' "
                     "stroke='#cf222e' stroke-width='2' class='claimed'/>")
    return (f"<svg width='{BAR_WIDTH}' height='{BAR_HEIGHT}' viewBox='0 0 {BAR_WIDTH} {BAR_HEIGHT}' role='img' "
            f"aria-label='score {e['score']:.4f}'>{''.join(parts)}</svg>")
