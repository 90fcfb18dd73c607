"""Artifacts: save/list/download/update/soft delete, serialisers, and path-escape rejection."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest

from helpers import of_type
from mlwb import Experiment


def test_save_list_download_update_delete(store: Path, tmp_path: Path) -> None:
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights-v1")
    with Experiment("files", root=store) as exp:
        f = exp.files("models", tags=["ckpt"]).save(src, description="first", metadata={"epoch": 1})
        assert (f["path"], f["size"], f["sha256"]) == ("models/model.bin", 10, hashlib.sha256(b"weights-v1").hexdigest())
        assert (f["description"], f["tags"], f["metadata"]) == ("first", ["ckpt"], {"epoch": 1})
        stored = exp.run_dir / "files" / "models" / "model.bin"
        assert stored.read_bytes() == b"weights-v1" and not stored.is_symlink()
        src.write_bytes(b"changed later")  # copied, not linked
        assert stored.read_bytes() == b"weights-v1"

        cfg = exp.files("configs").save_json({"lr": 0.1}, to="cfg.json")
        assert [x["path"] for x in exp.files().list()] == ["models/model.bin", "configs/cfg.json"]
        assert [x["id"] for x in exp.files("models").list()] == [f["id"]]
        assert [x["id"] for x in exp.files(tags=["ckpt"]).list()] == [f["id"]]

        out = exp.files().download(f["id"], tmp_path / "dl" / "copy.bin")
        assert Path(out).read_bytes() == b"weights-v1"
        assert Path(exp.files().download("configs/cfg.json", tmp_path / "c.json")).read_text().startswith("{")
        assert Path(exp.files("configs").download("cfg.json")).name == "cfg.json"  # default: its name in the cwd

        u = exp.files(file_id=f["id"]).update(description="best", tags=["best"], metadata={"epoch": 9})
        assert (u["id"], u["description"], u["tags"], u["metadata"]) == (f["id"], "best", ["best"], {"epoch": 9})
        src.write_bytes(b"weights-v2!")
        u2 = exp.files().update(f["id"], local_path=src)
        assert u2["size"] == 11 and stored.read_bytes() == b"weights-v2!"

        d = exp.files().delete(cfg["id"])
        assert d["deleted"] is True
        assert [x["id"] for x in exp.files().list()] == [f["id"]]
        assert (exp.run_dir / "files" / "configs" / "cfg.json").exists()  # soft: bytes kept
        with pytest.raises(FileNotFoundError):
            exp.files().download(cfg["id"], tmp_path / "x")
    recs = of_type(exp.run_dir, "file")
    assert [(r["op"], r["path"]) for r in recs] == [
        ("save", "models/model.bin"), ("save", "configs/cfg.json"), ("update", "models/model.bin"),
        ("update", "models/model.bin"), ("delete", "configs/cfg.json")]
    assert recs[2]["description"] == "best" and recs[2]["meta"] == {"epoch": 9}
    assert recs[3]["sha256"] == hashlib.sha256(b"weights-v2!").hexdigest()


def test_saving_same_path_again_is_a_new_version(store: Path, tmp_path: Path) -> None:
    with Experiment("again", root=store) as exp:
        a = exp.files("m").save_pkl({"v": 1}, to="x.pkl")
        b = exp.files("m").save_pkl({"v": 2}, to="x.pkl")
        assert a["id"] == b["id"] and len(exp.files().list()) == 1
        assert pickle.loads((exp.run_dir / "files/m/x.pkl").read_bytes()) == {"v": 2}


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "/etc/passwd", "C:\\x", "a\x00b", "..\\x", "", ".", ".."])
def test_path_escapes_are_rejected(store: Path, tmp_path: Path, bad: str) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    with Experiment("escape", root=store) as exp:
        with pytest.raises(ValueError):
            exp.files().save_json({}, to=bad)
        if bad not in ("", "."):  # as a prefix these mean the files root
            with pytest.raises(ValueError):
                exp.files(bad).save(src)
    assert not (tmp_path / "x").exists() and not (store / "runs" / "x").exists()


def test_symlink_pointing_outside_is_rejected(store: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with Experiment("link", root=store) as exp:
        files_dir = exp.run_dir / "files"
        files_dir.mkdir()
        os.symlink(outside, files_dir / "evil")
        with pytest.raises(ValueError, match="outside"):
            exp.files("evil").save_json({"a": 1}, to="x.json")
    assert list(outside.iterdir()) == []


def test_save_torch(store: Path) -> None:
    torch = pytest.importorskip("torch")
    with Experiment("torch", root=store) as exp:
        model = torch.nn.Linear(2, 1)
        f = exp.files("models").save_torch(model.state_dict(), to="m.pt")
        loaded = torch.load(exp.run_dir / "files" / f["path"])
        assert torch.equal(loaded["weight"], model.state_dict()["weight"])


def test_save_fig(store: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with Experiment("fig", root=store) as exp:
        plt.plot([1, 2, 3])
        f = exp.files("plots").save_fig(to="p.png", dpi=50)
        assert (exp.run_dir / "files" / f["path"]).read_bytes()[:4] == b"\x89PNG"


def test_save_json_content(store: Path) -> None:
    with Experiment("json", root=store) as exp:
        f = exp.files().save_json({"a": [1, 2]}, to="d/x.json", tags=["t"])
    assert json.loads((exp.run_dir / "files" / "d" / "x.json").read_text()) == {"a": [1, 2]}
    assert f["tags"] == ["t"]
