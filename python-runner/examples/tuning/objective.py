"""A script objective with pruning: python -m mlwb tune --spec sgd.json (or --script objective.py).

Also runnable on its own (python objective.py), which tunes with mlwb.tune directly.
"""
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

from mlwb import tune

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


@tune.objective(direction="maximize")
def objective(trial):
    clf = SGDClassifier(alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
                        loss=trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"]),
                        random_state=0)
    score = 0.0
    for epoch in range(10):  # one pass per epoch; the validation accuracy is the intermediate value
        clf.partial_fit(X_train, y_train, classes=list(range(10)))
        score = clf.score(X_val, y_val)
        trial.report(score, epoch)
        if trial.should_prune():
            raise tune.TrialPruned()
    return score


if __name__ == "__main__":
    result = tune.run(objective, n_trials=30, direction="maximize")
    print("best", result.best_value, result.best_params)
