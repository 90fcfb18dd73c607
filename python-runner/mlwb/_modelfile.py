"""Reading a model file: its format (from its first bytes, then its extension), the loaded model, and what
the model knows of its input (feature names, count) and output (classes). Shared by serve/predict
(``_model.Model``) and explain (``explain._data.load_model``), so both take the same files and fail alike:
``ModelLoadError("could not load <file>...: why")``.

Formats: pickle and joblib files (any object with ``predict``), PyTorch checkpoints saved by a
*.mlwb-model.json run (rebuilt from the spec they carry), and XGBoost JSON / UBJSON / legacy binary
models. SECURITY: unpickling (pickle, joblib, torch) runs code from the file; only files the user named
explicitly are ever loaded (the extension says so in its UI).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from typing import Any, List, Optional, Tuple

LABELS = {
    "pickle": "a pickle", "joblib": "a joblib file", "torch": "a PyTorch checkpoint",
    "xgboost-json": "an XGBoost JSON model", "xgboost-ubj": "an XGBoost UBJSON model",
    "xgboost-binary": "an XGBoost binary model",
}
# torch.save's legacy (pre-zip) format: a pickle whose first object is this magic number.
_LEGACY_TORCH = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
# Compressors joblib writes: zlib, gzip, bz2, xz, lzma (alone), lz4 frame, joblib's own "ZF" zlib.
_COMPRESSED = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00",
               b"\x5d\x00\x00", b"\x04\x22\x4d\x18", b"ZF")
_BY_EXTENSION = {".json": "xgboost-json", ".ubj": "xgboost-ubj", ".xgb": "xgboost-binary", ".bst": "xgboost-binary",
                 ".pt": "torch", ".pth": "torch", ".joblib": "joblib"}


class ModelLoadError(Exception):
    pass


# Names that promise data, not code: the extension asks no "a pickle runs code" question for them.
_DATA_EXTENSIONS = (".json", ".ubj", ".xgb", ".bst")
_RUNS_CODE = ("pickle", "joblib", "torch")


def detect_format(path: str) -> str:
    """One of ``LABELS``: what the first bytes say (as the registry's model-format.ts reads them), else the
    extension; files that say nothing are tried as pickles. A file named as data (``.json``, ``.ubj``, ...)
    that holds a pickle is refused: nobody was asked whether to run its code."""
    fmt = _sniff(path)
    ext = os.path.splitext(path)[1].lower()
    if fmt in _RUNS_CODE and ext in _DATA_EXTENSIONS:
        raise ModelLoadError(f"could not load {path}: it is named {ext} but holds {LABELS[fmt]}, which runs code "
                             "when loaded; refused (rename it if you trust it)")
    return fmt


def _sniff(path: str) -> str:
    if not os.path.isfile(path):
        raise ModelLoadError(f"could not load {path}: model file not found")
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as e:
        raise ModelLoadError(f"could not load {path}: {e.strerror or e}") from None
    ext = os.path.splitext(path)[1].lower()
    if head.startswith(b"PK\x03\x04"):
        return "torch"  # torch.save's zip (since torch 1.6)
    if head[:1] == b"{" and head[1:2].isalpha():
        return "xgboost-ubj"  # UBJSON: "{" then the type marker of the first key's length
    if head.lstrip()[:1] == b"{":
        return "xgboost-json"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # pickle protocol 2+
        if head.startswith(_LEGACY_TORCH) or ext in (".pt", ".pth"):
            return "torch"
        return "joblib" if ext == ".joblib" else "pickle"
    if head.startswith(_COMPRESSED):
        return "joblib"
    return _BY_EXTENSION.get(ext, "pickle")


def load(path: str, fmt: Optional[str] = None, sha256: Optional[str] = None) -> Tuple[Any, str]:
    """(the model, its format); ``fmt`` from ``detect_format`` when not given. XGBoost files load as their
    scikit-learn wrapper (XGBClassifier / XGBRanker / XGBRegressor by objective).

    ``sha256``: the hash of the bytes the user agreed to load; other bytes are refused. A pickle/joblib
    file is unpickled from the very bytes that were hashed (no window for the file to change in between)."""
    fmt = fmt or detect_format(path)
    label = LABELS[fmt]
    data = read_checked(path, sha256) if sha256 is not None else None
    try:
        if data is not None and fmt in ("pickle", "joblib"):
            obj = _load_pickle(io.BytesIO(data))
        elif fmt.startswith("xgboost"):
            obj = _load_xgboost(path, fmt)
        elif fmt == "torch":
            from ._modelspec import SpecModel

            obj = SpecModel(path, sha256=sha256, data=data)
        else:
            obj = _load_pickle(path)
    except ImportError as e:
        if e.name in ("torch", "xgboost"):
            raise ModelLoadError(f"could not load {path}: it is {label}, and {e.name} is not installed in this "
                                 "Python") from e
        raise ModelLoadError(f"could not load {path} as {label}: {_why(e)}") from e
    except Exception as e:
        raise ModelLoadError(f"could not load {path} as {label}: {_why(e)}") from e
    if not callable(safe_getattr(obj, "predict")):
        raise ModelLoadError(f"could not load {path}: it holds a {type(obj).__name__}, which has no predict()")
    return obj, fmt


def _why(e: BaseException) -> str:
    """The exception's first line, bounded (XGBoost appends its C++ stack trace)."""
    lines = str(e).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{type(e).__name__}: {first[:300]}{' ...' if len(first) > 300 else ''}"


def read_checked(path: str, sha256: str) -> bytes:
    """The file's bytes, when their sha256 is ``sha256`` (else ModelLoadError: nobody agreed to these)."""
    expected = sha256.strip().lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise ModelLoadError(f"could not load {path}: {sha256!r} is not a sha256 (64 hex digits)")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ModelLoadError(f"could not load {path}: {e.strerror or e}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ModelLoadError(f"could not load {path}: its sha256 is {actual}, not the {expected} that was agreed "
                             "to; the file changed since, so it was not loaded")
    return data


def _load_pickle(source: Any) -> Any:
    """``source``: a path or a binary file object."""
    try:
        import joblib  # reads plain pickles too, and joblib's own numpy-aware (and compressed) files
    except ImportError:
        joblib = None
    if joblib is not None:
        return joblib.load(source)
    import pickle

    if not isinstance(source, str):
        return pickle.load(source)
    with open(source, "rb") as f:
        return pickle.load(f)


def _load_xgboost(path: str, fmt: str) -> Any:
    import xgboost as xgb

    if fmt == "xgboost-ubj":
        with open(path, "rb") as f:
            check_ubjson(f.read())
    booster = xgb.Booster()
    booster.load_model(path)
    try:
        objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    except (KeyError, ValueError, TypeError):
        objective = ""
    if objective.startswith(("binary:", "multi:")):
        model = xgb.XGBClassifier()
    elif objective.startswith("rank:"):
        model = xgb.XGBRanker()
    else:
        model = xgb.XGBRegressor()
    model.load_model(path)
    return model


# XGBoost (1.7) reads past the end of a cut UBJSON file, which can crash the process (a segfault, found by
# test_faults_fuzz_model_files): the file's structure is walked first, with every length checked.
_UBJ_SIZES = {b"i": 1, b"U": 1, b"I": 2, b"l": 4, b"L": 8, b"d": 4, b"D": 8, b"C": 1}
_UBJ_LENGTHS = (b"i", b"U", b"I", b"l", b"L")


def check_ubjson(data: bytes) -> None:
    """Raises ValueError unless ``data`` is exactly one complete UBJSON value."""
    end = _ubj_value(data, 0, 0, None)
    if end != len(data):
        raise ValueError(f"{len(data) - end} unexpected bytes after the model's end")


def _ubj_take(data: bytes, pos: int, n: int) -> bytes:
    if pos + n > len(data):
        raise ValueError(f"the file is cut off ({len(data)} bytes, needs at least {pos + n})")
    return data[pos:pos + n]


def _ubj_length(data: bytes, pos: int) -> Tuple[int, int]:
    marker = _ubj_take(data, pos, 1)
    if marker not in _UBJ_LENGTHS:
        raise ValueError(f"not a length at byte {pos}")
    size = _UBJ_SIZES[marker]
    n = int.from_bytes(_ubj_take(data, pos + 1, size), "big", signed=True)
    if not 0 <= n <= len(data):
        raise ValueError(f"impossible length {n} at byte {pos}")
    return n, pos + 1 + size


def _ubj_value(data: bytes, pos: int, depth: int, marker: Optional[bytes]) -> int:
    if marker is None:
        marker, pos = _ubj_take(data, pos, 1), pos + 1
    if marker in _UBJ_SIZES:
        return len(_ubj_take(data, pos, _UBJ_SIZES[marker])) + pos
    if marker in (b"Z", b"N", b"T", b"F"):
        return pos
    if marker in (b"S", b"H"):
        n, pos = _ubj_length(data, pos)
        return len(_ubj_take(data, pos, n)) + pos
    if marker not in (b"[", b"{") or depth > 64:
        raise ValueError(f"unexpected {marker!r} at byte {pos - 1}")
    is_object = marker == b"{"
    typed = None
    if data[pos:pos + 1] == b"$":
        typed, pos = _ubj_take(data, pos + 1, 1), pos + 2
    if data[pos:pos + 1] == b"#":
        count, pos = _ubj_length(data, pos + 1)
        if typed in _UBJ_SIZES and not is_object:
            return len(_ubj_take(data, pos, count * _UBJ_SIZES[typed])) + pos
        for _ in range(count):
            if is_object:
                n, pos = _ubj_length(data, pos)
                pos += len(_ubj_take(data, pos, n))
            pos = _ubj_value(data, pos, depth + 1, typed)
        return pos
    if typed is not None:
        raise ValueError(f"a typed container without a count at byte {pos}")
    close = b"}" if is_object else b"]"
    while _ubj_take(data, pos, 1) != close:
        if is_object:
            n, pos = _ubj_length(data, pos)
            pos += len(_ubj_take(data, pos, n))
        pos = _ubj_value(data, pos, depth + 1, None)
    return pos + 1


# -- what a loaded model knows --------------------------------------------------------------------

def xgboost_booster(obj: Any) -> Any:
    """The XGBoost Booster of a raw booster or of a scikit-learn wrapper; None for anything else."""
    if not type(obj).__module__.startswith("xgboost"):
        return None
    if type(obj).__name__ == "Booster":
        return obj
    try:
        return obj.get_booster()
    except Exception:  # an unfitted wrapper
        return None


def feature_names(obj: Any) -> Optional[List[str]]:
    """The feature names the model was fitted with, if it knows them."""
    names = safe_getattr(obj, "feature_names_in_")
    if names is None:
        booster = xgboost_booster(obj)
        names = safe_getattr(booster, "feature_names") if booster is not None else None
    return [str(n) for n in names] if names is not None and len(names) else None


def n_features(obj: Any) -> Optional[int]:
    names = feature_names(obj)
    if names is not None:
        return len(names)
    n = safe_getattr(obj, "n_features_in_")
    booster = xgboost_booster(obj) if n is None else None
    if booster is not None:
        try:
            n = booster.num_features()
        except Exception:
            n = None
    return int(n) if n is not None else None


def classes(obj: Any) -> Optional[List[Any]]:
    found = safe_getattr(obj, "classes_")
    if found is None:
        return None
    return found.tolist() if hasattr(found, "tolist") else list(found)


def safe_getattr(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:  # properties of unfitted/odd estimators may raise anything
        return None
