"""XGBoost trainings of an unmodified script under ``python -m mlwb run``: per-round evaluation series, booster
params, best iteration and score, the model as XGBoost JSON; trainings inside a search are not logged."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from capture_helpers import captured_metrics, copy_script, files, params, run_plain, run_tracked
from helpers import series

xgb = pytest.importorskip("xgboost")


def printed(stdout: str, label: str) -> list:
    (line,) = [ln for ln in stdout.splitlines() if ln.startswith(label + " [")]
    return ast.literal_eval(line[len(label) + 1:])


def test_native_and_sklearn_api_trainings_log_their_curves_params_and_models(store: Path, tmp_path: Path) -> None:
    script = copy_script("xgboost_train.py", tmp_path)
    run_dir, result = run_tracked(script, store)
    assert result.stdout == run_plain(script).stdout
    s = series(run_dir)
    eval_logloss = printed(result.stdout, "eval logloss")  # evals_result, as the script printed it (rounded)
    rounds = len(eval_logloss)
    assert s["eval/eval/logloss"]["step"] == list(range(rounds))
    assert [round(v, 6) for v in s["eval/eval/logloss"]["value"]] == eval_logloss
    for key in ("eval/train/logloss", "eval/train/error", "eval/eval/error"):
        assert s[key]["step"] == list(range(rounds)), key
    val1 = printed(result.stdout, "validation_1 logloss")
    assert [round(v, 6) for v in s["eval/validation_1/logloss"]["value"]] == val1 and len(val1) == 20
    assert len(s["eval/validation_0/logloss"]["value"]) == 20

    best = result.stdout.split("best iteration ")[1].split()
    assert s["xgboost/best_iteration"]["value"][0] == int(best[0])
    assert round(s["xgboost/best_score"]["value"][0], 6) == float(best[3])
    assert s["xgboost/rounds"]["value"] == [rounds, 20]

    p = params(run_dir)
    assert {k: v for k, v in p.items() if k.startswith("xgboost.")} == {
        "xgboost.max_depth": 3, "xgboost.eta": 0.3, "xgboost.objective": "binary:logistic",
        "xgboost.eval_metric": ["logloss", "error"], "xgboost.num_boost_round": 30}
    assert p["autolog.XGBClassifier.n_estimators"] == 20  # the sklearn API's params are its autolog params

    kept = files(run_dir)
    assert kept["xgboost/booster.json"]["tags"] == ["xgboost", "model"]
    booster = xgb.Booster(model_file=str(run_dir / "files" / "xgboost" / "booster.json"))
    assert booster.num_boosted_rounds() == rounds and booster.attr("best_iteration") == best[0]
    clf = xgb.Booster(model_file=str(run_dir / "files" / "xgboost" / "XGBClassifier.json"))
    assert clf.num_boosted_rounds() == 20
    assert set(captured_metrics(run_dir)) >= {"test/accuracy_score"}


def test_trainings_inside_a_search_are_nested_and_a_second_training_gets_its_own_curves(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent("""
        import xgboost as xgb
        from sklearn.datasets import load_diabetes
        from sklearn.model_selection import GridSearchCV
        X, y = load_diabetes(return_X_y=True)
        GridSearchCV(xgb.XGBRegressor(n_estimators=5), {"max_depth": [2, 3]}, cv=2).fit(X, y)
        for depth in (2, 4):
            xgb.XGBRegressor(n_estimators=8, max_depth=depth).fit(X, y, eval_set=[(X, y)], verbose=False)
    """))
    run_dir, _ = run_tracked(script, store)
    evals = sorted(k for k in series(run_dir) if k.startswith("eval/"))
    assert evals == ["eval/validation_0-2/rmse", "eval/validation_0/rmse"]
    assert all(len(series(run_dir)[k]["value"]) == 8 for k in evals), "the search's 4 inner trainings are not logged"
    assert series(run_dir)["xgboost/rounds"]["value"] == [8, 8], "the search's refit is nested too"
