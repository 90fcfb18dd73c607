"""MLflow models on mlwb runs: ``infer_signature``, datasets for ``log_input``, ``<flavor>.log_model`` /
``save_model`` / ``load_model`` (sklearn, pyfunc, pytorch, xgboost) and the model URIs that name them.

A logged model is a folder of run files in MLflow's layout: ``<name>/model.pkl`` (or ``data/model.pth``,
``model.json``) next to an ``MLmodel`` description, so **Register Model** offers the model file of the run.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import pickle
import platform
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .._store import resolve_store
from . import _notes
from .mlflow_entities import MlflowException

STANDIN_VERSION = "2.16.0+mlwb.standin"  # the MLflow API level the stand-in follows


# -- signatures -------------------------------------------------------------------------------------

def _dtype_name(dtype: Any) -> str:
    kind = getattr(dtype, "kind", "O")
    size = getattr(dtype, "itemsize", 8)
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "long" if size >= 8 else "integer"
    if kind == "f":
        return "double" if size >= 8 else "float"
    if kind == "M":
        return "datetime"
    return "string"


def _schema(data: Any) -> List[Dict[str, Any]]:
    if data is None:
        return []
    if hasattr(data, "dtypes") and hasattr(data, "columns"):  # DataFrame
        return [{"type": _dtype_name(t), "name": str(c), "required": True} for c, t in data.dtypes.items()]
    if hasattr(data, "dtype") and hasattr(data, "name") and hasattr(data, "to_frame"):  # Series
        return [{"type": _dtype_name(data.dtype), **({"name": str(data.name)} if data.name is not None else {}), "required": True}]
    if isinstance(data, dict):
        return [{"type": "string", "name": str(k), "required": True} for k in data]
    try:
        import numpy as np

        a = np.asarray(data)
    except Exception:
        return [{"type": "string", "required": True}]
    return [{"type": "tensor", "tensor-spec": {"dtype": str(a.dtype), "shape": [-1, *a.shape[1:]]}}]


@dataclass
class ModelSignature:
    inputs: List[Dict[str, Any]] = field(default_factory=list)
    outputs: List[Dict[str, Any]] = field(default_factory=list)
    params: Optional[List[Dict[str, Any]]] = None

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"inputs": json.dumps(self.inputs), "outputs": json.dumps(self.outputs) if self.outputs else None}
        if self.params:
            out["params"] = json.dumps(self.params)
        return out


def infer_signature(model_input: Any = None, model_output: Any = None, params: Optional[Dict[str, Any]] = None) -> ModelSignature:
    """Column names and types (DataFrames), or dtype and shape (arrays) of a model's input and output."""
    pspec = [{"name": k, "type": type(v).__name__, "default": v, "shape": None} for k, v in (params or {}).items()] or None
    return ModelSignature(_schema(model_input), _schema(model_output), pspec)


# -- datasets (log_input) -----------------------------------------------------------------------------

@dataclass
class Dataset:
    name: str
    digest: str
    source: str
    source_type: str
    schema: List[Dict[str, Any]]
    profile: Dict[str, Any]
    targets: Optional[str] = None
    df: Any = None
    features: Any = None

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "digest": self.digest, "source": self.source, "source_type": self.source_type,
                "schema": self.schema, "profile": self.profile, **({"targets": self.targets} if self.targets else {})}


def _digest(data: Any) -> str:
    h = hashlib.sha256()
    try:
        import pandas as pd

        if isinstance(data, (pd.DataFrame, pd.Series)):
            h.update(pd.util.hash_pandas_object(data.head(10_000), index=False).values.tobytes())
            h.update(str(len(data)).encode())
            return h.hexdigest()[:8]
    except ImportError:
        pass
    tobytes = getattr(data, "tobytes", None)
    h.update(tobytes()[:1 << 24] if callable(tobytes) else repr(data)[:1 << 20].encode())
    return h.hexdigest()[:8]


def from_pandas(df: Any, source: Any = None, targets: Optional[str] = None, name: Optional[str] = None,
                digest: Optional[str] = None, predictions: Optional[str] = None) -> Dataset:
    return Dataset(name=name or "dataset", digest=digest or _digest(df), source=str(source or ""), source_type="code" if source is None else "local",
                   schema=_schema(df), profile={"num_rows": int(len(df)), "num_elements": int(getattr(df, "size", 0))},
                   targets=targets, df=df)


def from_numpy(features: Any, source: Any = None, targets: Any = None, name: Optional[str] = None, digest: Optional[str] = None) -> Dataset:
    shape = list(getattr(features, "shape", [len(features)]))
    return Dataset(name=name or "dataset", digest=digest or _digest(features), source=str(source or ""),
                   source_type="code" if source is None else "local", schema=_schema(features),
                   profile={"features_shape": shape, "features_size": int(getattr(features, "size", 0))}, features=features)


# -- model files ----------------------------------------------------------------------------------

@dataclass
class ModelInfo:
    artifact_path: str
    run_id: str
    model_uri: str
    flavors: Dict[str, Any]
    signature: Optional[ModelSignature] = None
    model_uuid: str = ""
    utc_time_created: str = ""
    mlflow_version: str = STANDIN_VERSION
    metadata: Optional[Dict[str, Any]] = None
    registered_model_version: Optional[int] = None
    saved_input_example_info: Optional[Dict[str, Any]] = None

    @property
    def signature_dict(self) -> Optional[Dict[str, Any]]:
        return self.signature.to_dict() if self.signature else None


