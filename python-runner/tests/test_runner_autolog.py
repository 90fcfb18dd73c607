"""sklearn autolog under `python -m mlwb run`: top-level fits only, params, metrics, the model file."""
from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from helpers import manifest, of_type, run_dirs, run_runner, series

pytest.importorskip("sklearn")



def model_files(run_dir: Path) -> list:
    """The run's file records of saved models (autolog also records the inputs' signature.json)."""
    return [f for f in of_type(run_dir, "file") if "model" in f.get("tags", [])]

def write(path: Path, code: str) -> Path:
    path.write_text(textwrap.dedent(code))
    return path


def only_run(store: Path) -> Path:
    (d,) = run_dirs(store)
    return d


def fit_steps(run_dir: Path, cls: str) -> list:
    return series(run_dir).get(f"autolog/{cls}/fit_time_s", {"step": []})["step"]


def test_top_level_fits_are_logged_with_params_score_and_model(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "fit.py", """
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        X, y = load_iris(return_X_y=True)
        for c in (0.5, 1.0):
            LogisticRegression(C=c, max_iter=500).fit(X, y)
        print("fitted")
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    run_dir = only_run(store)
    assert fit_steps(run_dir, "LogisticRegression") == [0, 1]
    s = series(run_dir)
    assert all(v > 0 for v in s["autolog/LogisticRegression/fit_time_s"]["value"])
    assert s["autolog/LogisticRegression/training_score"]["step"] == [0, 1]
    assert all(0.9 < v <= 1 for v in s["autolog/LogisticRegression/training_score"]["value"])
    first, last = of_type(run_dir, "params")  # written again because C changed: the last fit wins
    assert first["values"]["autolog.LogisticRegression.C"] == 0.5
    v = last["values"]
    assert v["autolog.LogisticRegression.C"] == 1.0 and v["autolog.LogisticRegression.max_iter"] == 500
    assert v["autolog.LogisticRegression.class"] == "sklearn.linear_model._logistic.LogisticRegression"
    files = model_files(run_dir)
    assert {f["path"] for f in files} == {"autolog/LogisticRegression.pkl"} and len({f["id"] for f in files}) == 1
    assert files[-1]["meta"]["fit"] == 1
    model = pickle.loads((run_dir / "files" / "autolog" / "LogisticRegression.pkl").read_bytes())
    assert model.C == 1.0 and hasattr(model, "coef_")


def test_search_pipeline_and_cv_log_one_fit_each(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "nested.py", """
        from sklearn.datasets import load_iris
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.model_selection import GridSearchCV, cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.tree import DecisionTreeClassifier
        X, y = load_iris(return_X_y=True)
        GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]}, cv=3).fit(X, y)
        make_pipeline(StandardScaler(), DecisionTreeClassifier(random_state=0)).fit(X, y)
        cross_val_score(DecisionTreeClassifier(random_state=0), X, y, cv=3)
        RandomForestClassifier(n_estimators=8, n_jobs=2, random_state=0).fit(X, y)   # trees on joblib threads
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    run_dir = only_run(store)
    assert fit_steps(run_dir, "GridSearchCV") == [0]
    assert fit_steps(run_dir, "Pipeline") == [0]
    assert fit_steps(run_dir, "RandomForestClassifier") == [0]
    assert fit_steps(run_dir, "DecisionTreeClassifier") == []  # inner fits only (search, pipeline, cv, forest)
    assert fit_steps(run_dir, "StandardScaler") == []
    paths = {f["path"] for f in model_files(run_dir)}
    assert paths == {"autolog/GridSearchCV.pkl", "autolog/Pipeline.pkl", "autolog/RandomForestClassifier.pkl"}
    params = {k: v for p in of_type(run_dir, "params") for k, v in p["values"].items()}
    assert params["autolog.GridSearchCV.param_grid"] == "{'max_depth': [1, 2, 3]}"


def test_no_autolog_and_no_sklearn_import(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "fit.py", """
        import sys
        from sklearn.tree import DecisionTreeClassifier
        DecisionTreeClassifier().fit([[0], [1]], [0, 1])
    """)
    # (system metrics off: on a slow machine the fit outlasts their first sample, which is not autolog)
    assert run_runner(script, store, opts=["--no-autolog"], extra_env={"MLWB_SYSTEM_METRICS_INTERVAL": "0"}).returncode == 0
    assert not of_type(only_run(store), "file") and not series(only_run(store))

    plain = write(tmp_path / "plain.py", "import sys\nprint('sklearn' in sys.modules)\n")
    result = run_runner(plain, tmp_path / "store2")
    assert result.stdout.strip() == "False"  # the runner never imports sklearn itself


