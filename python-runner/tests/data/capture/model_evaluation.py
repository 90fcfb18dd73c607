"""Model evaluation as scikit-learn's user guide shows it ("Metrics and scoring"): held-out metrics of a
classifier and a regressor, a search and a cross-validation, permutation importance, a comparison loop."""
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, mean_squared_error, r2_score,
                             roc_auc_score)
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
y_pred = clf.predict(X_test)
print("accuracy", round(accuracy_score(y_test, y_pred), 6))
print("f1", round(f1_score(y_test, y_pred), 6))
print("roc auc", round(roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1]), 6))
print("train accuracy", round(accuracy_score(y_train, clf.predict(X_train)), 6))
print("score", round(clf.score(X_test, y_test), 6))
print(confusion_matrix(y_test, y_pred))

# A search and a cross-validation score many models inside: only what the script computes is logged.
search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [2, 4]}, cv=3).fit(X_train, y_train)
print("cv", np.round(cross_val_score(LogisticRegression(max_iter=1000), X_train, y_train, cv=3), 6))
print("search best", search.best_params_, round(search.score(X_test, y_test), 6))
result = permutation_importance(clf, X_test, y_test, n_repeats=3, random_state=0)
print("importance of the first feature", round(result.importances_mean[0], 6))


def evaluate(model, X, y):
    return accuracy_score(y, model.predict(X))


for depth in (1, 3, 5):
    forest = RandomForestClassifier(n_estimators=10, max_depth=depth, random_state=0).fit(X_train, y_train)
    print("forest", depth, round(evaluate(forest, X_test, y_test), 6))

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
reg = Ridge(alpha=0.5).fit(X_train, y_train)
pred = reg.predict(X_test)
print("mse", round(mean_squared_error(y_test, pred), 6), "r2", round(r2_score(y_test, pred), 6))
print("unrelated", accuracy_score([0, 1, 1], [0, 1, 0]))  # not a model's predictions: not logged
