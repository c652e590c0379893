"""The few HTML pages a person looks at: the repo list, a repo's files with its card, and a
dataset's viewer.

Cards are rendered as huggingface.co renders them (:mod:`hubkit.hub.cardrender`: raw HTML kept but
sanitised, comments hidden, relative images resolved, code highlighted). The pages run no script,
except the viewer page's own file from ``/static/`` (:mod:`hubkit.hub.webui_static`), which reads
the ``/viewer/`` JSON routes with the page's cookies. Private repos show to their signed-in owner.
"""

from __future__ import annotations

import html
import urllib.parse

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from hubkit.hub import benchmarks, sessions, webui_static
from hubkit.hub.cardrender import render_card
from hubkit.hub.errors import HubError
from hubkit.hub.state import HubState

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
header{background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:12px 24px}
header a{color:#1f2328;text-decoration:none;font-weight:600}
main{max-width:1000px;margin:0 auto;padding:16px 24px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eaeef2;padding:6px 8px;text-align:left}
.badge{font-size:11px;border:1px solid #d0d7de;border-radius:8px;padding:1px 6px;margin-left:6px;color:#57606a}
.readme{border:1px solid #d0d7de;border-radius:6px;padding:8px 24px;margin-top:16px}
.readme img{max-width:100%}pre{background:#f6f8fa;padding:8px;overflow:auto}
.meta{color:#57606a;font-size:13px}
.badge.ok{color:#1a7f37;border-color:#1a7f37}.badge.bad{color:#cf222e;border-color:#cf222e}
h2{font-size:18px;margin-top:24px}
"""


# The hub's own pages run no script at all; a Space's page is framed, sandboxed, from /resolve.
# Stylesheets come from the hub itself; card images may come from anywhere over https.
PAGE_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; "
            "media-src 'self' https:; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
# The viewer page runs the hub's own script file (no inline script) and fetches /viewer/ JSON.
VIEWER_CSP = PAGE_CSP + "; script-src 'self'; connect-src 'self'"


def _page(title: str, body: str, status: int = 200, *, head: str = "", csp: str = PAGE_CSP) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style>{head}</head><body><header><a href='/'>hubkit hub</a></header>"
        f"<main>{body}</main></body></html>", status_code=status, headers={"Content-Security-Policy": csp})


def index(hub: HubState, request: Request) -> Response:
    viewer = sessions.principal(hub, request)
    sections = [_session_line(viewer, "/")]
    for repo_type, heading in (("model", "Models"), ("dataset", "Datasets"), ("space", "Spaces")):
        rows = []
        for repo in hub.repos.list(repo_type):
            if not hub.can_read(repo, viewer):
                continue
            updated = hub.repos.last_modified(repo)
            rows.append(f"<tr><td><a href='/{html.escape(repo.url_path)}'>{html.escape(repo.repo_id)}</a></td>"
                        f"<td class='meta'>{html.escape(updated)}</td></tr>")
        listing = "".join(rows) or "<tr><td class='meta'>none yet</td></tr>"
        sections.append(f"<h2>{heading}</h2><table>{listing}</table>")
    return _page("hubkit hub", "".join(sections))


def repo_page(hub: HubState, request: Request, repo_type: str, namespace: str, name: str, rest: list[str]) -> Response:
    repo = hub.repos.get(repo_type, namespace, name)
    viewer = sessions.principal(hub, request)
    if repo is None or not hub.can_read(repo, viewer):  # a private repo's page exists for its owner only
        hint = "" if viewer else f" {_session_line(None, request.url.path)}"
        return _page("Not found", f"<h1>404</h1><p>No {repo_type} {html.escape(namespace)}/"
                     f"{html.escape(name)} that you can see on this hub.</p>{hint}", status=404)
    revision = request.query_params.get("revision", "main")
    if rest[:1] in (["tree"], ["blob"]) and len(rest) >= 2:
        revision = urllib.parse.unquote(rest[1])
    try:
        sha = hub.repos.resolve(repo, revision)
    except HubError as error:
        return _page("Not found", f"<h1>404</h1><p>{html.escape(error.message)}</p>", status=404)
    if repo.type == "dataset" and rest[:1] == ["viewer"] and len(rest) <= 3:
        return _viewer_page(repo, revision, sha, [urllib.parse.unquote(s) for s in rest[1:]])
    tree = hub.repos.tree(repo, sha)
    commit = hub.repos.commit(repo, sha)
    base = f"/{repo.url_path}/resolve/{urllib.parse.quote(sha, safe='')}/"
    if repo.type == "space" and not rest and _is_static_space(hub, repo, tree):
        return _space_page(repo, base)
    rows = []
    for path, entry in sorted(tree.items()):
        badge = "<span class='badge'>LFS</span>" if entry.lfs else ""
        rows.append(f"<tr><td><a href='{base}{urllib.parse.quote(path)}'>{html.escape(path)}</a>{badge}</td>"
                    f"<td class='meta'>{_size(entry.size)}</td></tr>")
    refs = ", ".join(html.escape(r["ref"].split("/", 2)[-1]) for r in hub.repos.refs(repo))
    readme = ""
    if "README.md" in tree:
        text = hub.blobs.read_bytes(tree["README.md"].sha256).decode("utf-8", errors="replace")
        readme = f"<div class='readme'>{render_card(text, base)}</div>"
    kind = {"model": "Model", "dataset": "Dataset", "space": "Space"}[repo.type]
    results = ""
    if repo.type == "dataset" and benchmarks.eval_yaml(hub, repo, sha) is not None:
        kind += "</span> <span class='badge'>Benchmark"
        results = _leaderboard_section(hub, repo)
    elif repo.type == "model":
        results = _model_results_section(hub, repo, sha)
    viewer_link = viewer = ""
    if repo.type == "dataset":  # its rows above its files and card, as on huggingface.co
        viewer_link = (f" <a class='meta' id='viewer-link' href='/{html.escape(repo.url_path)}/viewer"
                       f"{_revision_query(revision)}'>Dataset viewer</a>")
        viewer = f"<h2>Dataset viewer</h2>{_viewer_frame(repo, revision, sha, '', '', embedded=True)}"
    body = (f"<h1>{html.escape(repo.repo_id)} <span class='badge'>{kind}</span>{viewer_link}</h1>"
            f"<p class='meta'>revision {html.escape(revision)} · commit <code>{sha[:12]}</code> · "
            f"{html.escape(commit.title)} · {html.escape(commit.date)}<br>refs: {refs}</p>"
            f"{results}{viewer}{'<h2>Files</h2>' if results or viewer else ''}<table>{''.join(rows)}</table>{readme}")
    head = f"<link rel='stylesheet' href='{webui_static.url('highlight.css')}'>"
    if viewer:  # the script is the hub's own file; the sanitised card beside it carries none
        return _page(repo.repo_id, body, head=head + _viewer_head(), csp=VIEWER_CSP)
    return _page(repo.repo_id, body, head=head)


def _revision_query(revision: str) -> str:
    return "" if revision == "main" else "?revision=" + html.escape(urllib.parse.quote(revision, safe=""))


def _viewer_page(repo, revision: str, sha: str, config_split: list[str]) -> Response:
    """The dataset viewer, as ``/datasets/NS/NAME/viewer[/CONFIG[/SPLIT]]`` on huggingface.co."""
    config, split = (config_split + ["", ""])[:2]
    body = (f"<h1>{html.escape(repo.repo_id)} <span class='badge'>Dataset viewer</span> "
            f"<a class='meta' href='/{html.escape(repo.url_path)}{_revision_query(revision)}'>card and files</a></h1>"
            f"{_viewer_frame(repo, revision, sha, config, split, embedded=False)}")
    return _page(f"{repo.repo_id} · Dataset viewer", body, head=_viewer_head(), csp=VIEWER_CSP)


def _viewer_frame(repo, revision: str, sha: str, config: str, split: str, *, embedded: bool) -> str:
    """The viewer's frame: config and split selectors, a search box, the table and its pager, all
    filled by ``viewer.js`` from the ``/viewer/`` routes. The commit is fixed here, so every
    request the script makes reads the same data even if a push lands meanwhile. ``embedded``: on
    the dataset's own page, where the address stays that of the page."""
    attrs = " ".join(f"data-{key}='{html.escape(value)}'" for key, value in (
        ("dataset", repo.repo_id), ("revision", sha), ("config", config), ("split", split),
        ("base", f"/{repo.url_path}/viewer"), ("query-suffix", _revision_query(revision)),
        ("embedded", "true" if embedded else "")))
    return (f"<div id='viewer' {attrs}>"
            "<form id='controls'><label>Config <select id='config'></select></label> "
            "<label>Split <select id='split'></select></label> "
            "<input type='search' id='query' placeholder='Search this split' aria-label='Search this split'> "
            "<button type='submit' id='search'>Search</button></form>"
            "<p id='status' class='meta' role='status'>Loading…</p>"
            "<div class='table-wrap'><table id='rows'><thead></thead><tbody></tbody></table></div>"
            "<nav id='pager'><button type='button' id='prev'>← Previous</button> <span id='range' class='meta'></span> "
            "<button type='button' id='next'>Next →</button></nav>"
            "<noscript><p>The viewer needs JavaScript (the hub's own script, nothing from the network).</p></noscript>"
            "</div>")


def _viewer_head() -> str:
    return (f"<link rel='stylesheet' href='{webui_static.url('viewer.css')}'>"
            f"<script src='{webui_static.url('viewer.js')}' defer></script>")


def _session_line(viewer, here: str) -> str:
    if viewer is None:
        link = "/login?next=" + urllib.parse.quote(here, safe="/")
        return f"<p class='meta'><a href='{html.escape(link)}'>Sign in</a> to see your private repos.</p>"
    return (f"<form method='post' action='/logout' class='meta'>Signed in as {html.escape(viewer.user)} "
            "<button type='submit'>Sign out</button></form>")


def login(hub: HubState, request: Request) -> Response:
    return sessions.login_page(hub, request, _page)


async def post_login(hub: HubState, request: Request) -> Response:
    return await sessions.post_login(hub, request, _page)


def _badges(item: dict) -> str:
    """The Hub's badges for one result: verified / failed / pending, community, source."""
    verification = item.get("verification") or {}
    status = verification.get("status")
    if item.get("verified"):
        badges = ["<span class='badge ok'>✓ verified</span>"]
    elif status == "failed":
        badges = [f"<span class='badge bad'>✗ not reproduced: hub measured "
                  f"{html.escape(format(verification.get('measuredValue') or 0, '.6g'))}</span>"]
    elif status == "error":
        badges = [f"<span class='badge bad' title='{html.escape(str(verification.get('detail', '')))}'>"
                  "✗ could not re-run</span>"]
    elif status == "community" or item.get("pullRequest"):
        badges = [f"<span class='badge'>community (PR #{html.escape(str(item.get('pullRequest')))})</span>"]
    else:
        badges = ["<span class='badge'>pending verification</span>"]
    source = (item.get("source") or (item.get("data") or {}).get("source") or {})
    if source.get("url", "").startswith(("https://", "http://")):
        badges.append(f"<a class='badge' href='{html.escape(source['url'])}' rel='nofollow noopener'>"
                      f"{html.escape(source.get('name') or 'source')}</a>")
    return "".join(badges)


def _leaderboard_section(hub: HubState, dataset) -> str:
    rows = benchmarks.leaderboard(hub, dataset, None, base_model_only=False)
    if not rows:
        return "<h2>Leaderboard</h2><p class='meta'>No results name this benchmark yet.</p>"
    lines = []
    for row in rows:
        model = html.escape(row["modelId"])
        lines.append(f"<tr><td>{html.escape(row['taskId'])}</td><td>{row['rank']}</td>"
                     f"<td><a href='/{model}'>{model}</a></td><td>{html.escape(format(row['value'], '.6g'))}</td>"
                     f"<td>{_badges(row)}</td></tr>")
    return ("<h2>Leaderboard</h2><table id='leaderboard'><tr><th>task</th><th>rank</th><th>model</th>"
            f"<th>value</th><th></th></tr>{''.join(lines)}</table>")


def _model_results_section(hub: HubState, model, sha: str) -> str:
    items = benchmarks.eval_results_json(hub, model, sha)
    if not items:
        return ""
    lines = []
    for item in items:
        if "error" in item:
            lines.append(f"<tr><td colspan='4'>{html.escape(item['filename'])}</td>"
                         f"<td><span class='badge bad'>invalid: {html.escape(item['error'])}</span></td></tr>")
            continue
        dataset = html.escape(item["data"]["dataset"]["id"])
        lines.append(f"<tr><td><a href='/datasets/{dataset}'>{dataset}</a> <span class='badge'>leaderboard</span>"
                     f"</td><td>{html.escape(item['data']['dataset']['task_id'])}</td>"
                     f"<td>{html.escape(format(item['data']['value'], '.6g'))}</td><td>{_badges(item)}</td></tr>")
    return ("<h2>Evaluation results</h2><table id='eval-results'><tr><th>benchmark</th><th>task</th>"
            f"<th>value</th><th></th></tr>{''.join(lines)}</table>")


def _is_static_space(hub: HubState, repo, tree) -> bool:
    readme = tree.get("README.md")
    sdk = hub.card_data(readme.sha256 if readme else None).get("sdk") or repo.sdk
    return sdk == "static" and "index.html" in tree


def _space_page(repo, file_base: str) -> Response:
    """A static Space, as huggingface.co shows one: its ``index.html`` in a sandboxed frame.

    ``sandbox="allow-scripts"`` without ``allow-same-origin`` (and the CSP sandbox the file is
    served with) gives the page an opaque origin: its scripts run, but cannot act on the hub.
    """
    src = html.escape(file_base + "index.html")
    body = (f"<h1>{html.escape(repo.repo_id)} <span class='badge'>Space</span> "
            f"<a class='meta' href='/{html.escape(repo.url_path)}/tree/main'>files</a></h1>"
            f"<iframe id='space' title='{html.escape(repo.repo_id)}' src='{src}' sandbox='allow-scripts' "
            "style='width:100%;height:80vh;border:1px solid #d0d7de;border-radius:6px'></iframe>")
    return _page(repo.repo_id, body)


def leaderboard_redirect(namespace: str, name: str) -> Response:
    """Old ``/leaderboards/NS/NAME`` links: leaderboards are static Spaces, as on huggingface.co."""
    target = f"/spaces/{urllib.parse.quote(namespace, safe='')}/{urllib.parse.quote(name, safe='')}"
    return RedirectResponse(target, status_code=308)


def _size(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)
