"""``python -m mlwb predict``: a generated CSV through a real RandomForest, in chunks, with cancel."""
from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from fake_extension import FakeExtension  # noqa: E402
from serve_helpers import RUNNER_DIR, runner_env, train_models  # noqa: E402

BIG_ROWS = 200_000


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    d = tmp_path_factory.mktemp("predict")
    t = train_models(d)
    X = t["X"]
    # The breast_cancer rows over and over (with an id column the model does not use): quick to write.
    header = "id," + ",".join(X.columns) + "\n"
    block = X.to_csv(index=False, header=False, float_format="%.6g")
    lines = block.splitlines(keepends=True)
    reps = BIG_ROWS // len(X) + 1
    big = d / "big.csv"
    with open(big, "w", encoding="utf-8") as f:
        f.write(header)
        n = 0
        for _ in range(reps):
            for line in lines:
                if n == BIG_ROWS:
                    break
                f.write(f"{n},{line}")
                n += 1
    small = d / "small.csv"
    with open(small, "w", encoding="utf-8") as f:
        f.write(header)
        for i, line in enumerate(lines[:500]):
            f.write(f"{i},{line}")
    # Expected: the model on the values as written (6 significant digits).
    cycle = pd.read_csv(io.StringIO(",".join(X.columns) + "\n" + block))
    t.update(big=big, small=small, cycle_expected=t["model"].predict(cycle).tolist())
    t["small_expected"] = t["cycle_expected"][:500]
    return t


def run_predict(args: List[str], env: Optional[Dict[str, str]] = None, no_pandas: bool = False,
                timeout: float = 120) -> subprocess.CompletedProcess:
    if no_pandas:
        cmd = [sys.executable, "-c", "import sys; sys.modules['pandas'] = None\n"
               "from mlwb.__main__ import main; sys.exit(main(sys.argv[1:]))", "predict", *args]
    else:
        cmd = [sys.executable, "-m", "mlwb", "predict", *args]
    return subprocess.run(cmd, env=runner_env(env), cwd=str(RUNNER_DIR), capture_output=True, text=True, timeout=timeout)


def last_event(out: str) -> Dict[str, Any]:
    return json.loads(out.strip().splitlines()[-1])


def read_predictions(path: Path) -> List[str]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows


def test_small_file_equals_model_predict_with_proba(data: Dict[str, Any]) -> None:
    r = run_predict(["--model", str(data["path"]), "--input", str(data["small"]), "--chunk-rows", "64", "--proba"])
    assert r.returncode == 0, r.stderr
    ev = last_event(r.stdout)
    out = data["small"].with_name("small.predictions.csv")
    assert ev["event"] == "done" and ev["rows"] == 500 and ev["output"] == str(out) and ev["ignoredColumns"] == ["id"]
    rows = read_predictions(out)
    assert rows[0] == ["prediction", "proba_0", "proba_1"]
    assert [int(r[0]) for r in rows[1:]] == data["small_expected"]
    assert all(abs(float(r[1]) + float(r[2]) - 1) < 1e-9 for r in rows[1:])
    assert "ignored column(s) the model does not use: id" in r.stderr
    assert not out.with_name(out.name + ".part").exists()


