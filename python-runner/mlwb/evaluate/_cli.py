"""``python -m mlwb evaluate``: a model (or two, compared) on a labelled CSV, with progress and cancel.

stdout carries JSON lines only (``{"kind": "evaluateProgress", "stage", "current", "total"}``, the
explainProgress shape; then ``evaluateResult`` {path} and ``evaluateComplete`` {durationMs}, or
``evaluateError`` {error, exitCode}); under VS Code the same objects also go as ``run/event``
notifications, and ``run/cancel`` is honoured. Exit codes: 0 done, 1 crash, 2 bad input, 130 cancelled
(SIGTERM, SIGINT or run/cancel). Files are written into a hidden staging directory and moved into place
only when everything succeeded: on any other outcome nothing of the evaluation is left behind.

SECURITY: a pickle/joblib model file is code. ``--model-sha256`` is the hash the user agreed to; the bytes
are checked where they load (``_modelfile.load``) and other bytes are refused.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

from .._channel import connect, say
from .._encode import dumps
from .._protocol import RUN_CANCEL, RUN_EVENT
from ._evaluate import Cancelled, EvaluateError, Outcome, evaluate

EXIT_OK, EXIT_CRASH, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
PROGRESS_INTERVAL_S = 0.1
RUN_DIR = "evaluation"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mlwb evaluate",
        description="Evaluate a model on a labelled CSV (every number from scikit-learn's own functions) into "
                    "DIR/evaluation.json and DIR/predictions.csv; with two --model, compare them on the same rows "
                    "into DIR/comparison.json. A pickle/joblib model is code: only evaluate files you trust.")
    p.add_argument("--model", action="append", required=True,
                   help="model file (.pkl/.joblib scikit-learn or Pipeline, XGBoost .json/.ubj); twice to compare")
    p.add_argument("--model-sha256", action="append", default=None,
                   help="sha256 the model file must have (the bytes the user agreed to load); one per --model")
    p.add_argument("--data", required=True, help="CSV with a header row: the model's feature columns and the target")
    p.add_argument("--target", required=True, help="the label column")
    p.add_argument("--out", help="output directory (default with --run: the run's files/evaluation/)")
    p.add_argument("--run", help="store the result with this (ended) run of the store")
    p.add_argument("--compare", action="store_true", help="compare the two --model (implied by two --model)")
    p.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples of a comparison (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    return p


def emit(obj: Dict[str, Any]) -> None:
    try:
        sys.stdout.write(dumps(obj) + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


class Job:
    """Progress out, cancel in: stdout lines always, the extension's pipe when there is one."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.cancel = threading.Event()
        self.committing = False  # once files are being moved into place, a signal no longer interrupts
        self.rpc: Any = None
        self._last = 0.0
        self._stage = ""
        self.prefix = ""

    def event(self, obj: Dict[str, Any]) -> None:
        emit(obj)
        if self.rpc is not None and not self.rpc.closed:
            self.rpc.notify(RUN_EVENT, {"runId": self.job_id, "event": obj})

    def progress(self, stage: str, current: int, total: int) -> None:
        stage = self.prefix + stage
        now = time.monotonic()
        if stage == self._stage and 0 < current < total and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last, self._stage = now, stage
        self.event({"kind": "evaluateProgress", "stage": stage, "current": current, "total": total})

    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def on_signal(self, *_: Any) -> None:
        self.cancel.set()
        if not self.committing:
            raise Cancelled()


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load(path: str, sha256: Optional[str]) -> Any:
    from .._model import Model, ModelLoadError

    try:
        return Model(path, sha256=sha256)
    except ModelLoadError as e:
        raise EvaluateError(str(e)) from None
    except ImportError as e:
        raise EvaluateError(f"could not load {path}: {e}") from None


def _table(model: Any, data: str, target: str) -> Any:
    from ..explain._data import read_csv, select_columns
    from ..explain._model import ExplainError

    try:
        header, values = read_csv(data)
        X, y, _names, warnings = select_columns(model.obj, header, values, target)
    except ExplainError as e:
        raise EvaluateError(str(e)) from None
    for w in warnings:
        say(f"evaluate: warning: {w}")
    return X, y, len(values)


