"""The few HTML pages a person looks at: the repo list, and a repo's files with its README.

The README is rendered with markdown-it (CommonMark, raw HTML disabled so a card cannot inject
scripts); relative links and images point at the repo's files, so plots pushed next to a card show.
Private repos are shown to nobody here: the browser sends no token.
"""

from __future__ import annotations

import html
import urllib.parse

from markdown_it import MarkdownIt
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

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
"""


# The hub's own pages run no script at all; a Space's page is framed, sandboxed, from /resolve.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><header><a href='/'>hubkit hub</a></header>"
        f"<main>{body}</main></body></html>", status_code=status, headers={"Content-Security-Policy": PAGE_CSP})


def index(hub: HubState, request: Request) -> Response:
    sections = []
    for repo_type, heading in (("model", "Models"), ("dataset", "Datasets"), ("space", "Spaces")):
        rows = []
        for repo in hub.repos.list(repo_type):
            if repo.private:
                continue
            updated = hub.repos.last_modified(repo)
            rows.append(f"<tr><td><a href='/{html.escape(repo.url_path)}'>{html.escape(repo.repo_id)}</a></td>"
                        f"<td class='meta'>{html.escape(updated)}</td></tr>")
        listing = "".join(rows) or "<tr><td class='meta'>none yet</td></tr>"
        sections.append(f"<h2>{heading}</h2><table>{listing}</table>")
    return _page("hubkit hub", "".join(sections))


def repo_page(hub: HubState, request: Request, repo_type: str, namespace: str, name: str, rest: list[str]) -> Response:
    repo = hub.repos.get(repo_type, namespace, name)
    if repo is None or repo.private:
        return _page("Not found", f"<h1>404</h1><p>No public {repo_type} {html.escape(namespace)}/"
                     f"{html.escape(name)} on this hub.</p>", status=404)
    revision = request.query_params.get("revision", "main")
    if rest[:1] in (["tree"], ["blob"]) and len(rest) >= 2:
        revision = urllib.parse.unquote(rest[1])
    try:
        sha = hub.repos.resolve(repo, revision)
    except HubError as error:
        return _page("Not found", f"<h1>404</h1><p>{html.escape(error.message)}</p>", status=404)
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
        readme = f"<div class='readme'>{render_markdown(text, base)}</div>"
    kind = {"model": "Model", "dataset": "Dataset", "space": "Space"}[repo.type]
    body = (f"<h1>{html.escape(repo.repo_id)} <span class='badge'>{kind}</span></h1>"
            f"<p class='meta'>revision {html.escape(revision)} · commit <code>{sha[:12]}</code> · "
            f"{html.escape(commit.title)} · {html.escape(commit.date)}<br>refs: {refs}</p>"
            f"<table>{''.join(rows)}</table>{readme}")
    return _page(repo.repo_id, body)


def render_markdown(text: str, file_base: str) -> str:
    """Card markdown to HTML; the YAML header is shown as a code block, relative URLs point at files."""
    metadata = ""
    if text.startswith("---"):
        lines = text.splitlines()
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is not None:
            metadata = "<details><summary>metadata</summary><pre>" + html.escape("\n".join(lines[1:end])) + "</pre></details>"
            text = "\n".join(lines[end + 1:])
    md = MarkdownIt("commonmark", {"html": False}).enable("table")

    def rewrite(tokens) -> None:
        for token in tokens:
            for attr in ("src", "href"):
                value = token.attrGet(attr) if token.attrs else None
                if value and not urllib.parse.urlparse(value).scheme and not value.startswith(("/", "#")):
                    token.attrSet(attr, file_base + value.lstrip("./"))
            if token.children:
                rewrite(token.children)

    tokens = md.parse(text)
    rewrite(tokens)
    return metadata + md.renderer.render(tokens, md.options, {})


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
