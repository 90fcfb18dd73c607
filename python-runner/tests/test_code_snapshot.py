"""The runner's code snapshot: the script as it started and the workspace files it imported, content addressed."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

from helpers import run_dirs, run_runner


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "lib").mkdir(parents=True)
    (ws / "lib" / "__init__.py").write_text("")
    (ws / "lib" / "features.py").write_text("def scale(x):\n    return x * 2\n")
    (ws / "big_unused.py").write_text("# never imported\n")
    (ws / "train.py").write_text(textwrap.dedent("""\
        import json, sys
        from lib.features import scale
        print(scale(21))
        # The script edits itself while it runs: the snapshot keeps it as it started.
        with open(__file__, "a") as f:
            f.write("# edited during the run\\n")
    """))
    return ws


def _blobs(store: Path) -> list:
    return sorted(p for p in (store / "code").rglob("*") if p.is_file())


def test_script_and_imported_workspace_files_are_kept_once(tmp_path: Path):
    ws = _workspace(tmp_path)
    store = ws / ".mlwb"
    original = (ws / "train.py").read_bytes()
    r = run_runner(ws / "train.py", store)
    assert r.returncode == 0, r.stderr
    run = run_dirs(store)[0]
    doc = json.loads((run / "code.json").read_text())
    assert [f["path"] for f in doc["files"]] == ["train.py", "lib/__init__.py", "lib/features.py"]
    assert "capped" not in doc and doc["root"] == str(ws)
    by_path = {f["path"]: f for f in doc["files"]}
    blob = store / "code" / by_path["train.py"]["sha256"][:2] / by_path["train.py"]["sha256"]
    assert blob.read_bytes() == original, "the script as it was when the run started"
    assert (ws / "train.py").read_bytes() != original
    blobs = _blobs(store)
    # A second run of the same files (the script as edited) adds only the script's new content.
    assert run_runner(ws / "train.py", store).returncode == 0
    assert len(_blobs(store)) == len(blobs) + 1


def test_caps_and_opt_out(tmp_path: Path):
    ws = _workspace(tmp_path)
    store = ws / ".mlwb"
    (ws / "lib" / "features.py").write_text("DATA = " + repr("x" * (1 << 20)) + "\ndef scale(x):\n    return x * 2\n")
    assert run_runner(ws / "train.py", store).returncode == 0
    doc = json.loads((run_dirs(store)[0] / "code.json").read_text())
    assert [f["path"] for f in doc["files"]] == ["train.py", "lib/__init__.py"]
    assert doc["capped"] == "lib/features.py is over 1 MB"
    assert run_runner(ws / "train.py", store, opts=["--no-code-snapshot"]).returncode == 0
    newest = [d for d in run_dirs(store) if not (d / "code.json").exists()]
    assert len(newest) == 1


def test_summary_says_what_was_kept(tmp_path: Path):
    from mlwb import _code_snapshot

    store = tmp_path / ".mlwb"
    run_dir = store / "runs" / "r1"
    run_dir.mkdir(parents=True)
    script = tmp_path / "solo.py"
    script.write_text("print(1)\n")
    doc, summary = _code_snapshot.snapshot(store, run_dir, script, b"print(0)\n")
    assert summary == "code snapshot: 1 file, 9 bytes (--no-code-snapshot turns it off)"
    assert doc["files"] == [{"path": "solo.py", "sha256": doc["files"][0]["sha256"], "size": 9}]
    assert _code_snapshot.read_manifest(run_dir) == doc
