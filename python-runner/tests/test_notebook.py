"""``python -m mlwb run NB.ipynb``: real Jupyter kernels (nbclient + ipykernel from apt)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import pytest

from helpers import env_for, events, logs, of_type, run_dirs, run_runner, start_runner

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def notebook(path: Path, cells: List[str], parameters: Optional[int] = None) -> Path:
    """Code cells; ``parameters``: the index of the cell tagged ``parameters``. A markdown cell comes first."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# A notebook"))
    for i, src in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src)
        if i == parameters:
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nbformat.write(nb, str(path))
    return path


def executed(run_dir: Path):
    return nbformat.read(str(run_dir / "files" / "notebook" / "executed.ipynb"), as_version=4)


def test_parameters_injected_outputs_logged_notebook_saved(store: Path, tmp_path: Path) -> None:
    nb = notebook(tmp_path / "analysis.ipynb", [
        "alpha = 0.1\nlabel = 'default'",
        "print('alpha', alpha, 'label', label)\nimport sys; print('to stderr', file=sys.stderr)",
        "alpha * 10",
    ], parameters=0)
    result = run_runner(nb, store, ["--param", "alpha=0.5", "--param=label=tuned"], timeout=120)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    assert events(run_dir)[-1]["status"] == "completed"
    assert of_type(run_dir, "params")[-1]["values"] == {"alpha": 0.5, "label": "tuned"}
    assert "alpha 0.5 label tuned" in logs(run_dir, "stdout")
    assert "5.0" in logs(run_dir, "stdout")
    assert "to stderr" in logs(run_dir, "stderr")
    out = executed(run_dir)
    sources = [c.source for c in out.cells]
    assert sources[2].startswith("# Parameters (injected by mlwb)") and "alpha = 0.5" in sources[2]
    assert out.cells[2].metadata["tags"] == ["injected-parameters"]
    assert out.cells[4].outputs[0]["data"]["text/plain"] == "5.0"


def test_failure_in_cell_k_names_cell_line_and_traceback(store: Path, tmp_path: Path) -> None:
    nb = notebook(tmp_path / "broken.ipynb", ["x = 1", "y = 2\nz = y / (x - 1)\nprint('never')", "print('after')"])
    result = run_runner(nb, store, timeout=120)
    assert result.returncode == 1
    (run_dir,) = run_dirs(store)
    last = events(run_dir)[-1]
    assert last["status"] == "failed"
    assert "ZeroDivisionError" in last["error"] and "cell 2 of 3, line 2: z = y / (x - 1)" in last["error"]
    assert "----> 2 z = y / (x - 1)" in last["traceback"]
    assert "never" not in result.stdout and "after" not in result.stdout
    out = executed(run_dir)  # saved with the outputs up to the failure
    assert out.cells[2].outputs[0]["ename"] == "ZeroDivisionError" and out.cells[3].outputs == []


def test_cancel_interrupts_the_kernel_mid_cell(store: Path, tmp_path: Path) -> None:
    from fake_extension import FakeExtension

    ext = FakeExtension()
    try:
        nb = notebook(tmp_path / "long.ipynb", ["print('started', flush=True)\nimport time\ntime.sleep(120)"])
        proc = start_runner(nb, store, ext)
        ext.wait_for(lambda m: m.get("method") == "run/progress" and "time" not in m["params"].get("message", "x"),
                     timeout=60)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        rid = ext.request("run/cancel", {"reason": "stop"})
        assert ext.wait_reply(rid)["result"] == {"accepted": True}
        finished = ext.wait_method("run/finished", timeout=60)["params"]
        assert proc.wait(timeout=60) == 130
        assert finished["status"] == "cancelled"
        (run_dir,) = run_dirs(store)
        assert events(run_dir)[-1]["status"] == "cancelled"
        assert executed(run_dir).cells[1].outputs[-1]["ename"] == "KeyboardInterrupt"
        progress = [m["params"] for m in ext.messages if m.get("method") == "run/progress"]
        assert progress[0]["total"] == 1 and progress[0]["message"] == "cell 1 of 1: print('started', flush=True)"
    finally:
        ext.close()


@pytest.mark.parametrize("args, message", [
    (["--param", "no-equals"], "expected name=value"),
    (["--param", "1x=3"], "expected name=value"),
    (["--epochs", "3"], "use --param name=value"),
])
def test_bad_params_exit_2_with_no_run(store: Path, tmp_path: Path, args: List[str], message: str) -> None:
    nb = notebook(tmp_path / "nb.ipynb", ["x = 1"])
    result = run_runner(nb, store, args)
    assert result.returncode == 2 and message in result.stderr
    assert run_dirs(store) == [] if store.exists() else True


def test_not_a_notebook_exits_2(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    result = run_runner(bad, store)
    assert result.returncode == 2 and "bad.ipynb is not a readable notebook" in result.stderr


def test_missing_packages_are_named(store: Path, tmp_path: Path) -> None:
    """An interpreter without nbclient (hidden here by a module that fails to import) gets the package's name."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "nbclient.py").write_text("raise ImportError('No module named nbclient')\n")
    nb = notebook(tmp_path / "nb.ipynb", ["x = 1"])
    env = env_for(store)
    env["PYTHONPATH"] = f"{blocker}:{env['PYTHONPATH']}"
    result = subprocess.run([sys.executable, "-m", "mlwb", "run", str(nb)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "nbclient (apt install python3-nbclient, or pip install nbclient)" in result.stderr
    assert json.dumps(sys.executable)[1:-1] in result.stderr


def test_progress_counts_the_notebooks_own_cells_not_the_injected_one(store: Path, tmp_path: Path) -> None:
    from fake_extension import FakeExtension

    ext = FakeExtension()
    try:
        nb = notebook(tmp_path / "params.ipynb", ["alpha = 0.1", "print(alpha)", "beta = alpha * 2\n1 / 0"], parameters=0)
        proc = start_runner(nb, store, ext, args=["--param", "alpha=0.5"])
        finished = ext.wait_method("run/finished", timeout=120)["params"]
        assert proc.wait(timeout=60) == 1
        cells = [m["params"]["message"] for m in ext.messages
                 if m.get("method") == "run/log" and m["params"]["message"].startswith("cell ")]
        assert cells == ["cell 1 of 3: alpha = 0.1", "cell 2 of 3: print(alpha)", "cell 3 of 3: beta = alpha * 2"]
        assert "cell 3 of 3, line 2: 1 / 0" in finished["error"]
        (run_dir,) = run_dirs(store)
        assert "0.5" in logs(run_dir, "stdout")
    finally:
        ext.close()


def test_a_notebook_whose_cells_lack_ids_runs_without_format_warnings_in_the_log(store: Path, tmp_path: Path) -> None:
    """Hand-written or generated v4.5 notebooks often have no cell ids: nbformat's warning about it is not the run's."""
    nb = tmp_path / "noids.ipynb"
    nb.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": "print('ran')"}]}))
    result = run_runner(nb, store, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "missing an id field" not in result.stderr
    (run_dir,) = run_dirs(store)
    assert "ran" in logs(run_dir, "stdout") and not any("missing an id" in m for m in logs(run_dir))
