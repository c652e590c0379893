"""The dataset viewer page, in a real headless Chromium, over the real SST-2 pushed with hubkit.

The page is the hub's own HTML, script and stylesheet; it reads the hub's ``/viewer/`` routes
(the dataset viewer API's shapes). The expected rows come from the pushed Parquet files, read with
pyarrow, so the checks do not trust the routes the page reads: label cells show the ClassLabel
names, paging and search change the rows, a long value is cut and shown whole on click, and the
per-column statistics draw their histograms. A screenshot (viewer-sst2.png) is saved for people.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from huggingface_hub import HfApi, hf_hub_download
from PIL import Image

from helpers.browser import chromium, needs_chromium, open_page, requested_urls, screenshot, wait_for
from helpers.hubserver import request
from hubkit.cli import main

PAGE_SIZE = 25  # viewer.js's rows per page
CUT = 160       # viewer.js's characters shown of a long value
ROWS = "Array.from(document.querySelectorAll('#rows tbody tr'))"
ROW_IDS = f"{ROWS}.map(r => Number(r.dataset.rowIdx))"


def column_cells(name: str) -> str:
    """The text of the cells of column ``name`` on the shown page, as a JavaScript expression."""
    return (f"(() => {{ const i = Array.from(document.querySelectorAll('#rows thead tr:first-child th'))"
            f".findIndex(th => th.dataset.column === {json.dumps(name)});"
            f"return {ROWS}.map(r => r.children[i].textContent); }})()")


@pytest.fixture(scope="module")
def sst2_repo(hub):
    """The real SST-2 pushed once with ``hubkit datasets push``; its Parquet splits read back."""
    data = Path(os.environ.get("HUBKIT_REAL_DATA", Path(__file__).parents[1].parent / "shared" / "data"))
    if not (data / "glue" / "SST-2").is_dir():
        pytest.skip("real datasets not available (set HUBKIT_REAL_DATA)")
    repo_id = f"{hub.user}/sst2-viewer-{uuid.uuid4().hex[:6]}"
    result = CliRunner().invoke(main, ["datasets", "push", "sst2", "--data-dir", str(data / "glue" / "SST-2"),
                                       "--repo", repo_id])
    assert result.exit_code == 0, result.output
    tables = {split: pq.read_table(hf_hub_download(repo_id, f"data/{split}-00000-of-00001.parquet",
                                                   repo_type="dataset"))
              for split in ("train", "validation")}
    return repo_id, tables


def label_names(table) -> list[str]:
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    return features["label"]["names"]


def shown(text: str) -> str:
    return text if len(text) <= CUT else text[:CUT] + "…"


def test_viewer_page_is_the_hubs_own_script_and_keeps_private_repos_private(hub, sst2_repo):
    repo_id, _ = sst2_repo
    page = request(hub.endpoint, "GET", f"/datasets/{repo_id}/viewer/default/train")
    assert page.status == 200
    csp = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["connect-src"] == "'self'"  # no inline script, no other host
    assert csp["default-src"] == "'none'"
    assert "<script src='/static/viewer.js?v=" in page.body.decode()
    card = request(hub.endpoint, "GET", f"/datasets/{repo_id}").body.decode()
    assert f"href='/datasets/{repo_id}/viewer'" in card

    private = f"{hub.user}/private-viewer-{uuid.uuid4().hex[:6]}"
    HfApi().create_repo(private, repo_type="dataset", private=True)
    assert request(hub.endpoint, "GET", f"/datasets/{private}/viewer").status == 404
    signed = request(hub.endpoint, "POST", "/login", body=urllib.parse.urlencode({"token": hub.token}),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    cookie = signed.headers["set-cookie"].split(";", 1)[0]
    owner = request(hub.endpoint, "GET", f"/datasets/{private}/viewer", headers={"Cookie": cookie})
    assert owner.status == 200 and f"data-dataset='{private}'" in owner.body.decode()


@needs_chromium
def test_viewer_page_shows_sst2_with_label_names_paging_search_and_statistics(hub, sst2_repo, tmp_path):
    repo_id, tables = sst2_repo
    train, validation = tables["train"].to_pydict(), tables["validation"].to_pydict()
    names = label_names(tables["train"])
    url = f"{hub.endpoint}/datasets/{repo_id}/viewer"

    with chromium(tmp_path) as page:
        open_page(page, url, height=1000)
        wait_for(page, f"{ROWS}.length === {PAGE_SIZE}")
        assert page.js("document.getElementById('config').value") == "default"
        assert page.js("document.getElementById('split').value") == "train"
        assert page.js("location.pathname") == f"/datasets/{repo_id}/viewer/default/train"
        assert page.js(ROW_IDS) == list(range(PAGE_SIZE))
        assert page.js(column_cells("sentence")) == [shown(s) for s in train["sentence"][:PAGE_SIZE]]
        # Class labels show their names (and the integer beside them), not bare integers.
        assert page.js(column_cells("label")) == [f"{names[y]} {y}" for y in train["label"][:PAGE_SIZE]]
        assert page.js("document.getElementById('range').textContent") == \
            f"1–{PAGE_SIZE} of {len(train['sentence']):,} rows"

        # Statistics: a histogram per column, the label column's classes counted.
        wait_for(page, "document.querySelectorAll('tr.stats svg.histogram').length === 3")
        label_stats = page.js("document.querySelector('tr.stats td[data-column=label] .caption').textContent")
        counts = sorted(((train["label"].count(y), names[y]) for y in set(train["label"])), reverse=True)
        assert label_stats == f"2 classes · {counts[0][1]} {round(100 * counts[0][0] / len(train['label']))}%"
        bar_titles = page.js("Array.from(document.querySelectorAll('tr.stats td[data-column=label] rect'))"
                             ".map(r => r.textContent)")
        assert bar_titles == [f"{name}: {count:,}" for count, name in counts]
        lengths = [len(s) for s in train["sentence"]]
        assert page.js("document.querySelector('tr.stats td[data-column=sentence] .caption').textContent") == \
            f"length {min(lengths)} – {max(lengths)}"
        shot = screenshot(page, tmp_path / "viewer-sst2.png")

        # Paging: the next page is the next 25 rows of the Parquet file.
        page.click("#next")
        wait_for(page, f"{ROW_IDS}[0] === {PAGE_SIZE}")
        assert page.js(column_cells("sentence")) == [shown(s) for s in train["sentence"][PAGE_SIZE:2 * PAGE_SIZE]]
        page.click("#prev")
        wait_for(page, f"{ROW_IDS}[0] === 0")

        # Search: every row shown contains the word; the count is that of matching rows.
        page.js("document.getElementById('query').value = 'wonderful'")
        page.click("#search")
        wait_for(page, "document.getElementById('range').textContent.includes('matching rows')")
        found = page.js(column_cells("sentence"))
        assert found and all("wonderful" in s.lower() for s in found)
        total = int(page.js("document.getElementById('range').textContent").split(" of ")[1].split()[0]
                    .replace(",", ""))
        assert 0 < total < len(train["sentence"])
        assert page.js(ROW_IDS) != list(range(len(found)))  # the matches' own row numbers
        assert total > PAGE_SIZE
        page.click("#next")
        wait_for(page, "document.getElementById('range').textContent.startsWith('26–')")
        second_page = page.js(ROW_IDS)
        assert page.js("location.search") == "?q=wonderful&p=1"  # the address links to this page
        assert all(u.startswith(hub.endpoint) for u in requested_urls(page)), "nothing from the network"
        page.events.clear()  # (the reload's own load event is awaited next)
        page.call("Page.navigate", url=page.js("location.href"))
        page.wait_event("Page.loadEventFired")
        wait_for(page, f"{ROWS}.length > 0 && document.getElementById('range').textContent.startsWith('26–')")
        assert page.js(ROW_IDS) == second_page and page.js("document.getElementById('query').value") == "wonderful"

        # Another split through the selector; a long value is cut, and shown whole on click.
        page.js("document.getElementById('query').value = ''")
        page.click("#search")
        wait_for(page, "!document.getElementById('range').textContent.includes('matching')")
        page.js("const s = document.getElementById('split'); s.value = 'validation';"
                "s.dispatchEvent(new Event('change'))")
        wait_for(page, f"location.pathname.endsWith('/validation') && {ROWS}.length === {PAGE_SIZE}")
        assert page.js(column_cells("sentence")) == [shown(s) for s in validation["sentence"][:PAGE_SIZE]]
        long_row = next(i for i, s in enumerate(validation["sentence"][:PAGE_SIZE]) if len(s) > CUT)
        page.click(f"#rows tbody tr:nth-child({long_row + 1}) td.cut")
        assert page.js(f"{ROWS}[{long_row}].querySelector('td.cut').textContent") == validation["sentence"][long_row]
        assert all(u.startswith(hub.endpoint) for u in requested_urls(page)), "nothing from the network"

    image = Image.open(shot).convert("RGB")
    assert image.size[0] >= 1200 and len(image.getcolors(maxcolors=1 << 16) or []) > 20  # less a scrollbar


@needs_chromium
def test_viewer_page_names_the_labels_of_token_tag_lists(hub, tmp_path):
    """A tagging dataset (a list of ClassLabel per row, as CoNLL has), pushed by ``datasets``
    itself: the tags show as their names, and a long list is cut like a long string."""
    import datasets

    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    rows = {"tokens": [["Ada", "Lovelace", "visited", "London"], ["Paris"], ["the"] * 80],
            "tags": [[1, 2, 0, 3], [3], [0] * 80]}
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "tags": datasets.Sequence(datasets.ClassLabel(names=names))})
    repo_id = f"{hub.user}/tags-viewer-{uuid.uuid4().hex[:6]}"
    datasets.Dataset.from_dict(rows, features=features).push_to_hub(repo_id)

    with chromium(tmp_path) as page:
        open_page(page, f"{hub.endpoint}/datasets/{repo_id}/viewer/default/train")
        wait_for(page, f"{ROWS}.length === 3")
        expected = [json.dumps([names[t] for t in tags], separators=(",", ":")) for tags in rows["tags"]]
        assert page.js(column_cells("tags")) == [shown(text) for text in expected]
        assert page.js("document.querySelector('th[data-column=tags] .column-type').textContent") == \
            "list of class labels"
        page.click("#rows tbody tr:nth-child(3) td.cut:last-child")  # tags: the last column
        assert page.js(f"{ROWS}[2].lastElementChild.textContent") == expected[2]

        # The dataset's own page shows the same rows above its card, and keeps its address.
        page.events.clear()
        open_page(page, f"{hub.endpoint}/datasets/{repo_id}")
        wait_for(page, f"{ROWS}.length === 3")
        assert page.js(column_cells("tags")) == [shown(text) for text in expected]
        assert page.js("location.pathname") == f"/datasets/{repo_id}"
        # A dataset without data files says the viewer is not available, with no empty table.
        empty = f"{hub.user}/no-data-{uuid.uuid4().hex[:6]}"
        HfApi().create_repo(empty, repo_type="dataset")
        HfApi().upload_file(path_or_fileobj=b"# Notes only\n", path_in_repo="README.md", repo_id=empty,
                            repo_type="dataset")
        page.events.clear()
        open_page(page, f"{hub.endpoint}/datasets/{empty}")
        wait_for(page, "document.getElementById('status').textContent.includes('not available')")
        assert page.js("document.querySelector('.table-wrap').hidden") is True
        assert "Notes only" in page.js("document.body.innerText")
