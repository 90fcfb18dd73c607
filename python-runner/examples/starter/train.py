"""Train a classifier on one of the bundled CSV data sets and track it with MLOps Workbench.

Run it with the Run button in the editor title (MLOps Workbench: Run Current Training File), or
"Run Current Training File with Arguments…" to try other settings, e.g. --model logreg or --trees 200.
"""
import argparse
import csv
from pathlib import Path

from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlwb
from mlwb import Experiment

parser = argparse.ArgumentParser()
parser.add_argument("--dataset", default="wine", choices=["wine", "iris", "breast_cancer"])
parser.add_argument("--model", default="forest", choices=["forest", "boosting", "logreg"])
parser.add_argument("--trees", type=int, default=100)
parser.add_argument("--max-depth", type=int, default=6)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

with open(Path(__file__).parent / "data" / f"{args.dataset}.csv", newline="") as f:
    rows = list(csv.DictReader(f))
features = [k for k in rows[0] if k != "target"]
X = [[float(r[k]) for k in features] for r in rows]
y = [r["target"] for r in rows]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=args.seed, stratify=y)

with Experiment(f"starter/{args.dataset}", readme=f"{args.model} on {args.dataset}", tags=["example", args.model]).run as exp:
    exp.params.set(dataset=args.dataset, model=dict(kind=args.model, trees=args.trees, max_depth=args.max_depth), seed=args.seed)
    if args.model == "logreg":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        model.fit(X_train, y_train)
        stages = [1]
    else:
        if args.model == "forest":
            model = RandomForestClassifier(n_estimators=1, max_depth=args.max_depth, random_state=args.seed, warm_start=True)
        else:
            model = GradientBoostingClassifier(n_estimators=1, max_depth=min(args.max_depth, 3), random_state=args.seed, warm_start=True)
        stages = list(range(5, args.trees + 1, 5)) or [args.trees]
    for i, n in enumerate(stages):
        if args.model != "logreg":
            model.set_params(n_estimators=n)
            model.fit(X_train, y_train)
        predicted = model.predict(X_test)
        exp.metrics.log(
            step=n,
            train=dict(accuracy=accuracy_score(y_train, model.predict(X_train))),
            eval=dict(accuracy=accuracy_score(y_test, predicted), f1=f1_score(y_test, predicted, average="macro")),
        )
        mlwb.progress(i + 1, len(stages), f"{n} trees" if args.model != "logreg" else "fitted")
    exp.logs.info("trained", model=args.model, eval_accuracy=accuracy_score(y_test, predicted))
    exp.files("model").save_pkl(model, to="model.pkl")
    print(f"{args.model} on {args.dataset}: eval accuracy {accuracy_score(y_test, predicted):.3f}")
