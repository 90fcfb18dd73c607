"""Scripts written for MLflow run unchanged under `python -m mlwb run` (mlflow is not installed: its stand-in)."""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import env_for, statuses
from tracker_helpers import (by_name, copy_script, experiment_of, files, manifest, notes, of_type, params, report, run_dirs,
                             run_runner, series, tags, write)

pytest.importorskip("sklearn")
pytest.importorskip("pandas")


def test_the_mlflow_quickstart_runs_and_everything_it_logs_is_in_the_run(store: Path, tmp_path: Path) -> None:
    result = run_runner(copy_script("mlflow_quickstart.py", tmp_path), store)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(store)
    assert experiment_of(run_dir) == "MLflow Quickstart"
    p = params(run_dir)
    assert {k: p[k] for k in ("solver", "max_iter", "multi_class", "random_state")} == \
        {"solver": "lbfgs", "max_iter": 1000, "multi_class": "auto", "random_state": 8888}
    s = series(run_dir)
    assert s["accuracy"]["step"] == [0] and s["accuracy"]["value"] == [1.0]
    assert tags(run_dir) == {"Training Info": "Basic LR model for iris data"}
    f = files(run_dir)
    assert {"iris_model/MLmodel", "iris_model/model.pkl", "iris_model/input_example.json", "iris_model/requirements.txt"} <= set(f)
    assert "model" in f["iris_model/model.pkl"]["tags"]
    model = pickle.loads((run_dir / "files" / "iris_model" / "model.pkl").read_bytes())
    assert type(model).__name__ == "LogisticRegression" and model.max_iter == 1000 and hasattr(model, "coef_")
    mlmodel = (run_dir / "files" / "iris_model" / "MLmodel").read_text()
    assert f'run_id: "{run_dir.name}"' in mlmodel and "tensor-spec" in mlmodel and "pickled_model" in mlmodel
    assert f"predicted as logged: True runs:/{run_dir.name}/iris_model" in result.stdout
    assert statuses(run_dir)[-1]["status"] == "completed"
    # One note that the stand-in is in use; the two things it does not do, said once each, in the log and on stderr.
    standin = [n for n in notes(run_dir, "info") if "mlflow is not installed" in n]
    assert len(standin) == 1 and "stand-in" in standin[0]
    warned = notes(run_dir, "warn")
    assert len(warned) == 2, warned
    assert any("set_tracking_uri('http://127.0.0.1:8080') is not used" in w for w in warned)
    assert any("registered_model_name='tracking-quickstart'" in w and "Register Model" in w for w in warned)
    assert result.stderr.count("mlwb: set_tracking_uri(") == 1 and result.stderr.count("does not register models") == 1