def test_csv_module_path_without_pandas(data: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    r = run_predict(["--model", str(data["path"]), "--input", str(data["small"]), "--output", str(out),
                     "--chunk-rows", "100"], no_pandas=True)
    assert r.returncode == 0, r.stderr
    assert [int(x[0]) for x in read_predictions(out)[1:]] == data["small_expected"]


def test_big_file_in_bounded_memory(data: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "big.out.csv"
    r = run_predict(["--model", str(data["path"]), "--input", str(data["big"]), "--output", str(out),
                     "--chunk-rows", "5000"])
    assert r.returncode == 0, r.stderr
    ev = last_event(r.stdout)
    assert ev["rows"] == BIG_ROWS
    got = [int(x[0]) for x in read_predictions(out)[1:]]
    cycle = data["cycle_expected"]
    assert len(got) == BIG_ROWS and got == [cycle[i % len(cycle)] for i in range(BIG_ROWS)]
    assert "rows (" in r.stderr  # progress lines
    # Memory: reading the file raises the peak far less than the file's size (it is never loaded whole).
    size = data["big"].stat().st_size
    assert ev["inputBytes"] == size
    if ev["peakRssBytes"] is not None:
        growth = ev["peakRssBytes"] - ev["peakRssBeforeBytes"]
        assert growth < size / 2, (growth, size)


def start_predict(args: List[str], env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mlwb", "predict", *args], env=runner_env(env), cwd=str(RUNNER_DIR),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigint_cancels_between_chunks_and_keeps_old_output(data: Dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "keep.csv"
    out.write_text("old\n")
    p = start_predict(["--model", str(data["path"]), "--input", str(data["big"]), "--output", str(out),
                       "--chunk-rows", "1000"])
    assert p.stderr is not None
    seen: List[str] = []
    for line in p.stderr:  # wait for the first progress line
        seen.append(line)
        if "rows (" in line:
            break
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, "".join(seen) + stderr
    ev = last_event(stdout)
    assert ev["event"] == "cancelled" and 0 < ev["rows"] < BIG_ROWS and ev["output"] is None
    assert "partial output was removed" in ev["message"] and "cancelled after" in stderr
    assert out.read_text() == "old\n" and not (tmp_path / "keep.csv.part").exists()


def test_progress_and_cancel_over_rpc(data: Dict[str, Any], tmp_path: Path) -> None:
    ext = FakeExtension()
    try:
        p = start_predict(["--model", str(data["path"]), "--input", str(data["big"]), "--output", str(tmp_path / "o.csv"),
                           "--chunk-rows", "1000", "--job-id", "job-42"], env={"MLWB_RPC_PIPE": ext.path})
        assert "predict" in ext.wait_method("runner/handshake")["params"]["capabilities"]
        prog = ext.wait_for(lambda m: m.get("method") == "run/event"
                            and m["params"]["event"]["kind"] == "predictProgress")["params"]
        assert prog["runId"] == "job-42" and prog["event"]["rows"] > 0 and prog["event"]["bytesTotal"] == data["big"].stat().st_size
        assert 0 < prog["event"]["fraction"] <= 1
        rid = ext.request("run/cancel", {"reason": "test"})
        assert ext.wait_reply(rid)["result"] == {"accepted": True}
        done = ext.wait_for(lambda m: m.get("method") == "run/event"
                            and m["params"]["event"]["kind"] == "predictComplete")["params"]["event"]
        assert done["status"] == "cancelled" and done["exitCode"] == 130
        p.communicate(timeout=60)
        assert p.returncode == 130
        assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.csv.part").exists()
    finally:
        ext.close()


def test_missing_features_and_bad_values(data: Dict[str, Any], tmp_path: Path) -> None:
    X = data["X"]
    bad = tmp_path / "bad.csv"
    X.iloc[:10].drop(columns=["mean radius"]).to_csv(bad, index=False)
    r = run_predict(["--model", str(data["path"]), "--input", str(bad)])
    ev = last_event(r.stdout)
    assert r.returncode == 1 and ev["event"] == "error" and ev["missing_features"] == ["mean radius"]
    assert "mean radius" in ev["error"] and not (tmp_path / "bad.predictions.csv").exists()

    text = X.iloc[:10].copy().astype(object)
    text.iloc[3, 2] = "oops"
    text.to_csv(bad, index=False)
    r = run_predict(["--model", str(data["path"]), "--input", str(bad)])
    ev = last_event(r.stdout)
    assert r.returncode == 1 and "rows 1-10" in ev["error"]

    r = run_predict(["--model", str(data["path"]), "--input", str(tmp_path / "none.csv")])
    assert r.returncode == 2 and last_event(r.stdout)["event"] == "error"


def test_headerless_file(data: Dict[str, Any], tmp_path: Path) -> None:
    X = data["X"]
    f = tmp_path / "nohdr.csv"
    X.iloc[:50].to_csv(f, index=False, header=False)
    r = run_predict(["--model", str(data["path"]), "--input", str(f)])
    assert r.returncode == 0, r.stderr
    got = [int(x[0]) for x in read_predictions(tmp_path / "nohdr.predictions.csv")[1:]]
    assert got == data["model"].predict(X.iloc[:50]).tolist()