def _yaml(obj: Any, indent: int = 0) -> str:
    """Enough YAML for an MLmodel file (mappings of scalars; strings as JSON, which YAML reads)."""
    pad = "  " * indent
    lines = []
    for k, v in obj.items():
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:" + (" {}" if not v else "\n" + _yaml(v, indent + 1).rstrip("\n")))
        elif v is None:
            lines.append(f"{pad}{k}: null")
        elif isinstance(v, bool):
            lines.append(f"{pad}{k}: {'true' if v else 'false'}")
        elif isinstance(v, (int, float)):
            lines.append(f"{pad}{k}: {v}")
        else:
            lines.append(f"{pad}{k}: {json.dumps(str(v))}")
    return "\n".join(lines) + "\n"


def _example(input_example: Any) -> Any:
    if hasattr(input_example, "to_dict") and hasattr(input_example, "columns"):
        head = input_example.head(5)
        return {"columns": [str(c) for c in head.columns], "data": json.loads(head.to_json(orient="values"))}
    tolist = getattr(input_example, "tolist", None)
    if callable(tolist):
        values = tolist()
        return {"inputs": values[:5] if isinstance(values, list) else values}
    return input_example


def write_model_dir(path: Path, flavor: str, model_file: str, writer: Any, *, run_id: Optional[str], artifact_path: str,
                    flavor_conf: Dict[str, Any], signature: Optional[ModelSignature], input_example: Any,
                    metadata: Optional[Dict[str, Any]], requirements: List[str]) -> Dict[str, Any]:
    """Write a model folder (the model file, MLmodel, requirements.txt, input_example.json) under ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    writer(path / model_file)
    model_uuid = uuid.uuid4().hex
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    mlmodel: Dict[str, Any] = {"artifact_path": artifact_path, "flavors": {
        "python_function": {"loader_module": f"mlflow.{flavor}", "model_path": model_file,
                            "python_version": platform.python_version()},
        flavor: flavor_conf}, "mlflow_version": STANDIN_VERSION, "model_uuid": model_uuid}
    if run_id:
        mlmodel["run_id"] = run_id
    if signature is not None:
        mlmodel["signature"] = {k: v for k, v in signature.to_dict().items() if v is not None}
    if metadata:
        mlmodel["metadata"] = {str(k): v for k, v in metadata.items()}
    if input_example is not None:
        (path / "input_example.json").write_text(json.dumps(_example(input_example), default=str), encoding="utf-8")
        mlmodel["saved_input_example_info"] = {"artifact_path": "input_example.json", "type": "dataframe"}
    mlmodel["utc_time_created"] = created
    (path / "MLmodel").write_text(_yaml(mlmodel), encoding="utf-8")
    if requirements:
        (path / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    return {"flavors": mlmodel["flavors"], "model_uuid": model_uuid, "utc_time_created": created}


def package_requirement(dist: str) -> List[str]:
    from importlib import metadata

    try:
        return [f"{dist}=={metadata.version(dist)}"]
    except Exception:
        return []


def _read_mlmodel(folder: Path) -> Dict[str, str]:
    """The few MLmodel fields loading needs (flavor's model file), read without a YAML library."""
    out: Dict[str, str] = {}
    try:
        text = (folder / "MLmodel").read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and value.strip() and key in ("model_path", "pickled_model", "loader_module", "predict_fn", "model_class", "data"):
            v = value.strip()
            out.setdefault(key, json.loads(v) if v.startswith('"') else v)
    return out


def resolve_uri(model_uri: str) -> Path:
    """``runs:/<run id>/<path>``, ``models:/<name>/<version>`` (the registry's copy) or a local path."""
    uri = str(model_uri)
    store = resolve_store()
    if uri.startswith("runs:/"):
        run_id, _, rel = uri[len("runs:/"):].strip("/").partition("/")
        p = store / "runs" / run_id / "files" / rel
    elif uri.startswith("models:/"):
        name, _, version = uri[len("models:/"):].strip("/").partition("/")
        if not version.isdigit():
            raise MlflowException(f"{uri}: the mlwb stand-in resolves models:/<name>/<version number> only (no stages or aliases)")
        p = store / "registry" / "models" / name / version
    elif uri.startswith("file://"):
        p = Path(uri[len("file://"):])
    else:
        p = Path(uri)
    if not p.exists():
        raise MlflowException(f"no model at {uri} ({p})", "RESOURCE_DOES_NOT_EXIST")
    return p


def model_file(model_uri: str, suffixes: Tuple[str, ...]) -> Path:
    p = resolve_uri(model_uri)
    if p.is_file():
        return p
    conf = _read_mlmodel(p)
    for key in ("pickled_model", "model_path", "data"):
        if conf.get(key) and (p / conf[key]).is_file():
            return p / conf[key]
    found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in suffixes)
    if not found:
        raise MlflowException(f"no model file ({', '.join(suffixes)}) in {model_uri}", "RESOURCE_DOES_NOT_EXIST")
    return found[0]


def load_pickle(model_uri: str) -> Any:
    with open(model_file(model_uri, (".pkl", ".pickle", ".joblib")), "rb") as f:
        return pickle.load(f)


def copy_out(src: Path, dst_path: Optional[str]) -> str:
    dst = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="mlwb-artifacts-"))
    target = dst / src.name
    if src.is_dir():
        shutil.copytree(src, target, dirs_exist_ok=True)
    else:
        dst.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return str(target)


def not_registered(registered_model_name: Optional[str], where: str) -> None:
    if registered_model_name:
        _notes.unsupported(f"register:{registered_model_name}",
                           f"{where}(registered_model_name={registered_model_name!r}): the mlflow stand-in does not register "
                           "models; register the run's model file with 'MLOps Workbench: Register Model from File…'")


def env_path(p: "str | os.PathLike[str]") -> Path:
    return Path(os.path.expanduser(str(p)))