def test_nested_runs_are_runs_of_their_own_linked_to_the_parent_and_the_read_side_sees_them(store: Path, tmp_path: Path) -> None:
    result = run_runner(copy_script("mlflow_sweep.py", tmp_path), store, timeout=120)
    assert result.returncode == 0, result.stderr
    runs = by_name(store)
    assert set(runs) == {"sweep", "rf-5", "rf-20"}
    parent = runs["sweep"]
    assert all(experiment_of(d) == "rf-sweep" for d in runs.values())
    assert "parent" not in manifest(parent)
    for n in (5, 20):
        child = runs[f"rf-{n}"]
        assert manifest(child)["parent"] == parent.name
        assert statuses(child)[-1]["status"] == "completed"
        # sklearn autolog (mlflow.sklearn.autolog() is mlwb's) logs into the active nested run, with its own first fit
        p = params(child)
        assert p["autolog.RandomForestClassifier.n_estimators"] == n
        assert "autolog/RandomForestClassifier.pkl" in files(child)
        assert series(child)["autolog/RandomForestClassifier/fit_time_s"]["step"] == [0]
        assert series(child)["tree_depth"]["step"] == [0, 1, 2]
        assert 0.9 < series(child)["accuracy"]["value"][0] <= 1
        f = files(child)
        assert {"config.json", "notes/summary.txt", "plots/importance.png", "extra/a.txt", "extra/sub/b.txt"} <= set(f)
        assert "figure" in f["plots/importance.png"]["tags"]
        assert (child / "files" / "plots" / "importance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (child / "files" / "notes" / "summary.txt").read_text() == f"{n} trees"
    assert params(parent)["search"] == "grid"
    assert not any(k.startswith("autolog.") for k in params(parent))  # the fits were inside the nested runs
    parent_tags = tags(parent)
    assert parent_tags["team"] == "tabular" and parent_tags["mlflow.note.content"] == "grid over n_estimators"
    (dataset,) = [p for p in files(parent) if p.startswith("datasets/")]
    assert dataset.startswith("datasets/cancer-train-")

    r = report(result.stdout)
    accuracy = {runs[f"rf-{n}"].name: series(runs[f"rf-{n}"])["accuracy"]["value"][0] for n in (5, 20)}
    assert r["run_ids"] == sorted(accuracy, key=lambda k: -accuracy[k])  # filter on the parent tag, order_by accuracy
    assert parent_tags["best_run"] == r["best"]["run_id"] == r["run_ids"][0]
    assert series(parent)["best_accuracy"]["value"] == [max(accuracy.values())]
    assert {"run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time", "metrics.accuracy",
            "params.n_estimators", "tags.mlflow.parentRunId", "tags.mlflow.runName"} <= set(r["columns"])
    best = r["best"]
    assert best["status"] == "FINISHED" and best["tags"]["mlflow.parentRunId"] == parent.name
    assert best["metrics"]["accuracy"] == accuracy[best["run_id"]]
    assert best["params"]["n_estimators"] in ("5", "20")  # MLflow's params are text; autolog's under their bare name
    assert [a for a in r["artifacts"] if a[0] in ("autolog", "config.json", "extra", "plots")] == \
        [["autolog", True], ["config.json", False], ["extra", True], ["plots", True]]
    assert r["extra"] == ["extra/a.txt", "extra/sub"]
    assert r["depth_steps"] == [0, 1, 2]
    assert r["over_90"] == (1 if accuracy[runs["rf-20"].name] > 0.9 else 0)


def test_metric_steps_timestamps_tags_and_run_lifecycle(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "lifecycle.py", """
        import mlflow
        mlflow.log_metric("auto", 1.0)                 # no active run: one is started (the script's run)
        first = mlflow.active_run().info.run_id
        mlflow.log_metric("m", 0.5, step=5, timestamp=1700000000000)
        mlflow.log_metrics({"m": 0.25, "n": 3})
        mlflow.set_tags({"stage": "a", "gone": "x"})
        mlflow.set_tag("stage", "b")
        mlflow.delete_tag("gone")
        mlflow.set_tag("mlflow.runName", "renamed")
        try:
            mlflow.start_run()
        except mlflow.MlflowException as e:
            print("refused:", e)
        mlflow.end_run(status="KILLED")
        assert mlflow.active_run() is None
        assert mlflow.last_active_run().info.status == "KILLED"
        try:
            with mlflow.start_run(run_name="second") as run:
                mlflow.log_param("lr", 0.1)
                raise ValueError("boom")
        except ValueError:
            pass
        print("second", run.info.run_id, mlflow.get_run(run.info.run_id).info.status)
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    runs = by_name(store)
    assert set(runs) == {"renamed", "second"}
    first, second = runs["renamed"], runs["second"]
    s = series(first)
    assert s["m"]["step"] == [5, 6] and s["m"]["time"][0] == 1700000000.0
    assert s["n"]["step"] == [0] and s["auto"]["step"] == [0]
    assert tags(first) == {"stage": "b"}
    assert statuses(first)[-1]["status"] == "cancelled"
    assert "refused: Run with UUID" in result.stdout and "nested=True" in result.stdout
    assert statuses(second)[-1]["status"] == "failed" and "ValueError: boom" in statuses(second)[-1]["error"]
    assert params(second) == {"lr": 0.1}
    assert f"second {second.name} FAILED" in result.stdout


def test_what_the_stand_in_does_not_do_is_a_clear_error_or_a_note_never_silence(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "limits.py", """
        import mlflow
        from mlflow import MlflowClient
        with mlflow.start_run():
            for call in (lambda: mlflow.log_metric("x", "abc"),
                         lambda: mlflow.search_runs(filter_string="metrics.a > 1 OR metrics.b <"),
                         lambda: mlflow.search_runs(filter_string="params.lr > 'high'"),
                         lambda: MlflowClient().create_registered_model("m"),
                         lambda: mlflow.log_figure(object(), "x.png")):
                try:
                    call()
                    print("NO ERROR")
                except mlflow.MlflowException as e:
                    print("error:", e)
            print("hasattr:", hasattr(MlflowClient(), "transition_model_version_stage"))
            try:
                mlflow.keras
            except AttributeError as e:
                print("attr:", e)
            mlflow.pytorch.autolog()
            mlflow.pytorch.autolog()
            mlflow.autolog()
        try:
            mlflow.start_run(run_id="20200101-000000-abcdef")
        except mlflow.MlflowException as e:
            print("error:", e)
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    assert "NO ERROR" not in result.stdout
    out = result.stdout
    assert "metric 'x' must be a number" in out
    assert "expected a value (a number or a quoted string), found the end (at column 29)" in out and "> compares numbers" in out
    assert "MlflowClient.create_registered_model is not provided by the mlflow stand-in" in out
    assert "cannot resume run '20200101-000000-abcdef'" in out
    assert "saves matplotlib figures" in out
    assert "hasattr: False" in out
    assert "mlflow.keras is not provided by mlwb's mlflow stand-in" in out
    (run_dir,) = run_dirs(store)
    warned = notes(run_dir, "warn")
    assert sum("mlflow.pytorch.autolog() is not supported" in w for w in warned) == 1  # once, however often called
    assert any("does not autolog other libraries" in w for w in warned)
    assert result.stderr.count("mlflow.pytorch.autolog() is not supported") == 1


def test_the_stand_in_is_only_for_the_runner_and_no_trackers_turns_it_off(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "plain.py", """
        import mlflow
        print("imported", mlflow.__version__)
    """)
    standins = Path(__file__).resolve().parents[1] / "mlwb" / "_standins"
    plain = subprocess.run([sys.executable, "-c", f"import sys; sys.path.append({str(standins)!r}); import mlflow"],
                           env=env_for(store), capture_output=True, text=True, timeout=30)
    assert plain.returncode == 1 and "works only under `python -m mlwb run`" in plain.stderr
    off = run_runner(script, store, opts=["--no-trackers"])
    assert off.returncode == 1 and "No module named 'mlflow'" in off.stderr
    (run_dir,) = run_dirs(store)
    assert statuses(run_dir)[-1]["status"] == "failed"
    on = run_runner(script, store)
    assert on.returncode == 0 and "imported 2." in on.stdout and "+mlwb.standin" in on.stdout


def test_model_flavors_images_tables_and_loading_back(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("xgboost")
    script = write(tmp_path / "flavors.py", """
        import numpy as np
        import mlflow
        import torch
        import xgboost as xgb
        from sklearn.datasets import load_iris
        from sklearn.tree import DecisionTreeClassifier

        class Doubler(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                return [2 * x for x in model_input]

        X, y = load_iris(return_X_y=True)
        with mlflow.start_run() as run:
            tree = DecisionTreeClassifier(max_depth=2).fit(X, y)
            mlflow.sklearn.log_model(tree, name="tree")
            mlflow.pytorch.log_model(torch.nn.Linear(4, 3), "net")
            mlflow.xgboost.log_model(xgb.XGBClassifier(n_estimators=3).fit(X, y), "booster")
            mlflow.pyfunc.log_model("doubler", python_model=Doubler())
            mlflow.log_image(np.zeros((4, 6, 3), dtype=np.uint8), "images/black.png")
            mlflow.log_image(np.ones((2, 2)), key="mask", step=3)
            mlflow.log_table({"a": [1, 2], "b": ["x", "y"]}, "tables/t.json")
        rid = run.info.run_id
        print("sk", (mlflow.sklearn.load_model(f"runs:/{rid}/tree").predict(X) == tree.predict(X)).all())
        print("torch", type(mlflow.pytorch.load_model(f"runs:/{rid}/net")).__name__)
        print("xgb", type(mlflow.xgboost.load_model(f"runs:/{rid}/booster")).__name__)
        print("pyfunc-xgb", len(mlflow.pyfunc.load_model(f"runs:/{rid}/booster").predict(X)))
        print("doubled", mlflow.pyfunc.load_model(f"runs:/{rid}/doubler").predict([1, 2]))
        mlflow.sklearn.save_model(tree, "saved_tree")
        print("saved", (mlflow.sklearn.load_model("saved_tree").predict(X) == tree.predict(X)).all())
    """)
    result = run_runner(script, store, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for line in ("sk True", "torch Linear", "xgb XGBClassifier", "pyfunc-xgb 150", "doubled [2, 4]", "saved True"):
        assert line in out, out
    (run_dir,) = run_dirs(store)
    f = files(run_dir)
    assert {"tree/model.pkl", "net/data/model.pth", "booster/model.json", "doubler/python_model.pkl",
            "images/black.png", "images/mask/step_3.png", "tables/t.json"} <= set(f)
    assert all("model" in f[p]["tags"] for p in ("tree/model.pkl", "net/data/model.pth", "booster/model.json"))
    assert '"learner"' in (run_dir / "files" / "booster" / "model.json").read_text()[:2000]  # XGBoost JSON, as Register Model detects it
    import json
    assert json.loads((run_dir / "files" / "tables" / "t.json").read_text()) == {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}
    assert (tmp_path / "saved_tree" / "MLmodel").is_file()
