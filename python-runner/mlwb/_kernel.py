"""Runs started inside a Jupyter kernel (a notebook the user runs cell by cell in VS Code or Jupyter).

A kernel's ``sys.argv[0]`` is ``ipykernel_launcher.py``, which says nothing of the notebook (mlflow#3695). The
notebook is found instead from ``__vsc_ipynb_file__`` (VS Code's Jupyter extension sets it in the kernel's
namespace) or ``$JPY_SESSION_NAME`` (Jupyter Server sets it to the notebook's path); the run records it as its
script, with its sha256, and the cells the kernel has executed are saved as the run file ``notebook/cells.py``
when the run flushes and when it ends.

``%load_ext mlwb`` (or ``import mlwb.autolog``) starts a run for the notebook, as ``python -m mlwb run`` starts one
for a script: the first ``Experiment`` / ``dxp`` started afterwards claims it, and sklearn autolog, the capture
hooks and the tracker stand-ins log into it. Nothing here imports IPython: it is used only when already loaded.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

if TYPE_CHECKING:
    from ._experiment import Experiment

CELLS_FILE = "notebook/cells.py"
VSCODE_NOTEBOOK_VAR = "__vsc_ipynb_file__"
SESSION_ENV = "JPY_SESSION_NAME"
RUNNER_RUN_ENV = "MLWB_NOTEBOOK_RUN"  # set by `python -m mlwb run NB.ipynb` for the kernel it starts
HOOKS_ENV = "MLWB_NOTEBOOK_HOOKS"  # what that kernel installs: "autolog,trackers" (--no-autolog / --no-trackers drop them)

_tracked: "Optional[Experiment]" = None
_saved: Dict[str, int] = {}  # run id -> how many cells its notebook/cells.py holds (flush is called often)


def shell() -> Any:
    """The IPython shell this process runs cells in, or None (a plain script, the runner itself)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:
        return None


def notebook_path() -> Optional[Path]:
    """The notebook this kernel runs, when its front end says which."""
    ip = shell()
    if ip is None:
        return None
    candidates = [getattr(ip, "user_ns", {}).get(VSCODE_NOTEBOOK_VAR), os.environ.get(SESSION_ENV)]
    for value in candidates:
        if not isinstance(value, str) or not value.strip():
            continue
        p = Path(value)
        if not p.is_absolute():
            p = Path.cwd() / p
        if p.suffix.lower() == ".ipynb" and p.is_file():
            return p.absolute()
    return None


def runner_run() -> Optional[str]:
    """The run of ``python -m mlwb run NB.ipynb`` when this kernel executes that notebook headless."""
    value = os.environ.get(RUNNER_RUN_ENV)
    return value if value and shell() is not None else None


def executed_cells() -> List[str]:
    """The sources of the cells this kernel has executed, in order (as typed: magics untransformed)."""
    ip = shell()
    if ip is None:
        return []
    hist = getattr(getattr(ip, "history_manager", None), "input_hist_raw", None)
    if not isinstance(hist, list):
        hist = getattr(ip, "user_ns", {}).get("In") or []
    return [str(s) for s in hist[1:]] if hist else []


def cells_text(cells: List[str], notebook: Optional[Path]) -> str:
    head = f"# Cells executed in the kernel of {notebook.name if notebook else 'a notebook'}, in order (saved by mlwb).\n"
    return head + "".join(f"\n# In[{i}]:\n{src.rstrip()}\n" for i, src in enumerate(cells, 1) if src.strip())


def save_cells(exp: "Experiment") -> None:
    """The executed cells as the run file notebook/cells.py (a new version each time); a no-op outside a kernel."""
    if shell() is None or runner_run() is not None:
        return
    cells = executed_cells()
    if not cells or exp.id is None or _saved.get(exp.id) == len(cells):
        return
    fd, tmp = tempfile.mkstemp(suffix=".py")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(cells_text(cells, notebook_path()))
        exp.files().save(tmp, to=CELLS_FILE, description="the cells executed in the notebook's kernel, in order")
        _saved[exp.id] = len(cells)
    finally:
        os.unlink(tmp)


def start_tracking() -> "Optional[Experiment]":
    """``%load_ext mlwb``: a run for this notebook that the SDK claims and automatic logging writes to."""
    global _tracked
    from . import _ambient, _autolog, _tune_optuna, capture, compat
    from ._experiment import Experiment
    from ._store import resolve_store

    rid = runner_run()
    if rid is not None:
        return _attach_runner_run(rid)
    current = _ambient.owner()
    if current is not None:
        print(f"mlwb: already tracking this notebook as run {current.id}")
        return current
    nb = notebook_path()
    exp = Experiment(nb.stem if nb is not None else "notebook").start()
    _ambient.offer(exp, resolve_store(), None)
    _autolog.install()
    _tune_optuna.install()
    capture.install()
    compat.install()
    _start_system_metrics(exp)
    _tracked = exp
    where = nb.name if nb is not None else "this kernel (its notebook is unknown: VS Code sets __vsc_ipynb_file__)"
    print(f"mlwb: tracking {where} as run {exp.id} of experiment {exp._ref['id']!r}: scikit-learn fits, metrics, "
          f"figures and MLflow/W&B/TensorBoard calls go to it, and the executed cells are saved with it "
          f"(`%unload_ext mlwb` ends it)")
    return exp


def _attach_runner_run(run_id: str) -> "Optional[Experiment]":
    """The kernel of ``mlwb run NB.ipynb`` (which loads this extension at its start) writes into the runner's run, as a
    script's process does: the SDK claims it, autolog and the capture hooks log into it; the runner ends it."""
    import atexit
    import json

    from . import _ambient, _autolog, _tune_optuna, capture, compat
    from ._experiment import Experiment
    from ._store import resolve_store

    current = _ambient.owner()
    if current is not None:
        return current
    store = resolve_store()
    run_dir = store / "runs" / run_id
    try:
        manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"mlwb: cannot write into run {run_id} from this kernel: {e}", file=sys.stderr)
        return None
    exp = Experiment(str(manifest["experiment"]["id"]), run_name=manifest.get("name"))._attach(run_dir)
    _ambient.offer(exp, store, None)
    hooks = os.environ.get(HOOKS_ENV, "autolog,trackers").split(",")
    if "autolog" in hooks:
        _autolog.install()
        _tune_optuna.install()
        capture.install()
    if "trackers" in hooks:
        compat.install()
    run = exp._run
    if run is not None:
        atexit.register(run.journal.close)  # what the kernel logged, written before it exits (the runner writes the end)
    return exp


def stop_tracking() -> None:
    """``%unload_ext mlwb``: the run ends *completed* and the hooks come off."""
    global _tracked
    from . import _ambient, _autolog, _tune_optuna, capture, compat

    holder = _ambient.owner()
    if holder is not None:
        holder.complete()
    _autolog.uninstall()
    _tune_optuna.uninstall()
    capture.uninstall()
    compat.uninstall()
    _ambient.withdraw()
    _tracked = None


def _start_system_metrics(exp: "Experiment") -> None:
    from . import _ambient, _sysmetrics

    run = exp._run
    if run is None:
        return
    sampler = _sysmetrics.start_for_run(run.journal.append_points)
    _ambient.add_finisher(lambda holder: sampler.stop())
