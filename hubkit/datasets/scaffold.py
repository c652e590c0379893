"""``hubkit datasets new NAME``: a working builder and its test, for a contributor to adapt.

The scaffold reads a TSV text-classification layout so that it runs as generated; the contributor
then edits the parsing, features and card facts. It writes nothing if either file already exists.
"""

from __future__ import annotations

from pathlib import Path

from hubkit.datasets.errors import DatasetError
from hubkit.datasets.registry import NAME_PATTERN

BUILDER_TEMPLATE = '''"""{title}: describe the dataset here (what it is, where the files come from).

Layout: ``train.tsv``, ``validation.tsv`` and ``test.tsv``, each with header ``text<TAB>label``
(labels ``negative``/``positive``; an empty label means unlabelled).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets
import pyarrow as pa

from hubkit.datasets.builder import HubkitTableBuilder
from hubkit.datasets.sources import check_not_empty, encode_labels, read_tsv_rows, require_file
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

LABELS = ("negative", "positive")


class {class_name}(HubkitTableBuilder):
    VERSION = datasets.Version("0.1.0")
    # Canonical download and its sha256 (None: only --data-dir is accepted).
    DOWNLOADS = {{"files": Download("https://example.org/{name}.zip", None, ".", "{name}")}}
    LAYOUT = "train.tsv, validation.tsv, test.tsv with header text<TAB>label"
    TASK = TaskSpec("text-classification", {{"text": "text", "label": "label"}})
    CARD = CardInfo(
        pretty_name="{title}",
        description="TODO: one paragraph on what the data is and how it was collected.",
        homepage="https://example.org/{name}",
        citation="",
        license="unknown",
        language=("en",),
        task_categories=("text-classification",),
    )

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, homepage=self.CARD.homepage,
            features=datasets.Features({{"text": datasets.Value("string"),
                                        "label": datasets.ClassLabel(names=list(LABELS))}}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        root = self.source(dl_manager, "files")
        return [datasets.SplitGenerator(split, gen_kwargs={{"path": require_file(root / f"{{split}}.tsv")}})
                for split in ("train", "validation", "test")]

    def _generate_tables(self, path: Path) -> Iterator[tuple[str, pa.Table]]:
        # Known flaws of real files (a blank line of spaces, a byte-order mark mid-file) are read past
        # and recorded in self.anomaly_log; `lines` keeps later errors on the right line.
        table, lines = read_tsv_rows(path, ["text", "label"], self.anomaly_log)
        check_not_empty(table["text"], path, "text", lines)
        # An empty label cell means unlabelled (-1), as in GLUE test splits.
        mapping = {{"": -1, **{{name: index for index, name in enumerate(LABELS)}}}}
        labels = encode_labels(table["label"], mapping, path, "label", lines)
        yield path.name, pa.table({{"text": table["text"], "label": labels}})
'''

TEST_TEMPLATE = '''"""Tests for the {name} builder, on small files written in its original format."""

from __future__ import annotations

import pytest

from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.prepare import prepare


def write_layout(folder, train_rows):
    (folder / "train.tsv").write_text("text\\tlabel\\n" + "".join(f"{{t}}\\t{{l}}\\n" for t, l in train_rows))
    (folder / "validation.tsv").write_text("text\\tlabel\\nfine film\\tpositive\\n")
    (folder / "test.tsv").write_text("text\\tlabel\\nunseen film\\t\\n")


def test_{name}_reads_its_layout(tmp_path):
    write_layout(tmp_path, [("a dull film", "negative"), ("a bright film", "positive")])
    prepared = prepare("{name}", data_dir=tmp_path)
    assert prepared.split_sizes == {{"train": 2, "validation": 1, "test": 1}}
    assert prepared.dataset["train"]["label"] == [0, 1]
    assert prepared.dataset["test"]["label"] == [-1]


def test_{name}_names_the_line_of_an_unknown_label(tmp_path):
    write_layout(tmp_path, [("a dull film", "negative"), ("odd", "neutral")])
    with pytest.raises(SourceFileError, match=r"train.tsv:3: field 'label'"):
        prepare("{name}", data_dir=tmp_path)
'''


def scaffold(name: str, scripts_dir: Path, tests_dir: Path) -> list[Path]:
    """Write ``<scripts_dir>/<name>/<name>.py`` and ``<tests_dir>/test_dataset_<name>.py``."""
    if not NAME_PATTERN.match(name):
        raise DatasetError(f"'{name}' is not a valid dataset name: use lower-case letters, digits and _, "
                           "starting with a letter")
    builder = scripts_dir / name / f"{name}.py"
    test = tests_dir / f"test_dataset_{name}.py"
    for path in (builder, test):
        if path.exists():
            raise DatasetError(f"{path} already exists; not overwriting it")
    class_name = "".join(part.capitalize() for part in name.split("_"))
    title = name.replace("_", " ").title()
    builder.parent.mkdir(parents=True, exist_ok=True)
    tests_dir.mkdir(parents=True, exist_ok=True)
    builder.write_text(BUILDER_TEMPLATE.format(name=name, class_name=class_name, title=title))
    test.write_text(TEST_TEMPLATE.format(name=name))
    return [builder, test]
