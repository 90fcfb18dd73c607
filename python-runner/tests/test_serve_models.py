"""``serve`` with VS Code on the pipe, and with other kinds of models (Pipeline with categories, XGBoost)."""
from __future__ import annotations

import pickle
import socket
from pathlib import Path
from typing import Any, Dict

import pytest

pytest.importorskip("sklearn")

from fake_extension import FakeExtension  # noqa: E402
from serve_helpers import Served, train_models  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    return train_models(tmp_path_factory.mktemp("models"))


def test_handshake_ready_and_cancel_over_rpc(trained: Dict[str, Any]) -> None:
    ext = FakeExtension()
    try:
        s = Served(trained["path"], "--name", "cancer", "--version", "7", env={"MLWB_RPC_PIPE": ext.path})
        hs = ext.wait_method("runner/handshake")
        assert "serve" in hs["params"]["capabilities"] and hs["params"]["pid"] == s.proc.pid
        ready = ext.wait_method("serve/ready")["params"]
        assert ready["url"] == s.ready["url"] and ready["port"] == s.port and ready["name"] == "cancer"
        assert ready["version"] == "7" and ready["event"] == "ready"
        assert s.json("GET", "/health")[0] == 200
        rid = ext.request("run/cancel", {"reason": "stop button"})
        assert ext.wait_reply(rid)["result"] == {"accepted": True}
        stopped = ext.wait_method("serve/stopped")
        assert stopped["params"]["reason"] == "cancel" and stopped["params"]["exitCode"] == 0
        ext.send({"jsonrpc": "2.0", "id": stopped["id"], "result": None})
        assert s.proc.wait(15) == 0
        assert s.events_after_exit()[-1]["event"] == "stopped"
    finally:
        ext.close()


def test_extension_gone_stops_the_server(trained: Dict[str, Any]) -> None:
    ext = FakeExtension()
    s = Served(trained["path"], env={"MLWB_RPC_PIPE": ext.path})
    try:
        ext.wait_method("serve/ready")
        assert ext._conn is not None
        ext._conn.shutdown(socket.SHUT_RDWR)  # a plain close() would not end the fake's blocked recv
    finally:
        ext.close()
    assert s.proc.wait(15) == 0
    last = s.events_after_exit()[-1]
    assert last["event"] == "stopped" and last["reason"] == "extension-gone"


def test_no_extension_listening_still_serves(trained: Dict[str, Any], tmp_path: Path) -> None:
    s = Served(trained["path"], "--max-wait-ms", "0", env={"MLWB_RPC_PIPE": str(tmp_path / "nobody.sock")})
    try:
        body = {"instances": trained["X"].values[:3].tolist()}
        assert s.json("POST", "/invocations", body) == (200, {"predictions": trained["model"].predict(trained["X"].iloc[:3]).tolist()})
        assert any("not listening" in line for line in s.stderr)
    finally:
        assert s.stop() == 0


def test_pipeline_with_categorical_columns(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = pd.DataFrame({"age": [22, 35, 58, 41, 30, 66, 19, 50], "city": ["a", "b", "a", "c", "b", "c", "a", "b"],
                       "income": [1.0, 2.5, 3.1, 2.2, 1.9, 4.0, 0.5, 3.3]})
    y = [0, 1, 1, 0, 0, 1, 0, 1]
    pipe = Pipeline([("prep", ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                                                 ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"])])),
                     ("clf", LogisticRegression())]).fit(df, y)
    path = tmp_path / "pipe.joblib"
    with open(path, "wb") as f:
        pickle.dump(pipe, f)
    s = Served(path)
    try:
        status, meta = s.json("GET", "/metadata")
        assert meta["features"] == ["age", "city", "income"] and meta["model_class"].endswith("Pipeline")
        assert meta["format"] == "joblib"
        want = pipe.predict(df).tolist()
        assert s.json("POST", "/invocations", {"dataframe_records": df.to_dict(orient="records")}) == (200, {"predictions": want})
        csv_text = df[["income", "city", "age"]].to_csv(index=False)
        assert s.json("POST", "/invocations", csv_text, {"Content-Type": "text/csv"}) == (200, {"predictions": want})
        status, body = s.json("POST", "/invocations", {"dataframe_records": [{"age": 1, "income": 2}]})
        assert status == 422 and body["missing_features"] == ["city"]
    finally:
        s.stop()


def test_xgboost_json_model(tmp_path: Path, trained: Dict[str, Any]) -> None:
    xgb = pytest.importorskip("xgboost")
    X, y = trained["X"], trained["y"]
    model = xgb.XGBClassifier(n_estimators=20, max_depth=3).fit(X, y)
    path = tmp_path / "xgb.json"
    model.save_model(str(path))
    s = Served(path)
    try:
        status, meta = s.json("GET", "/metadata")
        assert meta["format"] == "xgboost-json" and meta["model_class"].endswith("XGBClassifier")
        assert meta["features"] == list(X.columns)
        body = {"dataframe_split": {"columns": list(X.columns), "data": X.values[:20].tolist()}}
        assert s.json("POST", "/invocations", body) == (200, {"predictions": model.predict(X.iloc[:20]).tolist()})
        status, out = s.json("POST", "/invocations?proba=1", body)
        assert status == 200 and len(out["predictions"][0]) == 2
    finally:
        s.stop()


BOOM = '''
class Boom:
    n_features_in_ = 2

    def predict(self, x):
        if x[0][0] == 13:
            raise SystemExit("the model pulled the plug")  # not an Exception: escapes the batcher
        if x[0][0] == 7:
            raise MemoryError("out of memory")
        return [0] * len(x)
'''


def test_a_dying_batcher_is_reported_not_silent(tmp_path: Path) -> None:
    import os
    import sys

    (tmp_path / "boom_model.py").write_text(BOOM)
    sys.path.insert(0, str(tmp_path))
    try:
        import boom_model

        path = tmp_path / "boom.pkl"
        with open(path, "wb") as f:
            pickle.dump(boom_model.Boom(), f)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("boom_model", None)
    from serve_helpers import RUNNER_DIR

    s = Served(path, env={"PYTHONPATH": os.pathsep.join([str(RUNNER_DIR), str(tmp_path)])})
    try:
        assert s.json("POST", "/invocations", {"instances": [[1, 2]]}) == (200, {"predictions": [0]})
        status, body = s.json("POST", "/invocations", {"instances": [[7, 2]]})  # an Exception: 500, still up
        assert status == 500 and body["error_code"] == "INTERNAL_ERROR" and "out of memory" in body["message"]
        assert s.json("GET", "/health")[0] == 200
        try:
            s.request("POST", "/invocations", {"instances": [[13, 2]]})
        except (ConnectionError, OSError, Exception):
            pass  # the connection is closed without an answer: the process is going down
        assert s.proc.wait(15) == 1
        last = s.events_after_exit()[-1]
        assert last["event"] == "error" and "batcher" in last["error"] and last["exitCode"] == 1
    finally:
        s.stop()
