"""Finding builders: dataset_scripts folders and the ``hubkit.datasets`` entry-point group resolve the
same way; duplicates, unknown names and broken scripts fail with messages that say where."""

from __future__ import annotations

import hashlib

import pytest

from hubkit.datasets.errors import BuilderLoadError, ChecksumError, UnknownDatasetError
from hubkit.datasets.prepare import prepare
from hubkit.datasets.registry import SCRIPTS_ENV, discover, get

BUILDER_BODY = '''
import datasets
import pyarrow as pa

from hubkit.datasets.builder import HubkitBuilder
from hubkit.datasets.sources import read_text, require_file
from hubkit.datasets.spec import CardInfo, Download, TaskSpec


class {class_name}(HubkitBuilder):
    VERSION = datasets.Version("0.0.1")
    DOWNLOADS = {{"text": Download({url!r}, {sha256!r}, "lines.txt")}}
    TASK = TaskSpec("language-modeling", {{"text": "text"}})
    CARD = CardInfo(pretty_name="Lines", description="One row per line.", homepage="", citation="",
                    license="unknown", language=("en",), task_categories=("text-generation",))

    def _info(self):
        return datasets.DatasetInfo(features=datasets.Features({{"text": datasets.Value("string")}}))

    def _split_generators(self, dl_manager):
        return [datasets.SplitGenerator("train", gen_kwargs={{"path": require_file(self.source(dl_manager, "text"))}})]

    def _generate_tables(self, path):
        yield "lines", pa.table({{"text": read_text(path)[0].splitlines()}})
'''


def write_builder(folder, name, class_name="Lines", url="https://example.org/lines.txt", sha256=None):
    (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / name / f"{name}.py").write_text(BUILDER_BODY.format(class_name=class_name, url=url, sha256=sha256))


def test_repository_scripts_are_registered_by_folder_name():
    refs = discover()
    assert {"sst2", "mrpc", "rte", "imdb", "conll2003", "conll2002", "squad", "wikitext2", "tiny_shakespeare",
            "csv"} <= set(refs)
    assert refs["sst2"].target.endswith("dataset_scripts/sst2/sst2.py")
    assert refs["sst2"].load().__name__ == "Sst2"


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UnknownDatasetError, match=r"unknown dataset 'sst3'. Did you mean 'sst2'\?"):
        get("sst3")


@pytest.fixture()
def installed_package(tmp_path, monkeypatch):
    """A real installed distribution (a dist-info folder on sys.path) registering a builder by entry point."""
    root = tmp_path / "site"
    write_builder(root, "hk_thirdparty", class_name="ThirdParty")
    (root / "hk_thirdparty" / "__init__.py").write_text("from hk_thirdparty.hk_thirdparty import ThirdParty\n")
    info = root / "hk_thirdparty-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hk-thirdparty\nVersion: 0.1\n")
    monkeypatch.syspath_prepend(str(root))

    def register(name):
        (info / "entry_points.txt").write_text(f"[hubkit.datasets]\n{name} = hk_thirdparty:ThirdParty\n")
    return register


def test_entry_point_builders_are_found_and_prepared_like_scripts(installed_package, tmp_path):
    installed_package("thirdparty")
    ref = get("thirdparty")
    assert ref.origin == "entry point 'thirdparty' of hk-thirdparty"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "lines.txt").write_text("one\ntwo\n")
    prepared = prepare("thirdparty", data_dir=tmp_path / "data")
    assert prepared.dataset["train"]["text"] == ["one", "two"]


def test_a_name_registered_twice_is_an_error_naming_both(installed_package):
    installed_package("sst2")
    with pytest.raises(BuilderLoadError, match=r"dataset 'sst2' is registered twice: by entry point 'sst2' "
                                               r"of hk-thirdparty and by .*dataset_scripts/sst2/sst2.py"):
        discover()


def test_a_copy_of_a_bundled_script_is_the_same_builder_and_an_edited_one_is_refused(tmp_path, monkeypatch):
    """hubkit run from inside another clone of its repository finds ./dataset_scripts beside its own
    bundled folder: identical bytes are one builder; a changed copy is a second one, and an error."""
    import shutil

    bundled = discover()["sst2"]
    monkeypatch.setenv(SCRIPTS_ENV, str(tmp_path))
    (tmp_path / "sst2").mkdir()
    copy = tmp_path / "sst2" / "sst2.py"
    shutil.copyfile(bundled.target, copy)
    assert discover()["sst2"] == bundled
    copy.write_text(copy.read_text() + "\n# edited\n")
    with pytest.raises(BuilderLoadError, match=rf"dataset 'sst2' is registered twice: by .* and by {copy}"):
        discover()


def test_scripts_folder_override_and_broken_scripts(tmp_path, monkeypatch):
    monkeypatch.setenv(SCRIPTS_ENV, str(tmp_path))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "broken.py").write_text("import not_a_module_anywhere\n")
    write_builder(tmp_path, "twice")
    with open(tmp_path / "twice" / "twice.py", "a") as script:
        script.write("\n\nclass Again(Lines):\n    pass\n")
    assert {"broken", "twice", "sst2"} <= set(discover())  # added to the built-in builders, not instead
    with pytest.raises(BuilderLoadError, match=r"broken/broken.py: cannot import: ModuleNotFoundError"):
        get("broken").load()
    with pytest.raises(BuilderLoadError, match=r"expected exactly one HubkitBuilder subclass, found Lines, Again"):
        get("twice").load()


def test_downloads_are_checked_against_their_pinned_sha256(tmp_path, monkeypatch):
    """The download path is exercised with a local 'URL', which datasets' DownloadManager accepts."""
    source = tmp_path / "served" / "lines.txt"
    source.parent.mkdir()
    source.write_text("alpha\nbeta\n")
    good = hashlib.sha256(source.read_bytes()).hexdigest()
    scripts = tmp_path / "scripts"
    monkeypatch.setenv(SCRIPTS_ENV, str(scripts))
    write_builder(scripts, "pinned", url=str(source), sha256=good)
    prepared = prepare("pinned")
    assert prepared.dataset["train"]["text"] == ["alpha", "beta"]
    assert (str(source), good) in [(record.location, record.sha256) for record in prepared.sources]
    write_builder(scripts, "tampered", url=str(source), sha256="0" * 64)
    with pytest.raises(ChecksumError, match=rf"lines.txt: sha256 {good} does not match the pinned 0{{64}}"):
        prepare("tampered")
