"""``python -m mlwb explain``: explain a model file on a CSV, with progress and cancel.

Under the extension (``MLWB_RPC_PIPE`` set) it shakes hands as the runner does, sends ``run/event``
feature events (``explainProgress`` {stage, current, total}, ``explainResult`` {data: summary},
``explainComplete`` {durationMs}), answers ``run/cancel`` (stops between units of work, exit 130) and
ends with ``run/finished``. Without a pipe, progress goes to stderr. Exit codes: 0 done, 1 crash,
2 bad input (model, data, columns, options), 130 cancelled.

SECURITY: a pickle/joblib model file is code; this command loads exactly the file it is given.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional

EXIT_OK, EXIT_CRASH, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
PROGRESS_INTERVAL_S = 0.1
STDERR_INTERVAL_S = 1.0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mlwb explain",
        description="Explain a model on a CSV: SHAP values (exact TreeSHAP for tree models, KernelSHAP "
                    "otherwise, or the shap library when installed), permutation importance and PDP/ICE. "
                    "Writes explain.json into --out. A pickle/joblib model is code: only explain files you trust.")
    p.add_argument("--model", required=True, help="model file: .pkl/.pickle/.joblib (sklearn, xgboost sklearn "
                   "API, Pipeline) or an XGBoost model .json/.ubj")
    p.add_argument("--model-sha256", default=None, help="sha256 the model file must have (the bytes the user agreed "
                   "to load); other bytes are refused, and the model is loaded from the checked bytes")
    p.add_argument("--data", required=True, help="CSV with a header row (feature columns, optionally the target)")
    p.add_argument("--target", help="the label column: excluded from features, enables permutation importance")
    p.add_argument("--rows", type=int, help="rows to explain, sampled (default: 1000 tree, 100 kernel)")
    p.add_argument("--background", type=int, default=100, help="background rows for KernelSHAP (default 100)")
    p.add_argument("--method", choices=("auto", "tree", "kernel", "shap"), default="auto")
    p.add_argument("--top", type=int, default=5, help="features (by mean |SHAP|) that get PDP/ICE (default 5)")
    p.add_argument("--grid", type=int, default=20, help="PDP grid resolution (default 20)")
    p.add_argument("--ice", type=int, default=50, help="ICE lines per feature (default 50)")
    p.add_argument("--perm-repeats", type=int, default=5, help="permutation importance repeats (default 5)")
    p.add_argument("--nsamples", type=int, help="KernelSHAP coalitions when sampling (default 2M+2048)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output directory for explain.json (default with --run: the run's files)")
    p.add_argument("--run", help="store the result with this run of the store (<run>/files/explain/explain.json)")
    return p


class Reporter:
    """Progress, result and completion: to the extension when connected, else to stderr."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._last = 0.0
        self._stage = ""

    def progress(self, stage: str, current: int, total: int) -> None:
        now = time.monotonic()
        boundary = stage != self._stage or current >= total or current == 0
        interval = PROGRESS_INTERVAL_S if self.session else STDERR_INTERVAL_S
        if not boundary and now - self._last < interval:
            return
        self._last, self._stage = now, stage
        if self.session is not None:
            self.session.on_event({"kind": "explainProgress", "stage": stage, "current": current, "total": total})
        else:
            _say(f"{stage} {current}/{total}")

    def event(self, event: Dict[str, Any]) -> None:
        if self.session is not None:
            self.session.on_event(event)


