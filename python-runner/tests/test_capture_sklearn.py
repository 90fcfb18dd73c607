"""scikit-learn post-training metrics and reports of unmodified scripts run by ``python -m mlwb run``.

The scripts (tests/data/capture) are written as scikit-learn's gallery and user guide write them; the expected
numbers are computed here with the same calls, and the script's output must be what a plain run prints.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from capture_helpers import PNG, captured_metrics, copy_script, file_bytes, files, run_plain, run_tracked
from helpers import of_type, run_runner, series

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

from sklearn import datasets, metrics, svm  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402


def assert_close(got: object, expected: object) -> None:
    """Nested dicts of numbers equal up to float rounding (JSON turned numpy floats into Python ones)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), (got, expected)
        for k in expected:
            assert_close(got[k], expected[k])
    else:
        assert got == pytest.approx(expected)


CASES = json.loads((Path(__file__).parent / "data" / "capture" / "report-cases.json").read_text())


def assert_like_the_cases(report: dict) -> None:
    """A report the runner wrote has the shape of the valid cases the dashboard is tested on
    (test/unit/dashboard/run-media.test.ts parses each of them)."""
    (case, *_) = [c["file"] for c in CASES["valid"] if c["file"]["kind"] == report["kind"]]
    assert set(report) == set(case)
    assert report["version"] == case["version"] and isinstance(report["dataset"], str) and isinstance(report["estimator"], str)
    if report["kind"] == "classification_report":
        row_keys = {k for c in CASES["valid"] if c["file"]["kind"] == "classification_report"
                    for row in c["file"]["report"].values() if isinstance(row, dict) for k in row}
        for name, row in report["report"].items():
            assert (name == "accuracy" and isinstance(row, float)) or set(row) == row_keys, name
    else:
        n = len(report["labels"])
        assert len(report["matrix"]) == n and all(len(r) == n for r in report["matrix"])


def digits_split():
    digits = datasets.load_digits()
    data = digits.images.reshape((len(digits.images), -1))
    return train_test_split(data, digits.target, test_size=0.5, shuffle=False)


def test_the_digits_gallery_script_gets_its_accuracy_report_confusion_matrix_and_figures(store: Path, tmp_path: Path) -> None:
    script = copy_script("plot_digits_classification.py", tmp_path)
    run_dir, result = run_tracked(script, store)
    assert result.stdout == run_plain(script).stdout, "the script prints what it prints without us"

    X_train, X_test, y_train, y_test = digits_split()
    predicted = svm.SVC(gamma=0.001).fit(X_train, y_train).predict(X_test)
    assert captured_metrics(run_dir) == {"test/accuracy_score": [pytest.approx(metrics.accuracy_score(y_test, predicted))]}

    kept = files(run_dir)
    report = json.loads(file_bytes(run_dir, "reports/test/classification_report.json"))
    assert report["kind"] == "classification_report" and report["dataset"] == "test" and report["estimator"] == "SVC"
    assert_close(report["report"], metrics.classification_report(y_test, predicted, output_dict=True))
    assert kept["reports/test/classification_report.json"]["tags"] == ["report", "classification_report"]
    assert_like_the_cases(report)
    matrix = json.loads(file_bytes(run_dir, "reports/test/confusion_matrix.json"))  # ConfusionMatrixDisplay's
    assert matrix["labels"] == list(range(10))
    assert_like_the_cases(matrix)
    assert matrix["matrix"] == metrics.confusion_matrix(y_test, predicted).tolist()

    figures = sorted(p for p in kept if p.startswith("figures/"))
    assert figures == ["figures/confusion-matrix.png", "figures/prediction-8.png", "figures/training-0.png"]
    for path in figures:
        assert file_bytes(run_dir, path).startswith(PNG) and kept[path]["tags"] == ["figure"]
        assert kept[path]["meta"]["source"] == "show"
    assert kept["figures/confusion-matrix.png"]["meta"]["title"] == "Confusion Matrix"


