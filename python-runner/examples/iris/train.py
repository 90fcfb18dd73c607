"""Train a random forest on the iris data set and track it with MLOps Workbench.

Run it from VS Code (MLOps Workbench: Run Current Training File) or from any terminal:
    PYTHONPATH=<repo>/python-runner python3 train.py --trees 100
"""
import argparse
import csv
from pathlib import Path

from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from mlwb import Experiment

parser = argparse.ArgumentParser()
parser.add_argument("--trees", type=int, default=60)
parser.add_argument("--max-depth", type=int, default=4)
parser.add_argument("--seed", type=int, default=7)
args = parser.parse_args()

with open(Path(__file__).parent / "data" / "iris.csv", newline="") as f:
    rows = list(csv.DictReader(f))
features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
X = [[float(r[k]) for k in features] for r in rows]
y = [r["species"] for r in rows]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=args.seed, stratify=y)

with Experiment("iris/random-forest", readme="Random forest on the iris flowers", tags=["example"]).run as exp:
    exp.params.set(model=dict(kind="RandomForestClassifier", trees=args.trees, max_depth=args.max_depth), seed=args.seed)
    model = RandomForestClassifier(n_estimators=1, max_depth=args.max_depth, random_state=args.seed, warm_start=True)
    for n in range(1, args.trees + 1, 5):
        model.set_params(n_estimators=n)
        model.fit(X_train, y_train)
        predicted = model.predict(X_test)
        exp.metrics.log(
            step=n,
            train=dict(accuracy=accuracy_score(y_train, model.predict(X_train))),
            eval=dict(accuracy=accuracy_score(y_test, predicted), f1=f1_score(y_test, predicted, average="macro")),
        )
    exp.logs.info("trained", trees=args.trees)
    exp.files("model").save_pkl(model, to="model.pkl")