def _say(message: str) -> None:
    try:
        sys.stderr.write(f"mlwb explain: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _connect(run_id: str) -> Any:
    from .._protocol import PIPE_ENV

    pipe = os.environ.get(PIPE_ENV)
    if not pipe:
        return None
    from .._runner import Session

    session = Session()
    session.connect(pipe, autolog=False)
    if session.rpc is None:
        return None
    session.run_id = run_id
    return session


def summary(result: Dict[str, Any], path: str) -> Dict[str, Any]:
    """The ``explainResult`` data: what a panel shows before it reads explain.json."""
    meta = result["metadata"]
    return {
        "path": path, "schema": result["schema"], "method": meta["method"], "algorithm": meta["algorithm"],
        "task": meta["task"], "outputSpace": meta["outputSpace"], "outputNames": meta["outputNames"],
        "rows": meta["rows"], "features": len(meta["featureNames"]),
        "baseValues": [o["baseValue"] for o in result["shap"]["outputs"]],
        "topFeatures": [{"feature": e["feature"], "meanAbsShap": e["meanAbsShap"],
                         **({"permutationMean": e["permutationMean"]} if "permutationMean" in e else {})}
                        for e in result["importance"][:10]],
        "localAccuracyMaxError": meta["localAccuracyMaxError"], "timing": meta["timing"],
    }


def _write_json(path: Path, obj: Any) -> None:
    """Compact strict JSON (non-finite numbers as strings) through a temp file: never half a file."""
    from .._encode import dumps

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(dumps(obj))
        f.write("\n")
    os.replace(tmp, path)


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()
    session = _connect(args.run or "")
    reporter = Reporter(session)
    status, code, error, tb = "completed", EXIT_OK, None, None
    try:
        code = _explain(args, reporter, session, started)
    except KeyboardInterrupt:
        status, code, error = "cancelled", EXIT_CANCELLED, "cancelled"
        _say("cancelled")
    except Exception as e:
        from ._api import Cancelled
        from ._model import ExplainError

        if isinstance(e, Cancelled):
            status, code, error = "cancelled", EXIT_CANCELLED, "cancelled"
            _say("cancelled" + (f" ({session.cancel_reason})" if session and session.cancel_reason else "")
                 + "; nothing was written")
        elif isinstance(e, ExplainError):
            status, code, error = "failed", EXIT_USAGE, str(e)
            _say(f"error: {e}")
        else:
            status, code, error = "failed", EXIT_CRASH, f"{type(e).__name__}: {e}"
            tb = traceback.format_exc()
            sys.stderr.write(tb)
    if session is not None:
        finished: Dict[str, Any] = {"runId": session.run_id, "status": status, "exitCode": code,
                                    "durationMs": round((time.monotonic() - started) * 1000, 3)}
        if error and status != "cancelled":
            finished["error"] = error
        if tb:
            finished["traceback"] = tb
        session.finish(finished)
    return code


def _explain(args: argparse.Namespace, reporter: Reporter, session: Any, started: float) -> int:
    from ._model import ExplainError

    if args.out is None and args.run is None:
        raise ExplainError("give --out DIR (or --run RUN_ID to store the result with a run)")
    for name in ("rows", "background", "grid", "perm_repeats", "nsamples"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ExplainError(f"--{name.replace('_', '-')} must be at least 1")
    try:
        from . import explain as run_explain
        from ._attach import RUN_FILE, attach, check_ended, run_dir_for
        from ._data import load_model, read_csv, select_columns
    except ImportError as e:
        raise ExplainError(str(e)) from None
    run_dir = run_dir_for(args.run) if args.run else None
    if run_dir is not None:
        check_ended(run_dir)
    reporter.progress("load", 0, 2)
    model = load_model(args.model, args.model_sha256)
    header, values = read_csv(args.data)
    X, y, names, warnings = select_columns(model, header, values, args.target)
    for w in warnings:
        _say(f"warning: {w}")
    reporter.progress("load", 2, 2)
    cancelled = (lambda: session.cancel_requested) if session is not None else None
    result = run_explain(model, X, y, feature_names=names, method=args.method, rows=args.rows,
                         background=args.background, top=args.top, grid_resolution=args.grid, ice=args.ice,
                         perm_repeats=args.perm_repeats, nsamples=args.nsamples, seed=args.seed,
                         progress=reporter.progress, cancelled=cancelled)
    meta = result["metadata"]
    meta["model"]["path"] = os.path.abspath(args.model)
    meta["data"] = {"path": os.path.abspath(args.data), "target": args.target, "columns": header}
    meta["warnings"] = warnings
    if args.run:
        meta["run"] = args.run
    out_dir = Path(args.out) if args.out else run_dir / "files" / Path(RUN_FILE).parent  # type: ignore[operator]
    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / "explain.json"
    meta["timing"]["totalMs"] = round((time.monotonic() - started) * 1000, 3)
    _write_json(out_path, result)
    if run_dir is not None:
        attach(run_dir, out_path)
    reporter.event({"kind": "explainResult", "data": summary(result, str(out_path.absolute()))})
    reporter.event({"kind": "explainComplete", "durationMs": round((time.monotonic() - started) * 1000, 3)})
    _say(f"wrote {out_path} ({meta['method']}: {meta['algorithm']}, {meta['rows']} rows x "
         f"{len(meta['featureNames'])} features, local accuracy max error {meta['localAccuracyMaxError']:.2e})")
    return EXIT_OK
