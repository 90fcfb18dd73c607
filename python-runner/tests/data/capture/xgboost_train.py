"""XGBoost as its "Get Started" and "Python Package Introduction" pages show it: the native API with
evaluation sets and early stopping, then the scikit-learn API with eval_set."""
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=7)

dtrain = xgb.DMatrix(X_train, label=y_train)
dtest = xgb.DMatrix(X_test, label=y_test)
param = {"max_depth": 3, "eta": 0.3, "objective": "binary:logistic", "eval_metric": ["logloss", "error"]}
evallist = [(dtrain, "train"), (dtest, "eval")]
num_round = 30
evals_result = {}
bst = xgb.train(param, dtrain, num_round, evals=evallist, early_stopping_rounds=5, evals_result=evals_result,
                verbose_eval=False)
print("best iteration", bst.best_iteration, "best score", round(bst.best_score, 6))
print("eval logloss", [round(v, 6) for v in evals_result["eval"]["logloss"]])

clf = xgb.XGBClassifier(n_estimators=20, max_depth=2, learning_rate=0.3, eval_metric="logloss")
clf.fit(X_train, y_train, eval_set=[(X_train, y_train), (X_test, y_test)], verbose=False)
print("validation_1 logloss", [round(v, 6) for v in clf.evals_result()["validation_1"]["logloss"]])
print("accuracy", round(accuracy_score(y_test, clf.predict(X_test)), 6))
