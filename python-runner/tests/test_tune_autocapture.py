"""Optuna autocapture: an unmodified script that uses optuna, run through ``python -m mlwb run``, streams
every study's trials into tuning sessions (compared with the study's own ``study.trials``)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest

from fake_extension import FakeExtension
from helpers import env_for, events, of_type, run_dirs, run_runner

optuna = pytest.importorskip("optuna")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake extension uses a Unix socket")

# Unmodified: nothing of mlwb in it. It dumps optuna's own view of its studies for the comparison.
SCRIPT = """
import json, sys
import optuna
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeClassifier

optuna.logging.set_verbosity(optuna.logging.WARNING)
X, y = load_breast_cancer(return_X_y=True)

def objective(trial):
    model = trial.suggest_categorical("model", ["tree", "logreg"])
    if model == "tree":
        clf = DecisionTreeClassifier(max_depth=trial.suggest_int("max_depth", 1, 8), random_state=0)
    else:
        clf = LogisticRegression(C=trial.suggest_float("C", 1e-3, 10, log=True), max_iter=200)
    if trial.number == 3:
        raise ValueError("trial three fails")
    score = 0.0
    for step in range(3):
        score = cross_val_score(clf, X[: 200 + 100 * step], y[: 200 + 100 * step], cv=3).mean()
        trial.report(score, step)
        if trial.number == 5 or trial.should_prune():
            raise optuna.TrialPruned()
    return score

single = optuna.create_study(direction="maximize", study_name="bc-single",
                             sampler=optuna.samplers.TPESampler(seed=0))
single.optimize(objective, n_trials=12, catch=(ValueError,))

def two(trial):
    d = trial.suggest_int("max_depth", 1, 6)
    clf = DecisionTreeClassifier(max_depth=d, random_state=0)
    return cross_val_score(clf, X, y, cv=3).mean(), float(d)

multi = optuna.create_study(directions=["maximize", "minimize"], study_name="bc-multi",
                            sampler=optuna.samplers.NSGAIISampler(seed=0))
multi.optimize(two, n_trials=8)

# ask-and-tell, one trial
asked = optuna.create_study(study_name="asked")
t = asked.ask()
asked.tell(t, t.suggest_float("x", 0, 1) ** 2)

def dump(study):
    return [{"number": t.number, "state": t.state.name.lower(), "params": t.params, "values": t.values,
             "intermediate": {str(k): v for k, v in t.intermediate_values.items()}} for t in study.trials]

with open(sys.argv[1], "w") as f:
    json.dump({s.study_name: {"trials": dump(s), "directions": [d.name.lower() for d in s.directions],
                              # optuna's best: one trial (the first with the best value; its best_trials would
                              # also list ties, which depend on the platform's floating point), else the front
                              "best": [s.best_trial.number] if len(s.directions) == 1 else sorted(t.number for t in s.best_trials)}
               for s in (single, multi, asked)}, f)
