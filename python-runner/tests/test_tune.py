"""mlwb.tune: the built-in samplers (optuna hidden), optuna's, live streaming, stopping, and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from fake_extension import FakeExtension
from helpers import env_for, events, of_type, run_dirs, start_runner

NO_OPTUNA = "import sys; sys.modules['optuna'] = None  # optuna 'not installed'\n"


def write(path: Path, code: str, no_optuna: bool = False) -> Path:
    path.write_text((NO_OPTUNA if no_optuna else "") + textwrap.dedent(code))
    return path


def py(script: Path, store: Path, args: Optional[List[str]] = None, timeout: float = 120,
       ext: Optional[FakeExtension] = None) -> subprocess.CompletedProcess:
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    if ext is not None:
        env["MLWB_RPC_PIPE"] = ext.path
    return subprocess.run([sys.executable, str(script), *(args or [])], env=env, cwd=script.parent,
                          capture_output=True, text=True, timeout=timeout)


def tuning(run_dir: Path) -> Dict[str, Any]:
    """The one session of a run: its record, its trials (last record per number) and its last ending."""
    (session,) = of_type(run_dir, "tuning.session")
    trials: Dict[int, Dict[str, Any]] = {}
    for e in of_type(run_dir, "tuning.trial"):
        assert e["session"] == session["id"]
        trials[e["number"]] = e
    ends = of_type(run_dir, "tuning.complete")
    return {"session": session, "trials": [trials[n] for n in sorted(trials)], "complete": ends[-1] if ends else None}


# -- built-in samplers: optuna hidden ------------------------------------------------------------------

def test_builtin_random_sampler_without_optuna(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "rand.py", """
        import json, math, sys
        from mlwb import tune
        assert not tune.optuna_available()

        def objective(trial):
            lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
            n = trial.suggest_int("n", 10, 100, step=10)
            kind = trial.suggest_categorical("kind", ["a", "b", "c"])
            q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
            for step in range(4):
                trial.report(lr * n + step, step)
            if trial.number == 2:
                raise RuntimeError("bad luck")
            return math.log10(lr) + n / 100 + {"a": 0, "b": 1, "c": 2}[kind] + q

        result = tune.run(objective, n_trials=25, sampler="tpe", direction="minimize", seed=7, pruner="none")
        json.dump({"backend": result.backend, "sampler": result.sampler, "best": result.best_trial.number,
                   "value": result.best_value, "n": len(result.trials), "run": result.run}, open(sys.argv[1], "w"))
    """, no_optuna=True)
    proc = py(script, store, [str(tmp_path / "out.json")])
    assert proc.returncode == 0, proc.stderr
    assert "using the built-in random sampler instead of 'tpe'" in proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert (out["backend"], out["sampler"], out["n"]) == ("builtin", "random", 25)
    (run_dir,) = run_dirs(store)
    assert run_dir.name == out["run"]
    t = tuning(run_dir)
    assert t["session"]["backend"] == "builtin" and t["session"]["sampler"] == "random"
    assert t["session"]["requested_sampler"] == "tpe"
    assert [x["number"] for x in t["trials"]] == list(range(25))
    for x in t["trials"]:
        p = x["params"]
        assert 1e-4 <= p["lr"] <= 1e-1 and p["n"] in range(10, 101, 10) and p["kind"] in "abc" and p["q"] in (0, .25, .5, .75, 1)
        assert x["distributions"]["lr"] == {"type": "float", "low": 1e-4, "high": 1e-1, "log": True}
        assert list(x["intermediate"]) == ["0", "1", "2", "3"]
    assert t["trials"][2]["state"] == "fail" and "RuntimeError: bad luck" in t["trials"][2]["error"]
    done = [x for x in t["trials"] if x["state"] == "complete"]
    assert len(done) == 24
    best = min(done, key=lambda x: x["values"][0])
    assert t["complete"]["best_trials"] == [best["number"]] == [out["best"]]
    assert t["complete"]["status"] == "completed" and "importance" not in t["complete"]
    assert of_type(run_dir, "status")[-1]["status"] == "completed"  # a run of its own, ended
    # the same seed gives the same trials
    proc = py(script, store, [str(tmp_path / "out2.json")])
    assert json.loads((tmp_path / "out2.json").read_text())["value"] == out["value"]


def test_builtin_grid_declared_and_discovered(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "grid.py", """
        import json, sys
        from mlwb import tune, Experiment

        space = {"depth": {"type": "int", "low": 1, "high": 3}, "crit": ["gini", "entropy"],
                 "lr": {"type": "float", "low": 0.1, "high": 0.3, "step": 0.1}}
        with Experiment("grids") as exp:
            a = tune.run(lambda t: t.params["depth"] * t.params["lr"] + (t.params["crit"] == "gini"), space=space,
                         sampler="grid", direction="maximize", n_jobs=3, experiment=exp, study_name="declared")
            def dyn(trial):
                x = trial.suggest_int("x", 0, 4, step=2)
                y = trial.suggest_categorical("y", [True, False])
                return x + (0.5 if y else 0)
            b = tune.run(dyn, sampler="grid", study_name="discovered", direction="maximize")
        json.dump({"a": [t.params for t in a.trials], "b": [t.params for t in b.trials], "best_b": b.best_params,
                   "run": exp.id}, open(sys.argv[1], "w"))
    """, no_optuna=True)
    proc = py(script, store, [str(tmp_path / "out.json")])
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    combos = {(p["depth"], p["crit"], p["lr"]) for p in out["a"]}
    assert len(out["a"]) == 18 and len(combos) == 18
    assert combos == {(d, c, lr) for d in (1, 2, 3) for c in ("gini", "entropy") for lr in (0.1, 0.2, 0.3)}
    assert len(out["b"]) == 6 and {(p["x"], p["y"]) for p in out["b"]} == {(x, y) for x in (0, 2, 4) for y in (True, False)}
    assert out["best_b"] == {"x": 4, "y": True}
    (run_dir,) = run_dirs(store)  # both sessions in the Experiment's run
    assert run_dir.name == out["run"]
    sessions = of_type(run_dir, "tuning.session")
    assert [s["study_name"] for s in sessions] == ["declared", "discovered"]
    assert sessions[0]["space"]["crit"] == {"type": "categorical", "choices": ["gini", "entropy"]}
    assert sessions[0]["sampler"] == "grid" and "requested_sampler" not in sessions[0]
    assert [e["status"] for e in of_type(run_dir, "tuning.complete")] == ["completed", "completed"]


def test_builtin_median_pruner_and_multi_objective(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "prune.py", """
        import json, sys
        from mlwb import tune

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            for step in range(5):
                trial.report(x * (step + 1), step)
                if trial.should_prune():
                    raise tune.TrialPruned()
            return x

        r = tune.run(objective, n_trials=30, seed=3, direction="maximize",
                     pruner={"type": "median", "n_startup_trials": 3})
        m = tune.run(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=20, seed=1,
                     directions=["minimize", "maximize"], metric_names=["cost", "gain"])
        json.dump({"states": [t.state for t in r.trials], "front": [t.number for t in m.best_trials],
                   "values": {t.number: t.values for t in m.trials}}, open(sys.argv[1], "w"))
    """, no_optuna=True)
    proc = py(script, store, [str(tmp_path / "out.json")])
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert "pruned" in out["states"] and "complete" in out["states"]
    assert out["states"][:3] == ["complete"] * 3
    values = {int(k): v for k, v in out["values"].items()}
    front = [n for n, (a, b) in values.items()
             if not any(o != n and a2 <= a and b2 >= b and (a2 < a or b2 > b) for o, (a2, b2) in values.items())]
    assert sorted(out["front"]) == sorted(front)
    runs = run_dirs(store)
    m = next(tuning(d) for d in runs if of_type(d, "tuning.session")[0]["directions"] == ["minimize", "maximize"])
    assert m["session"]["metric_names"] == ["cost", "gain"]
    assert sorted(m["complete"]["best_trials"]) == sorted(front)


# -- optuna ---------------------------------------------------------------------------------------------

def test_optuna_tpe_on_breast_cancer(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn")
    script = write(tmp_path / "bc.py", """
        import json, sys
        from sklearn.datasets import load_breast_cancer
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.model_selection import cross_val_score
        from mlwb import tune

        X, y = load_breast_cancer(return_X_y=True)

        def objective(trial):
            clf = RandomForestClassifier(n_estimators=trial.suggest_int("n_estimators", 5, 30, step=5),
                                         max_depth=trial.suggest_int("max_depth", 2, 8, log=True),
                                         max_features=trial.suggest_categorical("max_features", ["sqrt", "log2"]),
                                         random_state=0)
            return cross_val_score(clf, X, y, cv=3).mean()

        r = tune.run(objective, n_trials=10, sampler="tpe", direction="maximize", seed=0, study_name="rf-bc")
        json.dump({"backend": r.backend, "best": r.best_trial.number, "value": r.best_value,
                   "optuna_best": r.study.best_trial.number, "params": r.best_params}, open(sys.argv[1], "w"))
    """)
    proc = py(script, store, [str(tmp_path / "out.json")])
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["backend"] == "optuna" and out["best"] == out["optuna_best"] and out["value"] > 0.9
    (run_dir,) = run_dirs(store)
    t = tuning(run_dir)
    assert (t["session"]["sampler"], t["session"]["backend"], t["session"]["source"]) == ("tpe", "optuna", "mlwb")
    assert t["session"]["study_name"] == "rf-bc" and t["session"]["config"]["n_trials"] == 10
    assert len(t["trials"]) == 10 and all(x["state"] == "complete" for x in t["trials"])
    assert t["trials"][out["best"]]["params"] == out["params"]
    assert t["trials"][0]["distributions"]["max_depth"] == {"type": "int", "low": 2, "high": 8, "log": True}
    assert t["complete"]["best_trials"] == [out["best"]]
    imp = t["complete"]["importance"]
    assert imp["method"] == "optuna-fanova" and set(imp["values"][0]) == {"n_estimators", "max_depth", "max_features"}
    # autocapture does not make a second session of mlwb.tune's own study
    assert len(of_type(run_dir, "tuning.session")) == 1


# -- live streaming, stopping ----------------------------------------------------------------------------

def test_trials_stream_live_to_the_extension(store: Path, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    script = write(tmp_path / "live.py", f"""
        import os, time
        from mlwb import tune

        def objective(trial):
            x = trial.suggest_float("x", -1, 1)
            if trial.number == 1:  # waits until the test has seen trial 0's event
                deadline = time.time() + 30
                while not os.path.exists({str(gate)!r}) and time.time() < deadline:
                    time.sleep(0.02)
            trial.report(x, 0)
            return x * x

        tune.run(objective, n_trials=3, backend="builtin", seed=1)
    """)
    ext = FakeExtension()
    try:
        proc = start_runner(script, store, ext)
        first = ext.wait_for(lambda m: m.get("method") == "run/event" and m["params"]["event"]["kind"] == "trial")
        ev = first["params"]["event"]
        assert ev["number"] == 0 and ev["state"] == "complete" and set(ev["params"]) == {"x"}
        assert ev["value"] == ev["params"]["x"] ** 2 and ev["durationMs"] >= 0 and ev["intermediate"] == {"0": ev["params"]["x"]}
        assert not gate.exists() and proc.poll() is None  # the script is still tuning
        # the journal already holds the trial (flushed before the event)
        (run_dir,) = run_dirs(store)
        assert [e["number"] for e in of_type(run_dir, "tuning.trial")] == [0]
        gate.write_text("go")
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ext.closed.wait(5)
    finally:
        ext.close()
    kinds = [(m["params"]["event"]["kind"], m["params"]["event"].get("number")) for m in ext.messages if m.get("method") == "run/event"]
    assert kinds == [("trial", 0), ("trial", 1), ("trial", 2), ("tuningComplete", None)]
    done = [m["params"]["event"] for m in ext.messages if m.get("method") == "run/event"][-1]
    assert done["totalTrials"] == 3 and done["status"] == "completed" and set(done["bestParams"]) == {"x"}
    progress = [m["params"] for m in ext.messages if m.get("method") == "run/progress"]
    assert progress and progress[-1]["current"] == 3 and progress[-1]["total"] == 3


@pytest.mark.parametrize("backend", ["builtin", "optuna"])
def test_stop_flag_finishes_the_running_trial_and_returns(store: Path, tmp_path: Path, backend: str) -> None:
    if backend == "optuna":
        pytest.importorskip("optuna")
    script = write(tmp_path / "stop.py", f"""
        import json, sys
        from mlwb import tune, Experiment

        with Experiment("stopper") as exp:
            def objective(trial):
                if trial.number == 2:
                    (exp.run_dir / "tuning.stop").write_text("")  # as the extension's Stop does
                return trial.suggest_float("x", 0, 1)
            r = tune.run(objective, n_trials=50, backend={backend!r}, experiment=exp)
            after = "still running"
        json.dump({{"status": r.status, "n": len(r.trials), "after": after}}, open(sys.argv[1], "w"))
    """)
    proc = py(script, store, [str(tmp_path / "out.json")])
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert out == {"status": "stopped", "n": 3, "after": "still running"}
    (run_dir,) = run_dirs(store)
    t = tuning(run_dir)
    assert t["complete"]["status"] == "stopped" and len(t["trials"]) == 3 and t["trials"][2]["state"] == "complete"
    assert not (run_dir / "tuning.stop").exists()  # consumed


@pytest.mark.parametrize("backend", ["builtin", "optuna"])
def test_cancel_from_vscode_stops_at_once(store: Path, tmp_path: Path, backend: str) -> None:
    if backend == "optuna":
        pytest.importorskip("optuna")
    script = write(tmp_path / "cancel.py", f"""
        import time
        from mlwb import tune

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            if trial.number == 1:
                print("long trial", flush=True)
                time.sleep(60)
            return x

        tune.run(objective, n_trials=5, backend={backend!r})
    """)
    ext = FakeExtension()
    try:
        proc = start_runner(script, store, ext)
        assert proc.stdout is not None
        while proc.stdout.readline().strip() != "long trial":
            pass
        ext.request("run/cancel", {"reason": "stop tuning"})
        assert ext.wait_method("run/finished", timeout=20)["params"]["status"] == "cancelled"
        assert proc.wait(timeout=10) == 130  # the 60 s trial was interrupted
    finally:
        ext.close()
    (run_dir,) = run_dirs(store)
    t = tuning(run_dir)
    assert [(x["number"], x["state"]) for x in t["trials"]] == [(0, "complete"), (1, "fail")]
    assert t["trials"][1]["error"] == "interrupted"
    assert t["complete"]["status"] == "stopped" and t["complete"]["best_trials"] == [0]
    assert of_type(run_dir, "status")[-1]["status"] == "cancelled"


# -- the CLI --------------------------------------------------------------------------------------------

def cli(store: Path, cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = env_for(store)
    env.pop("MLWB_RPC_PIPE", None)
    return subprocess.run([sys.executable, "-m", "mlwb", "tune", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_cli_builtin_model_from_a_json_spec(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    spec = {"study_name": "tree-bc", "sampler": "random", "seed": 1, "n_trials": 6,
            "space": {"max_depth": {"type": "int", "low": 1, "high": 6},
                      "criterion": {"type": "categorical", "choices": ["gini", "entropy"]}},
            "model": {"estimator": "sklearn.tree.DecisionTreeClassifier", "params": {"random_state": 0},
                      "dataset": "breast_cancer", "cv": 3, "scoring": "accuracy"}}
    (tmp_path / "tune.json").write_text(json.dumps(spec))
    proc = cli(store, tmp_path, "--spec", "tune.json", "--n-trials", "5")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("trial ") >= 5 and "best trial" in proc.stdout
    (run_dir,) = run_dirs(store)
    t = tuning(run_dir)
    assert len(t["trials"]) == 5 and all(x["state"] == "complete" for x in t["trials"])
    assert all(0.8 < x["values"][0] <= 1 for x in t["trials"])
    assert len(t["trials"][0]["user_attrs"]["cv_scores"]) == 3
    s = t["session"]
    assert s["directions"] == ["maximize"] and s["study_name"] == "tree-bc"
    assert s["config"]["estimator"] == "sklearn.tree.DecisionTreeClassifier" and s["config"]["cv"] == 3
    assert s["config"]["spec"] == str(tmp_path / "tune.json")
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["experiment"]["id"] == "tree-bc" and manifest["script"]["path"].endswith("tune.json")
    assert of_type(run_dir, "status")[-1]["status"] == "completed"


def test_cli_script_objective_with_a_yaml_spec(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    write(tmp_path / "train.py", """
        from mlwb import tune

        @tune.objective(direction="minimize")
        def loss(trial, spec):
            assert spec["study_name"] == "quad"
            return (trial.params["x"] - 1) ** 2 + trial.suggest_int("k", 0, 3)

        if __name__ == "__main__":
            raise SystemExit("the main block must not run while tuning")
    """)
    (tmp_path / "tune.yaml").write_text(textwrap.dedent("""
        study_name: quad
        sampler: grid
        space:
          x: {type: float, low: 0, high: 2, step: 0.5}
          k: [0, 1]
    """))
    proc = cli(store, tmp_path, "--spec", "tune.yaml", "--script", "train.py")
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = run_dirs(store)
    t = tuning(run_dir)
    assert t["session"]["sampler"] == "grid" and t["session"]["directions"] == ["minimize"]
    assert sorted((x["params"]["x"], x["params"]["k"]) for x in t["trials"]) == [(x / 2, k) for x in range(5) for k in (0, 1)]
    best = t["trials"][t["complete"]["best_trials"][0]]
    assert (best["params"]["x"], best["params"]["k"]) == (1.0, 0)
    assert json.loads((run_dir / "run.json").read_text())["script"]["path"] == str(tmp_path / "train.py")


def test_cli_a_notebook_as_the_specs_script(store: Path, tmp_path: Path) -> None:
    def cell(kind: str, source: str) -> Dict[str, Any]:
        c: Dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": textwrap.dedent(source).lstrip()}
        if kind == "code":
            c.update(outputs=[], execution_count=None)
        return c

    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        cell("markdown", "# A search written in a notebook"),
        cell("code", """
            %matplotlib inline
            !echo shell escapes are left out
            OFFSET = 1
        """),
        cell("code", """
            %%time
            raise SystemExit("a %%-magic cell is not run while tuning")
        """),
        cell("code", """
            def objective(trial):
                return (trial.suggest_float("x", 0, 2, step=0.5) - OFFSET) ** 2
        """),
    ]}
    (tmp_path / "search.ipynb").write_text(json.dumps(nb))
    (tmp_path / "tune.json").write_text(json.dumps({"study_name": "nb", "direction": "minimize", "sampler": "grid",
                                                    "script": "search.ipynb"}))
    proc = cli(store, tmp_path, "--spec", "tune.json")
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = run_dirs(store)
    t = tuning(run_dir)
    assert sorted(x["params"]["x"] for x in t["trials"]) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert t["trials"][t["complete"]["best_trials"][0]]["params"]["x"] == 1.0
    (tmp_path / "broken.ipynb").write_text("{not json")
    (tmp_path / "tune2.json").write_text(json.dumps({"script": "broken.ipynb", "space": {"x": [1, 2]}}))
    proc = cli(store, tmp_path, "--spec", "tune2.json")
    assert proc.returncode == 1 and "broken.ipynb is not a readable notebook" in proc.stderr


def test_cli_reports_spec_errors(store: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps({"space": {"x": {"type": "float", "low": 2, "high": 1}}, "model": {
        "estimator": "sklearn.tree.DecisionTreeClassifier", "dataset": "iris"}}))
    proc = cli(store, tmp_path, "--spec", "bad.json")
    assert proc.returncode == 2 and "low (2.0) > high (1.0)" in proc.stderr
    (tmp_path / "bad2.json").write_text('{"n_trials": 0, "model": {}}')
    proc = cli(store, tmp_path, "--spec", "bad2.json")
    assert proc.returncode == 2 and "n_trials must be a positive integer" in proc.stderr
    (tmp_path / "bad3.json").write_text('{"sampler": "tpe",')
    proc = cli(store, tmp_path, "--spec", "bad3.json")
    assert proc.returncode == 2 and "invalid JSON" in proc.stderr
    assert not run_dirs(store)


def test_the_json_schema_and_the_cli_agree_on_the_keys() -> None:
    from mlwb import _tune_cli

    schema_path = Path(__file__).resolve().parents[2] / "media" / "schemas" / "tune-spec.schema.json"
    schema = json.loads(schema_path.read_text())
    assert set(schema["properties"]) == _tune_cli.SPEC_KEYS
    assert set(schema["properties"]["model"]["properties"]) == _tune_cli.MODEL_KEYS
    assert schema["properties"]["sampler"]["enum"] == ["auto", "tpe", "random", "grid", "cmaes", "nsga2"]


def test_cmaes_with_optuna_and_its_fallback_without(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    code = """
        import json, sys
        from mlwb import tune
        r = tune.run(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2 + t.suggest_float("y", -2, 2) ** 2,
                     sampler="cmaes", n_trials=8, seed=0)
        json.dump({"sampler": r.sampler, "backend": r.backend, "n": len(r.trials)}, open(sys.argv[1], "w"))
    """
    with_optuna = write(tmp_path / "cma.py", code)
    without = write(tmp_path / "cma_none.py", code, no_optuna=True)
    assert py(with_optuna, store, [str(tmp_path / "a.json")]).returncode == 0
    assert py(without, store, [str(tmp_path / "b.json")]).returncode == 0
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    import importlib.util

    assert a == {"sampler": "cmaes" if importlib.util.find_spec("cmaes") else "tpe", "backend": "optuna", "n": 8}
    assert b == {"sampler": "random", "backend": "builtin", "n": 8}


def test_the_example_specs_are_valid() -> None:
    from mlwb import _tune_cli

    examples = Path(__file__).resolve().parents[1] / "examples" / "tuning"
    for name in ("tune.json", "sgd.json"):
        spec = _tune_cli.load_spec(str(examples / name))
        assert spec["study_name"]


def test_cli_trains_once_with_given_params(store: Path, tmp_path: Path) -> None:
    """--params: no search; a built-in model is fitted on all the data and saved, a script's objective runs once."""
    pytest.importorskip("sklearn")
    spec = {"study_name": "tree-bc", "model": {"estimator": "sklearn.tree.DecisionTreeClassifier", "params": {"random_state": 0},
                                               "dataset": "breast_cancer", "cv": 3}}
    (tmp_path / "tune.json").write_text(json.dumps(spec))
    proc = cli(store, tmp_path, "--spec", "tune.json", "--params", '{"max_depth": 3}', "--from", "s123#4")
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = run_dirs(store)
    assert not of_type(run_dir, "tuning.session")
    params: Dict[str, Any] = {}
    for e in of_type(run_dir, "params"):
        params.update(e["values"])
    assert params["max_depth"] == 3 and params["tuned.session"] == "s123" and params["tuned.trial"] == 4
    files = [e["path"] for e in of_type(run_dir, "file")]
    assert "model.pkl" in files
    assert of_type(run_dir, "status")[-1]["status"] == "completed"
    write(tmp_path / "train.py", """
        from mlwb import tune

        @tune.objective(direction="minimize")
        def objective(trial):
            x = trial.suggest_float("x", -5, 5)
            trial.report(x * 2, 0)
            return (x - 1) ** 2
    """)
    proc = cli(store, tmp_path, "--script", "train.py", "--params", '{"x": 3}')
    assert proc.returncode == 0, proc.stderr
    assert "value=4" in proc.stdout
    proc = cli(store, tmp_path, "--script", "train.py", "--params", '[1]')
    assert proc.returncode == 2 and "--params must be a JSON object" in proc.stderr
