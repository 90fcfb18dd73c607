"""Guarantee: random, truncated and bit-flipped model files (pickle, joblib, torch, XGBoost JSON/UBJ, ONNX) given to the
loaders of serve/predict/explain fail with a clear ModelLoadError naming the file, never another exception."""
from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

import pytest

from mlwb._model import Model, ModelLoadError

SEED = int(os.environ.get("MLWB_FUZZ_SEED", "9009"))


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory):
    import joblib
    import numpy as np
    import torch
    import xgboost as xgb
    from sklearn.tree import DecisionTreeClassifier

    d = tmp_path_factory.mktemp("models")
    X = np.random.RandomState(0).rand(60, 4)
    y = (X[:, 0] > 0.5).astype(int)
    m = DecisionTreeClassifier(max_depth=3).fit(X, y)
    (d / "m.pkl").write_bytes(pickle.dumps(m))
    joblib.dump(m, d / "m.joblib", compress=3)
    torch.save({"w": torch.zeros(3)}, d / "m.pt")
    b = xgb.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)
    b.save_model(str(d / "m.json"))
    b.save_model(str(d / "m.ubj"))
    return d


def test_broken_model_files_give_a_clear_error(real: Path, tmp_path: Path) -> None:
    r = random.Random(SEED)
    tried = loaded = 0
    cases = []
    for ext in (".pkl", ".joblib", ".pt", ".json", ".ubj", ".onnx", ".bin"):
        for i in range(15):
            cases.append((f"rand{i}{ext}", bytes(r.getrandbits(8) for _ in range(r.randint(0, 2000)))))
    for name in ("m.pkl", "m.joblib", "m.pt", "m.json", "m.ubj"):
        data = (real / name).read_bytes()
        for i in range(25):
            cut = bytearray(data[: r.randint(0, len(data) - 1)])
            if i % 2 and cut:
                cut[r.randrange(len(cut))] ^= 1 << r.randrange(8)
            cases.append((f"cut{i}-{name}", bytes(cut)))
    cases.append(("list.pkl", pickle.dumps([1, 2, 3])))  # a pickle that is no model
    cases.append(("missing.pkl", None))
    for name, data in cases:
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        tried += 1
        try:
            Model(str(path))
            loaded += 1  # a flipped bit in a float or a string can leave a loadable model: fine
        except ModelLoadError as e:
            assert str(path.name) in str(e) and len(str(e)) < 2000, f"seed {SEED}: unclear error for {name}: {e}"
        except BaseException as e:  # noqa: B036 - anything else (even SystemExit, RecursionError) is the bug we look for
            raise AssertionError(f"seed {SEED}: {name} raised {type(e).__name__}: {e}") from e
    print(f"fuzz: model files (python loaders): seed {SEED}, {tried} inputs, {loaded} still loadable, 0 crashes")