def test_fits_after_a_claimed_run_ended_go_nowhere_and_script_defined_estimators(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "custom.py", """
        from sklearn.base import BaseEstimator, ClassifierMixin
        from sklearn.tree import DecisionTreeClassifier
        from mlwb import Experiment

        class Wrapped(ClassifierMixin, BaseEstimator):      # defined in the script: patched too
            def fit(self, X, y):
                self.inner_ = DecisionTreeClassifier().fit(X, y)
                return self
            def predict(self, X):
                return self.inner_.predict(X)

        X, y = [[0], [1], [2], [3]], [0, 1, 0, 1]
        with Experiment("mine"):
            Wrapped().fit(X, y)
        DecisionTreeClassifier().fit(X, y)                  # the run has ended: not logged
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    run_dir = only_run(store)
    assert fit_steps(run_dir, "Wrapped") == [0] and fit_steps(run_dir, "DecisionTreeClassifier") == []
    assert {f["path"] for f in model_files(run_dir)} == {"autolog/Wrapped.pkl"}
    assert manifest(run_dir)["experiment"]["id"] == "custom"


def test_many_tiny_fits_stay_cheap_and_keep_the_latest_model(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "many.py", """
        from sklearn.datasets import load_iris
        from sklearn.tree import DecisionTreeClassifier
        X, y = load_iris(return_X_y=True)
        for i in range(300):
            DecisionTreeClassifier(max_depth=1 + i % 3, random_state=i).fit(X, y)
    """)
    assert run_runner(script, store).returncode == 0
    run_dir = only_run(store)
    assert fit_steps(run_dir, "DecisionTreeClassifier") == list(range(300))  # every fit time
    files = model_files(run_dir)
    assert files[-1]["meta"]["fit"] == 299  # the latest model is always saved (at the end if deferred)
    assert len(files) <= 300 and sorted(p.name for p in (run_dir / "files" / "autolog").iterdir()) == [
        "DecisionTreeClassifier.pkl", "signature.json"]
    model = pickle.loads((run_dir / "files" / "autolog" / "DecisionTreeClassifier.pkl").read_bytes())
    assert model.random_state == 299


def params_of(run_dir: Path) -> dict:
    """The params as the index holds them: later records replace earlier values key by key."""
    out: dict = {}
    for p in of_type(run_dir, "params"):
        out.update(p["values"])
    return out


def test_a_warm_started_model_shows_the_params_of_its_last_fit_and_is_saved_as_fitted(store: Path, tmp_path: Path) -> None:
    # As in scikit-learn's gallery ("Early stopping of Gradient Boosting"): grow the ensemble tree by tree.
    script = write(tmp_path / "warm.py", """
        from sklearn.datasets import load_breast_cancer
        from sklearn.ensemble import GradientBoostingClassifier
        from sklearn.tree import DecisionTreeClassifier

        X, y = load_breast_cancer(return_X_y=True)
        gb = GradientBoostingClassifier(n_estimators=1, warm_start=True, max_depth=2, random_state=0)
        for n in range(1, 61):
            gb.set_params(n_estimators=n)
            gb.fit(X, y)
        print("trees", len(gb.estimators_))

        tree = DecisionTreeClassifier(max_depth=2).fit(X, y)
        tree.max_depth = 5                     # changed after its last fit: not what the model was fitted with
    """)
    result = run_runner(script, store)
    assert result.returncode == 0, result.stderr
    assert "trees 60" in result.stdout
    run_dir = only_run(store)
    params = params_of(run_dir)
    assert params["autolog.GradientBoostingClassifier.n_estimators"] == 60
    assert params["autolog.GradientBoostingClassifier.warm_start"] is True
    assert fit_steps(run_dir, "GradientBoostingClassifier") == list(range(60))
    model = pickle.loads((run_dir / "files" / "autolog" / "GradientBoostingClassifier.pkl").read_bytes())
    assert model.n_estimators == 60 and len(model.estimators_) == 60, "the saved model is the last fit"
    (tree_file,) = [f for f in of_type(run_dir, "file") if f["path"] == "autolog/DecisionTreeClassifier.pkl"]
    tree = pickle.loads((run_dir / "files" / "autolog" / "DecisionTreeClassifier.pkl").read_bytes())
    assert params["autolog.DecisionTreeClassifier.max_depth"] == 2 and tree.max_depth == 2 and tree.get_depth() == 2


def test_fits_scikit_learn_makes_inside_a_metric_are_not_the_scripts(store: Path, tmp_path: Path) -> None:
    script = write(tmp_path / "report.py", """
        from sklearn.datasets import load_iris
        from sklearn.metrics import classification_report
        from sklearn.tree import DecisionTreeClassifier
        X, y = load_iris(return_X_y=True)
        clf = DecisionTreeClassifier(random_state=0).fit(X, y)
        print(classification_report(y, clf.predict(X)))   # fits a LabelEncoder inside
    """)
    assert run_runner(script, store).returncode == 0
    run_dir = only_run(store)
    assert fit_steps(run_dir, "DecisionTreeClassifier") == [0]
    assert fit_steps(run_dir, "LabelEncoder") == []
