"""A hyperparameter sweep as MLflow's docs show it: one parent run, a nested run per candidate, then the read side."""
import json
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.metrics import accuracy_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

mlflow.set_experiment("rf-sweep")
mlflow.sklearn.autolog()

with mlflow.start_run(run_name="sweep", tags={"team": "tabular"}, description="grid over n_estimators") as parent:
    mlflow.log_param("search", "grid")
    mlflow.log_input(mlflow.data.from_pandas(X_train, name="cancer-train"), context="training")
    for n in (5, 20):
        with mlflow.start_run(run_name=f"rf-{n}", nested=True) as child:
            assert mlflow.active_run().info.run_id == child.info.run_id
            rf = RandomForestClassifier(n_estimators=n, random_state=0).fit(X_train, y_train)
            mlflow.log_metrics({"accuracy": accuracy_score(y_test, rf.predict(X_test))})
            for i, tree in enumerate(rf.estimators_[:3]):
                mlflow.log_metric("tree_depth", tree.get_depth(), step=i)
            mlflow.log_dict({"n_estimators": n}, "config.json")
            mlflow.log_text(f"{n} trees", "notes/summary.txt")
            fig, ax = plt.subplots()
            ax.bar(range(5), rf.feature_importances_[:5])
            mlflow.log_figure(fig, "plots/importance.png")
            with tempfile.TemporaryDirectory() as d:
                for name in ("a.txt", "sub/b.txt"):
                    os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
                    with open(os.path.join(d, name), "w") as f:
                        f.write(name)
                mlflow.log_artifacts(d, artifact_path="extra")

    runs = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
                              order_by=["metrics.accuracy DESC"])
    best = runs.iloc[0]
    client = MlflowClient()
    best_run = client.get_run(best.run_id)
    report = {
        "columns": list(runs.columns),
        "run_ids": list(runs["run_id"]),
        "best": {"run_id": best_run.info.run_id, "status": best_run.info.status, "params": best_run.data.params,
                 "metrics": best_run.data.metrics, "tags": best_run.data.tags},
        "artifacts": [(a.path, a.is_dir) for a in client.list_artifacts(best.run_id)],
        "extra": [a.path for a in client.list_artifacts(best.run_id, "extra")],
        "depth_steps": [m.step for m in client.get_metric_history(best.run_id, "tree_depth")],
        "over_90": len(mlflow.search_runs(filter_string="metrics.accuracy > 0.9 and params.n_estimators = '20'")),
    }
    mlflow.log_metric("best_accuracy", best["metrics.accuracy"])
    mlflow.set_tag("best_run", best.run_id)
print("REPORT " + json.dumps(report))