"""


def sessions(run_dir: Path) -> Dict[str, Dict[str, Any]]:
    out: Dict[str, Dict[str, Any]] = {}
    by_id: Dict[str, Dict[str, Any]] = {}
    for e in events(run_dir):
        if e["t"] == "tuning.session":
            by_id[e["id"]] = out[e["study_name"]] = {"session": e, "trials": {}, "complete": []}
        elif e["t"] == "tuning.trial":
            by_id[e["session"]]["trials"][e["number"]] = e
        elif e["t"] == "tuning.complete":
            by_id[e["session"]]["complete"].append(e)
    return out


def test_unmodified_optuna_script_streams_every_study(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(SCRIPT))
    ext = FakeExtension()
    try:
        env = env_for(store)
        env["MLWB_RPC_PIPE"] = ext.path
        proc = subprocess.run([sys.executable, "-m", "mlwb", "run", str(script), str(tmp_path / "truth.json")], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        ext.closed.wait(5)
    finally:
        ext.close()
    truth = json.loads((tmp_path / "truth.json").read_text())
    (run_dir,) = run_dirs(store)
    got = sessions(run_dir)
    assert set(got) == {"bc-single", "bc-multi", "asked"}
    for name, study in truth.items():
        s = got[name]
        assert s["session"]["source"] == "optuna"
        assert s["session"]["directions"] == study["directions"]
        assert sorted(s["trials"]) == [t["number"] for t in study["trials"]]
        for t in study["trials"]:
            r = s["trials"][t["number"]]
            assert r["state"] == t["state"], (name, t["number"])
            assert r["params"] == t["params"]
            assert r["values"] == t["values"]  # a pruned trial has its last intermediate value, as in optuna
            assert r.get("intermediate", {}) == t["intermediate"]
            assert r["run"] == run_dir.name
            assert r["duration_ms"] >= 0 and r["ended"] >= r["started"]
        assert s["complete"], name
        assert sorted(s["complete"][-1]["best_trials"]) == study["best"]
    single = got["bc-single"]
    assert single["session"]["sampler"] == "TPESampler"
    states = {n: t["state"] for n, t in single["trials"].items()}
    assert states[3] == "fail" and "trial three fails" in single["trials"][3]["error"]
    assert states[5] == "pruned"
    assert single["trials"][0]["distributions"]["model"] == {"type": "categorical", "choices": ["tree", "logreg"]}
    # optuna's importance, computed when the script ended
    assert single["complete"][-1]["importance"]["method"] == "optuna-fanova"
    assert set(single["complete"][-1]["importance"]["values"][0]) <= {"model", "max_depth", "C"}
    assert len(got["bc-multi"]["complete"][-1]["importance"]["values"]) == 2
    # live: one `trial` event per finished trial, each after its journal record was flushed
    trial_events = [m["params"]["event"] for m in ext.messages if m.get("method") == "run/event" and m["params"]["event"]["kind"] == "trial"]
    assert len(trial_events) == sum(len(s["trials"]) for s in truth.values())
    first = next(e for e in trial_events if e["studyName"] == "bc-single" and e["number"] == 0)
    assert first["session"] == single["session"]["id"] and first["state"] == truth["bc-single"]["trials"][0]["state"]
    assert any(m["params"]["event"]["kind"] == "tuningComplete" for m in ext.messages if m.get("method") == "run/event")
    # the run itself is fine and still a plain run of the script
    assert of_type(run_dir, "status")[-1]["status"] == "completed"


def test_no_autolog_means_no_capture(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "tiny.py"
    script.write_text("import optuna\noptuna.logging.set_verbosity(optuna.logging.WARNING)\n"
                      "optuna.create_study().optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)\n")
    proc = run_runner(script, store, opts=["--no-autolog"])
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = run_dirs(store)
    assert not [e for e in events(run_dir) if e["t"].startswith("tuning.")]


def test_optuna_imported_before_the_runner_patches_is_captured_too(store: Path, tmp_path: Path) -> None:
    # A study created through load_study on a storage, in a script that imports optuna through another module.
    (tmp_path / "helper.py").write_text("import optuna\n")
    script = tmp_path / "load.py"
    script.write_text(textwrap.dedent(f"""
        import helper, optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = "sqlite:///{tmp_path / 's.db'}"
        s = optuna.create_study(storage=storage, study_name="stored")
        s.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=3)
        again = optuna.load_study(storage=storage, study_name="stored")
        again.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=2)
    """))
    proc = run_runner(script, store)
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = run_dirs(store)
    got = sessions(run_dir)
    # One session per study (same storage and study id), five trials.
    assert list(got) == ["stored"]
    assert len([e for e in events(run_dir) if e["t"] == "tuning.session"]) == 1
    assert sorted(got["stored"]["trials"]) == [0, 1, 2, 3, 4]
    assert got["stored"]["session"]["config"]["storage"] == "RDBStorage"