def test_held_out_metrics_are_named_after_the_data_and_nothing_a_search_or_cv_computes_inside(store: Path, tmp_path: Path) -> None:
    script = copy_script("model_evaluation.py", tmp_path)
    run_dir, result = run_tracked(script, store)
    assert result.stdout == run_plain(script).stdout

    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    y_pred = clf.predict(X_test)
    forests = [metrics.accuracy_score(y_test, RandomForestClassifier(n_estimators=10, max_depth=d, random_state=0)
                                      .fit(X_train, y_train).predict(X_test)) for d in (1, 3, 5)]
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [2, 4]}, cv=3).fit(X_train, y_train)
    Xr, yr = load_diabetes(return_X_y=True)
    Xr_train, Xr_test, yr_train, yr_test = train_test_split(Xr, yr, random_state=0)
    pred = Ridge(alpha=0.5).fit(Xr_train, yr_train).predict(Xr_test)

    assert captured_metrics(run_dir) == {
        # one series: the script's own accuracy, then the loop's three forests (evaluate(model, X, y) is named
        # after the caller's X_test), never permutation_importance's nor the search's inner scores
        "test/accuracy_score": pytest.approx([metrics.accuracy_score(y_test, y_pred), *forests]),
        "test/f1_score": [pytest.approx(metrics.f1_score(y_test, y_pred))],
        "test/roc_auc_score": [pytest.approx(metrics.roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1]))],
        "train/accuracy_score": [pytest.approx(metrics.accuracy_score(y_train, clf.predict(X_train)))],
        "test/Pipeline.score": [pytest.approx(clf.score(X_test, y_test))],
        "test/GridSearchCV.score": [pytest.approx(search.score(X_test, y_test))],
        "test/mean_squared_error": [pytest.approx(metrics.mean_squared_error(yr_test, pred))],
        "test/r2_score": [pytest.approx(metrics.r2_score(yr_test, pred))],
    }
    assert series(run_dir)["test/accuracy_score"]["step"] == [0, 1, 2, 3]
    matrix = json.loads(file_bytes(run_dir, "reports/test/confusion_matrix.json"))
    assert matrix["estimator"] == "Pipeline" and matrix["matrix"] == metrics.confusion_matrix(y_test, y_pred).tolist()
    # Autolog: the script's fits only, not the search's candidates or the cross-validation's folds.
    fitted = {k.split("/")[1] for k in series(run_dir) if k.startswith("autolog/") and k.endswith("/fit_time_s")}
    assert fitted == {"Pipeline", "GridSearchCV", "RandomForestClassifier", "Ridge"}


def test_repeated_reports_get_a_counter_and_data_without_a_name_is_eval_or_train(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "names.py"
    script.write_text(textwrap.dedent("""
        from sklearn.datasets import load_iris
        from sklearn.metrics import classification_report, f1_score
        from sklearn.neighbors import KNeighborsClassifier
        X, y = load_iris(return_X_y=True)
        knn = KNeighborsClassifier().fit(X, y)
        print(knn.score(X, y))                                # the data it was fitted on, unnamed: train
        holdout = X[1::2]
        print(f1_score(y[1::2], knn.predict(holdout), average="macro"))   # X named `holdout`
        rows = X[1::2].tolist()
        print(f1_score(y[1::2], knn.predict(rows), average="micro"))  # a list: named when predicted
        print(classification_report(y[1::2], knn.predict(X[1::2]), output_dict=True)["accuracy"])  # unnamed: eval
        print(classification_report(y[1::2], knn.predict(X[1::2]))[:10])
    """))
    run_dir, result = run_tracked(script, store)
    assert result.stdout == run_plain(script).stdout
    m = captured_metrics(run_dir)
    assert set(m) == {"train/KNeighborsClassifier.score", "holdout/f1_score", "rows/f1_score"}
    assert sorted(p for p in files(run_dir) if p.startswith("reports/")) == [
        "reports/eval/classification_report-2.json", "reports/eval/classification_report.json"]
    first = json.loads(file_bytes(run_dir, "reports/eval/classification_report.json"))["report"]
    second = json.loads(file_bytes(run_dir, "reports/eval/classification_report-2.json"))["report"]
    assert first == second and first["accuracy"] == pytest.approx(float(result.stdout.splitlines()[3]))


def test_models_not_fitted_in_the_run_and_scripts_without_sklearn_metrics_log_nothing(store: Path, tmp_path: Path) -> None:
    import pickle

    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(DecisionTreeClassifier(random_state=0).fit(X, y)))
    script = tmp_path / "loaded.py"
    script.write_text(textwrap.dedent("""
        import pickle, sys
        from sklearn.datasets import load_iris
        from sklearn.metrics import accuracy_score
        X_test, y_test = load_iris(return_X_y=True)
        model = pickle.load(open("model.pkl", "rb"))
        print(accuracy_score(y_test, model.predict(X_test)), model.score(X_test, y_test))
        print(sorted(m for m in ("matplotlib", "xgboost", "omegaconf", "torch") if m in sys.modules))
    """))
    run_dir, result = run_tracked(script, store)
    assert captured_metrics(run_dir) == {}
    assert result.stdout.splitlines()[1] == "[]", "the runner imports none of the libraries the script does not"


def test_a_metric_that_raises_raises_as_it_would_and_is_not_logged(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "bad.py"
    script.write_text(textwrap.dedent("""
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
        X_test, y_test = load_iris(return_X_y=True)
        clf = LogisticRegression(max_iter=500).fit(X_test, y_test)
        try:
            roc_auc_score(y_test, clf.predict(X_test))     # multiclass labels: sklearn refuses
        except ValueError as e:
            print("ValueError:", e)
    """))
    run_dir, result = run_tracked(script, store)
    assert result.stdout == run_plain(script).stdout and result.stdout.startswith("ValueError:")
    assert captured_metrics(run_dir) == {}
    assert "Traceback" not in result.stderr


def test_no_autolog_turns_the_capture_off_too(store: Path, tmp_path: Path) -> None:
    script = copy_script("model_evaluation.py", tmp_path)
    result = run_runner(script, store, opts=["--no-autolog"], timeout=120)
    assert result.returncode == 0, result.stderr
    (run_dir,) = (store / "runs").iterdir()
    assert captured_metrics(run_dir) == {} and not of_type(run_dir, "file")
