"""``mlflow.<flavor>.log_model / save_model / load_model / autolog`` for sklearn, pyfunc, pytorch and xgboost."""
from __future__ import annotations

import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from . import _runs
from .mlflow_api import _current, flavor_autolog
from .mlflow_entities import MlflowException
from .mlflow_models import (ModelInfo, ModelSignature, _read_mlmodel, env_path, load_pickle, model_file, not_registered,
                            package_requirement, resolve_uri, write_model_dir)


def _pickle_to(obj: Any) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        with open(path, "wb") as f:
            pickle.dump(obj, f)
    return write


def _log(flavor: str, model_file_name: str, writer: Callable[[Path], None], artifact_path: Optional[str], name: Optional[str],
         flavor_conf: Dict[str, Any], signature: Optional[ModelSignature], input_example: Any,
         metadata: Optional[Dict[str, Any]], requirements: List[str], registered_model_name: Optional[str]) -> ModelInfo:
    exp = _current()
    rel = (name or artifact_path or "model").strip("/")
    tmp = Path(tempfile.mkdtemp(prefix="mlwb-model-"))
    try:
        written = write_model_dir(tmp, flavor, model_file_name, writer, run_id=exp.id, artifact_path=rel,
                                  flavor_conf=flavor_conf, signature=signature, input_example=input_example,
                                  metadata=metadata, requirements=requirements)
        for f in sorted(p for p in tmp.rglob("*") if p.is_file()):
            sub = f.relative_to(tmp).as_posix()
            is_model = sub == model_file_name
            _runs.save_file(exp, f, f"{rel}/{sub}", tags=["model", f"mlflow.{flavor}"] if is_model else ["mlflow"],
                            description=f"{flavor} model (mlflow.{flavor}.log_model)" if is_model else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    not_registered(registered_model_name, f"mlflow.{flavor}.log_model")
    return ModelInfo(artifact_path=rel, run_id=str(exp.id), model_uri=f"runs:/{exp.id}/{rel}", flavors=written["flavors"],
                     signature=signature, model_uuid=written["model_uuid"], utc_time_created=written["utc_time_created"],
                     metadata=metadata,
                     saved_input_example_info={"artifact_path": "input_example.json"} if input_example is not None else None)


def _save(flavor: str, path: Any, model_file_name: str, writer: Callable[[Path], None], flavor_conf: Dict[str, Any],
          signature: Optional[ModelSignature], input_example: Any, metadata: Optional[Dict[str, Any]],
          requirements: List[str]) -> None:
    target = env_path(path)
    if target.exists() and any(target.iterdir()):
        raise MlflowException(f"Path '{target}' already exists and is not empty", "RESOURCE_ALREADY_EXISTS")
    write_model_dir(target, flavor, model_file_name, writer, run_id=None, artifact_path=target.name, flavor_conf=flavor_conf,
                    signature=signature, input_example=input_example, metadata=metadata, requirements=requirements)


# -- sklearn ----------------------------------------------------------------------------------------

def _sklearn_conf() -> Dict[str, Any]:
    conf: Dict[str, Any] = {"pickled_model": "model.pkl", "serialization_format": "pickle"}
    req = package_requirement("scikit-learn")
    if req:
        conf["sklearn_version"] = req[0].split("==", 1)[1]
    return conf


def sklearn_log_model(sk_model: Any, artifact_path: Optional[str] = None, conda_env: Any = None, code_paths: Any = None,
                      serialization_format: str = "cloudpickle", registered_model_name: Optional[str] = None,
                      signature: Optional[ModelSignature] = None, input_example: Any = None, await_registration_for: int = 300,
                      pip_requirements: Any = None, extra_pip_requirements: Any = None, pyfunc_predict_fn: str = "predict",
                      metadata: Optional[Dict[str, Any]] = None, name: Optional[str] = None, **kwargs: Any) -> ModelInfo:
    conf = _sklearn_conf()
    return _log("sklearn", "model.pkl", _pickle_to(sk_model), artifact_path, name, conf, signature, input_example, metadata,
                package_requirement("scikit-learn"), registered_model_name)


def sklearn_save_model(sk_model: Any, path: Any, conda_env: Any = None, code_paths: Any = None, mlflow_model: Any = None,
                       serialization_format: str = "cloudpickle", signature: Optional[ModelSignature] = None,
                       input_example: Any = None, pip_requirements: Any = None, extra_pip_requirements: Any = None,
                       pyfunc_predict_fn: str = "predict", metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
    _save("sklearn", path, "model.pkl", _pickle_to(sk_model), _sklearn_conf(), signature, input_example, metadata,
          package_requirement("scikit-learn"))


def sklearn_load_model(model_uri: str, dst_path: Optional[str] = None) -> Any:
    return load_pickle(model_uri)


# -- pyfunc -----------------------------------------------------------------------------------------

class PythonModelContext:
    def __init__(self, artifacts: Dict[str, str], model_config: Optional[Dict[str, Any]] = None) -> None:
        self.artifacts = artifacts
        self.model_config = model_config or {}


class PythonModel:
    """Base class of custom pyfunc models (``load_context`` then ``predict(context, model_input)``)."""

    def load_context(self, context: PythonModelContext) -> None:
        pass

    def predict(self, context: Any, model_input: Any, params: Optional[Dict[str, Any]] = None) -> Any:
        raise NotImplementedError


class PyFuncModel:
    """``mlflow.pyfunc.load_model``'s result: ``predict(data)`` whatever the flavor."""

    def __init__(self, impl: Any, predict: Callable[[Any, Optional[Dict[str, Any]]], Any], uri: str) -> None:
        self._model_impl = impl
        self._predict = predict
        self.metadata = {"model_uri": uri}

    def predict(self, data: Any, params: Optional[Dict[str, Any]] = None) -> Any:
        return self._predict(data, params)

    def unwrap_python_model(self) -> Any:
        return self._model_impl

    def __repr__(self) -> str:
        return f"mlflow.pyfunc.loaded_model (mlwb stand-in): {type(self._model_impl).__name__} from {self.metadata['model_uri']}"


def pyfunc_log_model(artifact_path: Optional[str] = None, loader_module: Any = None, data_path: Any = None, code_paths: Any = None,
                     conda_env: Any = None, python_model: Any = None, artifacts: Optional[Dict[str, str]] = None,
                     registered_model_name: Optional[str] = None, signature: Optional[ModelSignature] = None,
                     input_example: Any = None, pip_requirements: Any = None, metadata: Optional[Dict[str, Any]] = None,
                     name: Optional[str] = None, **kwargs: Any) -> ModelInfo:
    if python_model is None:
        raise MlflowException("mlflow.pyfunc.log_model: the mlflow stand-in saves python_model=... models only "
                              "(not loader_module)", "INVALID_PARAMETER_VALUE")
    info = _log("pyfunc", "python_model.pkl", _pickle_to(python_model), artifact_path, name,
                {"python_model": "python_model.pkl"}, signature, input_example, metadata, [], registered_model_name)
    exp = _current()
    for key, src in (artifacts or {}).items():
        _runs.save_file(exp, src, f"{info.artifact_path}/artifacts/{key}/{Path(src).name}")
    return info


def pyfunc_load_model(model_uri: str, suppress_warnings: bool = False, dst_path: Optional[str] = None, **kwargs: Any) -> PyFuncModel:
    folder = resolve_uri(model_uri)
    conf = _read_mlmodel(folder) if folder.is_dir() else {}
    if folder.is_dir() and (folder / "python_model.pkl").is_file():
        with open(folder / "python_model.pkl", "rb") as f:
            python_model = pickle.load(f)
        arts = folder / "artifacts"
        context = PythonModelContext({d.name: str(next(d.iterdir())) for d in arts.iterdir() if d.is_dir()} if arts.is_dir() else {})
        python_model.load_context(context)
        return PyFuncModel(python_model, lambda data, params: python_model.predict(context, data), model_uri)
    module = conf.get("loader_module", "")
    if module == "mlflow.pytorch" or model_file(model_uri, (".pkl", ".pth", ".pt", ".json", ".ubj")).suffix in (".pt", ".pth"):
        raise MlflowException("mlflow.pyfunc.load_model of a PyTorch model is not provided by the mlflow stand-in: "
                              "use mlflow.pytorch.load_model")
    if module == "mlflow.xgboost":
        model = xgboost_load_model(model_uri)
    else:
        model = load_pickle(model_uri)
    fn = getattr(model, conf.get("predict_fn") or "predict")
    return PyFuncModel(model, lambda data, params: fn(data), model_uri)


# -- pytorch ----------------------------------------------------------------------------------------

def _torch_writer(model: Any) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import torch

        torch.save(model, path)
    return write


def pytorch_log_model(pytorch_model: Any, artifact_path: Optional[str] = None, conda_env: Any = None, code_paths: Any = None,
                      pickle_module: Any = None, registered_model_name: Optional[str] = None,
                      signature: Optional[ModelSignature] = None, input_example: Any = None, await_registration_for: int = 300,
                      requirements_file: Any = None, extra_files: Any = None, pip_requirements: Any = None,
                      extra_pip_requirements: Any = None, metadata: Optional[Dict[str, Any]] = None, name: Optional[str] = None,
                      **kwargs: Any) -> ModelInfo:
    return _log("pytorch", "data/model.pth", _ensure_parent(_torch_writer(pytorch_model)), artifact_path, name, {"model_data": "data"},
                signature, input_example, metadata, package_requirement("torch"), registered_model_name)


def pytorch_save_model(pytorch_model: Any, path: Any, signature: Optional[ModelSignature] = None, input_example: Any = None,
                       metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
    _save("pytorch", path, "data/model.pth", _ensure_parent(_torch_writer(pytorch_model)), {"model_data": "data"}, signature, input_example,
          metadata, package_requirement("torch"))


def _ensure_parent(writer: Callable[[Path], None]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer(path)
    return write


def pytorch_load_model(model_uri: str, dst_path: Optional[str] = None, **kwargs: Any) -> Any:
    import torch

    f = model_file(model_uri, (".pth", ".pt"))
    try:
        return torch.load(f, weights_only=False, **kwargs)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(f, **kwargs)


# -- xgboost ----------------------------------------------------------------------------------------

def _xgb_writer(model: Any) -> Callable[[Path], None]:
    return lambda path: model.save_model(str(path))


def _xgb_conf(model: Any) -> Dict[str, Any]:
    cls = type(model)
    return {"data": "model.json", "model_class": f"{cls.__module__}.{cls.__qualname__}", "model_format": "json"}


def xgboost_log_model(xgb_model: Any, artifact_path: Optional[str] = None, conda_env: Any = None, code_paths: Any = None,
                      registered_model_name: Optional[str] = None, signature: Optional[ModelSignature] = None,
                      input_example: Any = None, await_registration_for: int = 300, pip_requirements: Any = None,
                      extra_pip_requirements: Any = None, model_format: str = "json", metadata: Optional[Dict[str, Any]] = None,
                      name: Optional[str] = None, **kwargs: Any) -> ModelInfo:
    return _log("xgboost", "model.json", _xgb_writer(xgb_model), artifact_path, name, _xgb_conf(xgb_model), signature,
                input_example, metadata, package_requirement("xgboost"), registered_model_name)


def xgboost_save_model(xgb_model: Any, path: Any, signature: Optional[ModelSignature] = None, input_example: Any = None,
                       metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
    _save("xgboost", path, "model.json", _xgb_writer(xgb_model), _xgb_conf(xgb_model), signature, input_example, metadata,
          package_requirement("xgboost"))


def xgboost_load_model(model_uri: str, dst_path: Optional[str] = None) -> Any:
    import importlib

    f = model_file(model_uri, (".json", ".ubj", ".xgb"))
    cls_name = _read_mlmodel(f.parent).get("model_class", "xgboost.core.Booster")
    module, _, name = cls_name.rpartition(".")
    model = getattr(importlib.import_module(module), name)()
    model.load_model(str(f))
    return model


pytorch_autolog = flavor_autolog("pytorch")
xgboost_autolog = flavor_autolog("xgboost")
