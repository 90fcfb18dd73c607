"""Guarantee: serve/predict (mlwb._model.Model) and explain (explain._data.load_model) read a model file with the
one loader: the format comes from the file's first bytes (its extension only when they say nothing), and a
file neither can take fails with the same "could not load <file>..." error."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from mlwb._model import Model, ModelLoadError
from mlwb._modelfile import check_ubjson, detect_format
from mlwb.explain._data import load_model
from mlwb.explain._model import ExplainError

X = np.random.RandomState(0).rand(40, 3)
Y = (X[:, 0] > 0.5).astype(int)


def test_the_bytes_decide_the_format_not_the_name(tmp_path: Path) -> None:
    import joblib
    import torch
    import xgboost as xgb

    tree = DecisionTreeClassifier(max_depth=2).fit(X, Y)
    booster = xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(X, Y)
    (tmp_path / "tree.model").write_bytes(pickle.dumps(tree))  # a pickle with a name that says nothing
    joblib.dump(tree, tmp_path / "tree.pkl", compress=3)
    booster.save_model(str(tmp_path / "b.ubj"))
    (tmp_path / "b.model").write_bytes((tmp_path / "b.ubj").read_bytes())
    booster.save_model(str(tmp_path / "b.json"))
    (tmp_path / "b.pkl").write_bytes((tmp_path / "b.json").read_bytes())
    torch.save({"w": torch.zeros(2)}, tmp_path / "w.bin")
    found = {p.name: detect_format(str(p)) for p in tmp_path.iterdir()}
    assert found == {"tree.model": "pickle", "tree.pkl": "joblib", "b.ubj": "xgboost-ubj", "b.model": "xgboost-ubj",
                     "b.json": "xgboost-json", "b.pkl": "xgboost-json", "w.bin": "torch"}
    served = Model(str(tmp_path / "tree.model"))
    assert served.format == "pickle" and served.n_features == 3 and served.classes == [0, 1]
    assert type(load_model(str(tmp_path / "tree.model"))).__name__ == "DecisionTreeClassifier"
    for name in ("b.model", "b.pkl"):
        assert Model(str(tmp_path / name)).cls.endswith("XGBClassifier")
        assert type(load_model(str(tmp_path / name))).__name__ == "Booster"  # explain takes the booster's margin


def test_serve_and_explain_fail_alike(tmp_path: Path) -> None:
    import torch

    (tmp_path / "list.pkl").write_bytes(pickle.dumps([1, 2]))
    torch.save({"w": torch.zeros(2)}, tmp_path / "w.pt")
    for name, why in (("list.pkl", "it holds a list, which has no predict()"), ("nope.pkl", "model file not found")):
        path = str(tmp_path / name)
        with pytest.raises(ModelLoadError) as served:
            Model(path)
        with pytest.raises(ExplainError) as explained:
            load_model(path)
        assert str(served.value) == str(explained.value) == f"could not load {path}: {why}"
    with pytest.raises(ExplainError, match=r"could not load .*w\.pt: it is a PyTorch checkpoint; explain takes"):
        load_model(str(tmp_path / "w.pt"))


def test_a_cut_ubjson_model_is_refused_before_xgboost_reads_it(tmp_path: Path) -> None:
    import xgboost as xgb

    path = tmp_path / "b.ubj"
    xgb.XGBRegressor(n_estimators=3, max_depth=3).fit(X, X[:, 1]).save_model(str(path))
    data = path.read_bytes()
    check_ubjson(data)
    for cut in range(0, len(data), max(1, len(data) // 200)):
        with pytest.raises(ValueError):
            check_ubjson(data[:cut])
    with pytest.raises(ValueError, match="unexpected bytes"):
        check_ubjson(data + b"}")
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match=r"could not load .*b\.ubj as an XGBoost UBJSON model: ValueError: the file is cut off"):
        Model(str(path))


def test_a_pickle_named_as_data_is_refused_unloaded(tmp_path: Path) -> None:
    """The extension asks before loading a pickle, judging by the name where it has no registry record
    (explain on an Explorer file): a pickle named .json/.ubj/.xgb/.bst must never run unasked."""
    import joblib

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (open, (str(marker), "w"))

    for name in ("model.json", "model.ubj", "model.xgb", "model.bst"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(Evil()))
        for load in (Model, load_model):
            with pytest.raises((ModelLoadError, ExplainError), match=rf"named {path.suffix} but holds a pickle, which runs code"):
                load(str(path))
    joblib.dump(DecisionTreeClassifier(max_depth=1).fit(X, Y), tmp_path / "z.json", compress=3)
    with pytest.raises(ModelLoadError, match=r"named \.json but holds a joblib file"):
        Model(str(tmp_path / "z.json"))
    assert not marker.exists(), "the pickle's code ran"
