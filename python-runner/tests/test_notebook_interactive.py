"""Notebooks run cell by cell in a kernel (VS Code's notebook UI), with real kernels started by nbclient.

VS Code's Jupyter extension sets ``__vsc_ipynb_file__`` in the kernel; the first cell of each notebook here sets
it the same way (or ``$JPY_SESSION_NAME`` is set, as Jupyter Server does). The kernel ends the way VS Code ends
it, with a shutdown request, so what a run does at exit happens as it would there.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from helpers import env_for, events, manifest, of_type, run_dirs, run_runner, series

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def write_notebook(path: Path, cells: List[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, str(path))
    return path


def run_in_kernel(path: Path, store: Path, monkeypatch: pytest.MonkeyPatch, env: Optional[Dict[str, str]] = None) -> object:
    """Executes every cell on a fresh kernel (which inherits this environment), then shuts it down."""
    for key, value in env_for(store, env).items():
        monkeypatch.setenv(key, value)
    for key in ("MLWB_RPC_PIPE", "MLWB_NOTEBOOK_RUN", *(() if env and "JPY_SESSION_NAME" in env else ("JPY_SESSION_NAME",))):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def outputs(nb: object) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))  # type: ignore[attr-defined]


def vsc(path: Path) -> str:
    return f"__vsc_ipynb_file__ = {str(path)!r}"


@pytest.mark.parametrize("start", ["%load_ext mlwb", "import mlwb.autolog"])
def test_load_ext_tracks_the_notebook_autolog_and_sdk_into_one_run(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   start: str) -> None:
    nb_path = tmp_path / "analysis.ipynb"
    cells = [
        vsc(nb_path),
        start,
        "from sklearn.datasets import load_iris\nfrom sklearn.linear_model import LogisticRegression\n"
        "X, y = load_iris(return_X_y=True)\nmodel = LogisticRegression(max_iter=300).fit(X, y)",
        "from mlwb import dxp\ndxp.metrics('eval').log(acc=0.93)\nprint('claimed', dxp.id)",
    ]
    write_notebook(nb_path, cells)
    nb = run_in_kernel(nb_path, store, monkeypatch)

    (run_dir,) = run_dirs(store)
    m = manifest(run_dir)
    assert m["script"] == {"path": str(nb_path), "sha256": hashlib.sha256(nb_path.read_bytes()).hexdigest()}
    assert m["argv"] == [str(nb_path)], "not ipykernel_launcher.py -f kernel.json"
    assert m["experiment"]["id"] == "analysis"
    assert f"as run {run_dir.name}" in outputs(nb) and f"claimed {run_dir.name}" in outputs(nb)
    assert events(run_dir)[-1]["status"] == "completed", "ended when the kernel shut down"
    s = series(run_dir)
    assert s["eval/acc"]["value"] == [0.93]
    assert s["autolog/LogisticRegression/training_score"]["value"][0] > 0.9, "sklearn autolog inside the kernel"
    saved = [f for f in of_type(run_dir, "file") if f["path"] == "notebook/cells.py"]
    assert saved, "the executed cells are a run file"
    code = (run_dir / "files" / "notebook" / "cells.py").read_text()
    assert code.index("# In[1]:") < code.index("__vsc_ipynb_file__") < code.index(start) < code.index("dxp.metrics('eval').log(acc=0.93)")


def test_sdk_in_a_kernel_records_the_notebook_and_its_cells_without_load_ext(store: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Jupyter Server's JPY_SESSION_NAME names the notebook; the cells are saved when the run ends and when it flushes."""
    nb_path = tmp_path / "explore.ipynb"
    write_notebook(nb_path, [
        "from mlwb import Experiment\nexp = Experiment('team/explore').start()",
        "exp.metrics('train').log(step=0, loss=0.5)\nexp.flush()\nimport pathlib\n"
        "code = (exp.run_dir / 'files' / 'notebook' / 'cells.py').read_text()\n"
        "print('after flush', 'exp.flush()' in code, ('run.' + 'complete()') in code)",  # a later cell is not in it yet
        "exp.run.complete()",
        "print('a cell after the run ended')",
    ])
    nb = run_in_kernel(nb_path, store, monkeypatch, {"JPY_SESSION_NAME": str(nb_path)})
    (run_dir,) = run_dirs(store)
    assert manifest(run_dir)["script"]["path"] == str(nb_path)
    assert "after flush True False" in outputs(nb), "flush saved the cells executed so far"
    assert events(run_dir)[-1]["status"] == "completed"
    code = (run_dir / "files" / "notebook" / "cells.py").read_text()
    assert "exp.run.complete()" in code and "a cell after the run ended" not in code
    assert [f["path"] for f in of_type(run_dir, "file")] == ["notebook/cells.py", "notebook/cells.py"], "a new version, same file"


def test_a_kernel_without_a_known_notebook_still_saves_its_cells(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb_path = write_notebook(tmp_path / "anon.ipynb", ["from mlwb import dxp\ndxp.log('hello')"])
    run_in_kernel(nb_path, store, monkeypatch)
    (run_dir,) = run_dirs(store)
    assert "ipykernel_launcher" in manifest(run_dir)["script"]["path"]
    assert manifest(run_dir)["experiment"]["id"] == "default"
    assert "dxp.log('hello')" in (run_dir / "files" / "notebook" / "cells.py").read_text()


@pytest.mark.parametrize("autolog", [True, False])
def test_headless_run_the_kernel_writes_into_the_runners_run(store: Path, tmp_path: Path, autolog: bool) -> None:
    """Under `python -m mlwb run NB.ipynb` the kernel is the script's process: autolog and the SDK log into the runner's
    run (the first Experiment claims it, a second one nests in it), and the runner ends it."""
    nb_path = write_notebook(tmp_path / "headless.ipynb", [
        "%load_ext mlwb",
        "from sklearn.datasets import load_iris\nfrom sklearn.linear_model import LogisticRegression\n"
        "X, y = load_iris(return_X_y=True)\nLogisticRegression(max_iter=300).fit(X, y)",
        "from mlwb import Experiment\nwith Experiment('inner').run as exp:\n    exp.metrics.log(v=1)",
        "second = Experiment('second').start()\nsecond.metrics.log(w=2)\nsecond.run.complete()",
    ])
    result = run_runner(nb_path, store, timeout=120, opts=[] if autolog else ["--no-autolog"])
    assert result.returncode == 0, result.stderr
    runs = {manifest(d)["experiment"]["id"]: d for d in run_dirs(store)}
    assert set(runs) == {"headless", "second"}, "one run for the notebook, one nested in it"
    outer = runs["headless"]
    assert manifest(runs["second"])["parent"] == outer.name and "parent" not in manifest(outer)
    assert [c["experiment"]["id"] for c in of_type(outer, "claimed")] == ["inner"], "the kernel's Experiment claimed it"
    s = series(outer)
    assert s["v"]["value"] == [1]
    assert ("autolog/LogisticRegression/training_score" in s) is autolog
    assert events(outer)[-1]["status"] == "completed" and events(outer)[-1].get("exit_code") == 0, "ended by the runner"
    assert not (outer / "files" / "notebook" / "cells.py").exists(), "the executed notebook is its record"
    assert (outer / "files" / "notebook" / "executed.ipynb").exists()
