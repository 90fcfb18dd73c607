"""Guarantee: names with "..", absolute paths or odd characters never make the SDK, the runner's autolog
or explain write outside a run's files/ directory; what the journal records is always a safe relative path."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from helpers import env_for, of_type, run_dirs, run_runner
from mlwb import Experiment
from mlwb._files import safe_relpath
from mlwb._store import is_safe_run_id

HOSTILE = [
    "..", "../x", "../../etc/passwd", "a/../../x", "a/..", "a/../b", ".." + "/.." * 60 + "/etc/passwd", "/etc/passwd", "/",
    "//server/share/x", "C:\\Windows\\system.ini", "C:x", "c:/x", "..\\x", "a\\..\\..\\x", "\\\\server\\share", "a\x00b", "\x00",
    "../x\x00.pkl", "", ".", "./", "~/../../x",
]
# Saved inside the run, under the name given (after "a//b" -> "a/b" style normalisation).
ODD = [
    "model.pkl", "models/model.pt", "naïve – ü.json", "日本語/モデル.pkl", "emoji 🤖.txt", "with space.txt", "CON", "nul.txt", "aux",
    "COM1.txt", "LPT1", "trailing.", "trailing ", "line\nbreak.txt", "tab\tname", "%2e%2e/x", "...", "..a", "a..", ".hidden", "~",
    "$HOME", "'; DROP TABLE files; --", "x" * 200, "d/" * 40 + "deep.bin", "a//b", "./x", "x/", "a/./b", "file:///etc/passwd",
    "\u202eevil.txt", "a\"b<c>d|e?f*g",
]
# Not names at all: save(src, to="") keeps the source's name, files("") and files(".") are the files root.
DEFAULTS = {("save", ""), ("prefix", ""), ("prefix", ".")}
TOO_LONG = ["x" * 300, "d/" + "y" * 256]  # longer than a file name may be: an OSError, nothing written


def tree(d: Path) -> List[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


def writers(src: Path) -> Dict[str, Callable[[Any, str], Any]]:
    return {
        "save": lambda exp, n: exp.files().save(src, to=n),
        "save_json": lambda exp, n: exp.files().save_json({"a": 1}, to=n),
        "save_pkl": lambda exp, n: exp.files().save_pkl({"a": 1}, to=n),
        "prefix": lambda exp, n: exp.files(n).save(src),
        "prefix+name": lambda exp, n: exp.files("sub").save_json({}, to=n),
        "update": lambda exp, n: exp.files().update(n, description="x"),
        "delete": lambda exp, n: exp.files().delete(n),
    }


def test_every_writer_over_every_name_stays_inside_the_run(tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox"
    (sandbox / "outside").mkdir(parents=True)
    (sandbox / "outside" / "secret.txt").write_text("outside")
    src = sandbox / "outside" / "src.bin"
    src.write_bytes(b"bytes")
    store = sandbox / "ws" / ".mlwb"
    before = tree(sandbox)
    tried = 0
    with Experiment("paths", root=store) as exp:
        files_dir = (exp.run_dir / "files").resolve()
        for wname, write in writers(src).items():
            for name in HOSTILE:
                tried += 1
                if (wname, name) in DEFAULTS:
                    assert write(exp, name)["path"] == "src.bin"
                    continue
                # update/delete look a name up: not found, or refused as a path; writers refuse it.
                with pytest.raises((ValueError, FileNotFoundError)) as info:
                    write(exp, name)
                if wname not in ("update", "delete"):
                    assert info.type is ValueError, (wname, name, info.value)
            for name in TOO_LONG:
                tried += 1
                if wname in ("save", "save_json", "save_pkl", "prefix+name"):
                    with pytest.raises(OSError):
                        write(exp, name)
        for name in ODD:
            for wname in ("save", "save_json", "save_pkl", "update", "prefix+name"):
                tried += 1
                f = writers(src)[wname](exp, name)
                stored = (files_dir / f["path"]).resolve()
                assert str(stored).startswith(str(files_dir) + os.sep) and stored.is_file(), (wname, name)
                assert f["path"] == safe_relpath(f["path"]), f["path"]
        tried += 1
        assert exp.files().delete(ODD[0])["deleted"] is True
    after = tree(sandbox)
    assert [p for p in after if p != "ws" and not p.startswith("ws/.mlwb")] == before
    run_prefix = str(exp.run_dir.relative_to(sandbox))
    assert all(p.startswith(run_prefix) or p.count("/") <= 2 for p in after if p.startswith("ws/"))
    assert (sandbox / "outside" / "secret.txt").read_text() == "outside"
    for rec in of_type(exp.run_dir, "file"):
        assert rec["path"] == safe_relpath(rec["path"]) and ".." not in rec["path"].split("/")
    print(f"paths (python): {tried} writer × name cases, {len(HOSTILE)} hostile, {len(ODD)} odd, {len(TOO_LONG)} too long")


def test_symlinked_folder_inside_the_run_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with Experiment("links", root=tmp_path / "store") as exp:
        files_dir = exp.run_dir / "files"
        files_dir.mkdir()
        os.symlink(outside, files_dir / "evil")
        os.symlink(outside / "f.txt", files_dir / "dangling.txt")
        for write in (lambda: exp.files("evil").save_json({}, to="x.json"), lambda: exp.files().save_json({}, to="evil/x.json"),
                      lambda: exp.files().save_pkl(1, to="dangling.txt")):
            with pytest.raises(ValueError, match="outside"):
                write()
    assert list(outside.iterdir()) == []


def test_autolog_model_saves_of_classes_with_hostile_names_stay_in_the_run(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    script = tmp_path / "hostile_fit.py"
    script.write_text(textwrap.dedent("""
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        X, y = load_iris(return_X_y=True)
        for name in ["../../../evil", "/tmp/mlwb-abs-evil", "a\\\\..\\\\..\\\\win", "..", "CON", "x" * 300]:
            type(name, (LogisticRegression,), {})(max_iter=300).fit(X, y)
        LogisticRegression(max_iter=300).fit(X, y)
        print("fitted")
    """))
    before = tree(tmp_path)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    assert of_type(run_dir, "status")[-1]["status"] == "completed"
    paths = [r["path"] for r in of_type(run_dir, "file")]
    assert "autolog/LogisticRegression.pkl" in paths
    for p in paths:
        assert p == safe_relpath(p) and p.startswith("autolog/"), p
    files_dir = (run_dir / "files").resolve()
    assert all(str(p.resolve()).startswith(str(files_dir)) for p in files_dir.rglob("*"))
    assert [p for p in tree(tmp_path) if not p.startswith("store")] == before
    assert not Path("/tmp/mlwb-abs-evil.pkl").exists()


@pytest.mark.parametrize("run_id", HOSTILE + ["../runs", "-x", ".hidden", "a..b", "x\n", "x" * 200])
def test_explain_and_run_refuse_hostile_run_ids(store: Path, tmp_path: Path, run_id: str) -> None:
    assert not is_safe_run_id(run_id)
    from mlwb.explain._attach import run_dir_for
    from mlwb.explain._model import ExplainError

    os.environ["MLWB_STORE"] = str(store)
    try:
        with pytest.raises(ExplainError, match="invalid run id"):
            run_dir_for(run_id)
    finally:
        del os.environ["MLWB_STORE"]


def test_explain_cli_with_a_hostile_run_id_writes_nothing(store: Path, tmp_path: Path) -> None:
    before = tree(tmp_path)
    r = subprocess.run([sys.executable, "-m", "mlwb", "explain", "--model", "m.pkl", "--data", "d.csv", "--run", "../../x"],
                       env=env_for(store), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "invalid run id" in r.stderr + r.stdout
    assert tree(tmp_path) == before
