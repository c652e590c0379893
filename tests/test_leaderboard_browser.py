"""The pushed leaderboard page in a real headless Chromium (Debian's ``chromium``), served by the hub.

Chromium is driven over the Chrome DevTools Protocol (tests/helpers/browser.py). The test checks
that the table renders in rank order, that a click on a column header sorts the rows (read back
from the DOM), that the page requests nothing but itself, and it saves a screenshot (also copied to
leaderboard.png in the temp dir, or HUBKIT_SCREENSHOT_DIR, for people to look at).
"""

from __future__ import annotations

from helpers.browser import chromium, needs_chromium, open_page, requested_urls, screenshot
from helpers.leaderboard import build, published

pytestmark = needs_chromium


ROW_MODELS = "Array.from(document.querySelectorAll('#leaderboard tbody tr')).map(r => r.dataset.model)"


def test_the_pushed_page_renders_sorts_and_loads_nothing_else(hub, tiny_bert, tmp_path_factory, tmp_path):
    models = published(hub, tiny_bert, tmp_path_factory.mktemp("leaderboard-models"))
    repo_id = f"{hub.user}/{models.prefix}-page"
    doc = build(tmp_path / "lb", "--search", models.prefix, "--verify", "--data-dir", models.data, "--push-to", repo_id)
    entries = doc["entries"]
    url = f"{hub.endpoint}/spaces/{repo_id}/resolve/main/index.html"  # the static Space's page itself

    with chromium(tmp_path) as page:
        open_page(page, url)
        assert requested_urls(page) == [url], "the page must load no other asset"

        # It renders: the rows in rank order, with their scores, badges and interval bars, visibly.
        assert page.js(ROW_MODELS) == [e["model"]["id"] for e in entries]
        assert page.js("Array.from(document.querySelectorAll('#leaderboard tbody tr td:nth-child(4)'))"
                       ".map(td => td.textContent)") == [f"{e['score']:.4f}" for e in entries]
        assert page.js("document.querySelectorAll('#leaderboard svg circle.score').length") == len(entries)
        assert page.js("document.querySelectorAll('#leaderboard svg rect.ci').length") == sum(1 for e in entries if e["ci"])
        assert page.js("Array.from(document.querySelectorAll('.badge')).map(b => b.textContent)") == [
            "✓ reproduced"] * len(entries)
        height = page.js("document.getElementById('leaderboard').getBoundingClientRect().height")
        assert height > 40 * len(entries)

        screenshot(page, tmp_path / "leaderboard.png")
        from PIL import Image

        image = Image.open(tmp_path / "leaderboard.png").convert("L")
        assert image.size[0] == 1280 and len(image.getcolors(maxcolors=1 << 16) or []) > 20  # a page, not a blank frame

        # Sorting: clicking a header sorts the rows by that column, ascending then descending.
        ids = [e["model"]["id"] for e in entries]
        page.click("th[data-column=model] button")
        assert page.js(ROW_MODELS) == sorted(ids)
        assert page.js("document.querySelector('th[data-column=model]').getAttribute('aria-sort')") == "ascending"
        page.click("th[data-column=model] button")
        assert page.js(ROW_MODELS) == sorted(ids, reverse=True)
        page.click("th[data-column=score] button")
        by_score = [e["model"]["id"] for _, e in sorted(enumerate(entries), key=lambda p: (p[1]["score"], p[0]))]
        assert page.js(ROW_MODELS) == by_score
        assert page.js("document.querySelector('th[data-column=model]').getAttribute('aria-sort')") is None
        page.click("th[data-column=rank] button")
        assert page.js(ROW_MODELS) == ids
