"""A repo's card on its hub page, rendered as huggingface.co renders cards.

The card is pushed with the unmodified ``huggingface_hub`` client and the page is read over real
HTTP, then parsed (the standard library's HTML parser) rather than searched as text, so a check
sees what a browser would build: HTML comments hidden, raw HTML kept but sanitised, relative images
resolved to the shown commit, code highlighted with a stylesheet the hub serves itself.
"""

from __future__ import annotations

import html.parser
import io
import uuid

from huggingface_hub import HfApi
from PIL import Image

from helpers.browser import chromium, needs_chromium, open_page, requested_urls, screenshot
from helpers.hubserver import request

CARD = """---
license: mit
---
<!-- hubkit:begin summary -->
# Sentiment model

<p align="center"><img src="images/logo.png" alt="logo" width="120" onerror="alert(1)"></p>

<!-- hubkit:end summary -->
<script>document.title = "owned"</script>
<a href="javascript:alert(1)" onclick="alert(2)">click me</a> <span class="badge ok">✓ verified</span>
<img src="x.png" alt="x" onerror="alert(3)"><iframe src="https://example.com"></iframe>
<style>body { display: none }</style>

![loss curve](./plots/loss.png) ![remote](https://example.com/badge.png)

<details><summary>Training details</summary>

Trained for **3 epochs**.

</details>

```python
def predict(text):
    return model(text)
```

```no-such-language
plain <b>text</b>
```
"""


class Page(html.parser.HTMLParser):
    """Every element (tag, attributes) and every comment a browser would build from the page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def pushed_card_page(hub) -> tuple[str, str, Page, str]:
    repo_id = f"{hub.user}/card-render-{uuid.uuid4().hex[:6]}"
    api = HfApi()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id=repo_id)
    sha = api.model_info(repo_id).sha
    response = request(hub.endpoint, "GET", f"/{repo_id}")
    assert response.status == 200
    text = response.body.decode()
    return repo_id, sha, Page(text), text


def test_card_comments_are_hidden_and_raw_html_is_sanitised_not_escaped(hub):
    repo_id, sha, page, text = pushed_card_page(hub)
    readme = text[text.index("<div class='readme'>"):]
    # Comments: neither shown as text nor kept in the markup.
    assert "hubkit:begin" not in text and "&lt;!--" not in text
    assert page.comments == []
    # Allowed raw HTML is kept as elements, with its allowed attributes.
    assert page.find("p", align="center")
    assert page.find("img", alt="logo", width="120")
    assert page.find("details") and "Training details" in "".join(page.text)
    assert page.find("strong")  # markdown inside a raw <details> block still renders
    # Scripts, handlers, frames, styles and javascript: URLs are gone, not escaped into text.
    assert not page.find("script") and not page.find("iframe")
    assert "<style>" not in readme and "display: none" not in readme
    assert "&lt;script" not in readme and "owned" not in readme
    assert not any(name.startswith("on") for _, attrs in page.elements for name in attrs)
    (link,) = [a for t, a in page.elements if t == "a" and "nofollow" in (a.get("rel") or "")]
    assert "href" not in link  # javascript: dropped
    assert "click me" in "".join(page.text)
    # A card cannot dress text up as the hub's own "verified" badge: only highlighter classes stay.
    assert "✓ verified" in readme and "badge ok" not in readme
    # The page itself still runs no script at all.
    csp = request(hub.endpoint, "GET", f"/{repo_id}").headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_card_images_resolve_to_the_commit_and_code_is_highlighted(hub):
    repo_id, sha, page, text = pushed_card_page(hub)
    base = f"/{repo_id}/resolve/{sha}/"
    sources = {a["alt"]: a["src"] for a in page.find("img")}
    assert sources["logo"] == base + "images/logo.png"       # raw HTML, relative
    assert sources["x"] == base + "x.png"
    assert sources["loss curve"] == base + "plots/loss.png"  # markdown, ./relative
    assert sources["remote"] == "https://example.com/badge.png"

    (block,) = page.find("pre", **{"class": "highlight"})
    assert page.find("code", **{"class": "language-python"})
    assert page.find("span", **{"class": "k"}) and page.find("span", **{"class": "nf"})  # `def`, `predict`
    assert "plain &lt;b&gt;text&lt;/b&gt;" in text  # an unknown language stays plain, escaped

    (stylesheet,) = page.find("link", rel="stylesheet")
    css = request(hub.endpoint, "GET", stylesheet["href"])
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")
    assert b".highlight .k " in css.body and css.headers["x-content-type-options"] == "nosniff"


def test_static_route_serves_only_its_own_files(hub):
    for path in ("/static/nope.js", "/static/..%2Fwebui.py", "/static/viewer.js/x"):
        response = request(hub.endpoint, "GET", path)
        assert response.status == 404, path
    script = request(hub.endpoint, "GET", "/static/viewer.js")
    assert script.status == 200 and script.headers["content-type"].startswith("text/javascript")


@needs_chromium
def test_the_card_page_in_a_browser_hides_comments_and_shows_images_and_colours(hub, tmp_path):
    """What a person sees: comment text nowhere on screen, the card's plot loaded from the repo,
    code coloured by the hub's stylesheet, and no request leaving the hub."""
    repo_id = f"{hub.user}/card-comments-{uuid.uuid4().hex[:6]}"
    api = HfApi()
    api.create_repo(repo_id)
    plot = io.BytesIO()
    Image.new("RGB", (240, 80), (31, 119, 180)).save(plot, format="PNG")
    for path in ("plots/loss.png", "images/logo.png", "x.png"):
        api.upload_file(path_or_fileobj=plot.getvalue(), path_in_repo=path, repo_id=repo_id)
    card = CARD.replace("https://example.com/badge.png", "plots/loss.png")  # nothing from the network
    api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id=repo_id)
    url = f"{hub.endpoint}/{repo_id}"

    with chromium(tmp_path) as page:
        open_page(page, url, height=900)
        assert all(u.startswith(hub.endpoint) for u in requested_urls(page))
        shown = page.js("document.body.innerText")
        assert "hubkit:begin" not in shown and "<!--" not in shown and "alert" not in shown
        assert "Sentiment model" in shown and "Training details" in shown
        assert page.js("document.title") != "owned"
        assert page.js("Array.from(document.images).map(i => i.naturalWidth)") == [240] * 4
        keyword = page.js("getComputedStyle(document.querySelector('.highlight .k')).color")
        plain = page.js("getComputedStyle(document.querySelector('.readme p')).color")
        assert keyword != plain  # the highlight stylesheet applied under the page's CSP
        shot = screenshot(page, tmp_path / "model-card-comments.png")
    image = Image.open(shot).convert("RGB")
    assert image.size[0] >= 1200 and len(image.getcolors(maxcolors=1 << 16) or []) > 20  # less a scrollbar