def _write_predictions(path: Path, columns: Dict[str, List[Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(columns))
        w.writerows(zip(*columns.values()))


def _write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(obj))
        f.write("\n")


def _one(job: Job, args: argparse.Namespace, i: int, data_section: Dict[str, Any]) -> Outcome:
    started = time.monotonic()
    path = args.model[i]
    sha = args.model_sha256[i] if args.model_sha256 else None
    job.progress("load", 0, 2)
    model = _load(path, sha)
    X, y, rows = _table(model, args.data, args.target)
    data_section["rows"] = rows
    job.progress("load", 2, 2)
    outcome = evaluate(model, X, y, progress=job.progress, cancelled=job.cancelled)
    ev = outcome.evaluation
    ev["model"] = {"path": model.path, "sha256": model.sha256, "loader": model.format, "class": model.cls}
    ev["data"] = data_section
    if args.run:
        ev["run"] = args.run
    ev["elapsed_seconds"] = round(time.monotonic() - started, 6)
    return outcome


def _run(job: Job, args: argparse.Namespace, started: float) -> Path:
    n = len(args.model)
    if n > 2 or (args.compare and n != 2):
        raise EvaluateError("give one --model to evaluate, or two to compare")
    if args.model_sha256 is not None and len(args.model_sha256) != n:
        raise EvaluateError(f"give one --model-sha256 per --model ({n}), in the same order")
    if (args.out is None) == (args.run is None):
        raise EvaluateError("give --out DIR or --run RUN_ID (one of them)")
    if args.resamples < 1:
        raise EvaluateError("--resamples must be at least 1")
    if not os.path.isfile(args.data):
        raise EvaluateError(f"data file not found: {args.data}")
    run_dir = None
    if args.run:
        from ..explain._attach import check_ended, run_dir_for
        from ..explain._model import ExplainError

        try:
            run_dir = run_dir_for(args.run)
            check_ended(run_dir)
        except ExplainError as e:
            raise EvaluateError(str(e)) from None
        out_dir = run_dir / "files" / RUN_DIR
    else:
        out_dir = Path(args.out)
    data_section = {"path": os.path.abspath(args.data), "sha256": file_sha256(args.data), "target": args.target}
    outcomes = []
    for i in range(n):
        job.prefix = "" if n == 1 else f"{'ab'[i]}:"
        outcomes.append(_one(job, args, i, dict(data_section)))
    job.prefix = ""
    if n == 1:
        files = {"predictions.csv": outcomes[0].columns}
        outcomes[0].evaluation["predictions_file"] = "predictions.csv"
        main_name, result = "evaluation.json", outcomes[0].evaluation
    else:
        from ._compare import compare

        job.progress("compare", 0, 1)
        result = compare(outcomes[0], outcomes[1], args.resamples, args.seed, job.check)
        files = {}
        for side, o in zip("ab", outcomes):
            o.evaluation["predictions_file"] = f"predictions_{side}.csv"
            files[f"predictions_{side}.csv"] = o.columns
        result = {"format": 1, "a": outcomes[0].evaluation, "b": outcomes[1].evaluation, **result}
        result["elapsed_seconds"] = round(time.monotonic() - started, 6)
        job.progress("compare", 1, 1)
        main_name = "comparison.json"
    job.check()
    return _commit(job, out_dir, files, main_name, result, run_dir)


def _commit(job: Job, out_dir: Path, files: Dict[str, Dict[str, List[Any]]], main_name: str, result: Any,
            run_dir: Optional[Path]) -> Path:
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".evaluate-{os.getpid()}.tmp"
    staging.mkdir(exist_ok=True)
    try:
        job.progress("write", 0, len(files) + 1)
        for name, columns in files.items():
            _write_predictions(staging / name, columns)
            job.check()
        _write_json(staging / main_name, result)
        job.check()
        job.committing = True
        for name in [*files, main_name]:  # the main file last: when it is there, everything is
            os.replace(staging / name, out_dir / name)
        job.progress("write", len(files) + 1, len(files) + 1)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    staging.rmdir()
    if run_dir is not None:
        from ..explain._attach import attach

        for name in [*files, main_name]:
            attach(run_dir, out_dir / name, f"{RUN_DIR}/{name}", description="model evaluation", tags=("evaluation",))
    return out_dir / main_name


def _interrupt_main() -> None:
    import _thread

    try:
        _thread.interrupt_main(signal.SIGTERM)  # runs Job.on_signal in the main thread (Python 3.10+)
    except TypeError:  # Python 3.9: KeyboardInterrupt, handled as a cancel too
        _thread.interrupt_main()


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()
    job = Job(args.run or f"evaluate-{os.getpid()}")
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, job.on_signal)
        except (ValueError, OSError):
            pass

    def on_cancel(params: Any) -> Dict[str, Any]:
        job.cancel.set()
        if not job.committing:  # interrupt the main thread even inside a long predict, as SIGTERM does
            _interrupt_main()
        return {"accepted": True}

    job.rpc = connect(["evaluate", "cancel"], {RUN_CANCEL: on_cancel})
    code, error = EXIT_OK, None
    try:
        path = _run(job, args, started)
        job.event({"kind": "evaluateResult", "path": str(path.absolute())})
        job.event({"kind": "evaluateComplete", "durationMs": round((time.monotonic() - started) * 1000, 3)})
        say(f"evaluate: wrote {path}")
    except (Cancelled, KeyboardInterrupt):
        code, error = EXIT_CANCELLED, "cancelled; nothing was written"
    except EvaluateError as e:
        code, error = EXIT_USAGE, str(e)
    except Exception as e:
        code, error = EXIT_CRASH, f"{type(e).__name__}: {e}"
        sys.stderr.write(traceback.format_exc())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if error is not None:
        say(f"evaluate: {'error: ' if code != EXIT_CANCELLED else ''}{error}")
        job.event({"kind": "evaluateError", "error": error, "exitCode": code})
    if job.rpc is not None:
        job.rpc.close(2.0)
    return code
