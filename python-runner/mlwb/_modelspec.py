"""Model specs (``*.mlwb-model.json``): a PyTorch network declared as JSON, checked, built, trained and used.

    python -m mlwb run net.mlwb-model.json [--epochs N] [--batch-size N] [--max-samples N] [--seed N] [--lr X]
    python -m mlwb infer --weights weights.pt [--spec net.mlwb-model.json] --input '[[0, 3, ...]]'

The spec (JSON Schema: media/schemas/model-spec.schema.json; the editor's checks: src/modelspec/analyze.ts,
whose shape rules :func:`check` mirrors)::

    {
      "dataset": "digits",                      # digits | mnist (local files only) | {"type": "csv", "path": ..., "label": ...}
      "architecture": {"input_channels": 1, "input_height": 8, "input_width": 8, "layers": [
          {"type": "conv2d", "out_channels": 16, "kernel_size": 3, "padding": "same"}, {"type": "relu"},
          {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"}, {"type": "linear", "in": 256, "out": 10},
          {"type": "softmax"}]},
      "hyperparams": {"epochs": 10, "batch_size": 32, "optimizer": {"type": "adam", "lr": 0.005},
                      "loss": "cross_entropy", "seed": 42, "train_split": 0.8, "shuffle": true, "max_samples": 4096}
    }

Training logs ``train/loss``, ``train/accuracy``, ``eval/loss`` and ``eval/accuracy`` per epoch, reports progress
per batch, and saves ``model/weights.pt`` (the state dict with the spec and class names, so it can be used
without the spec file) and ``model/spec.mlwb-model.json``. Ctrl+C or Cancel Run interrupts it mid-epoch
(the run ends *cancelled*).
"""
from __future__ import annotations

import json
import math
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

SUFFIX = ".mlwb-model.json"
LAYER_TYPES = ("conv2d", "maxpool2d", "avgpool2d", "batchnorm2d", "batchnorm1d", "flatten", "linear", "dropout",
               "relu", "leaky_relu", "tanh", "sigmoid", "softmax")
OPTIMIZERS = ("sgd", "adam", "adamw")
LOSSES = ("cross_entropy", "nll", "mse")
DATASETS = {"digits": ((1, 8, 8), 10, 16.0), "mnist": ((1, 28, 28), 10, 255.0)}
DEFAULT_LR = {"sgd": 0.01, "adam": 0.001, "adamw": 0.001}
# /2: spec and metrics stored as JSON text, so the checkpoint loads with torch.load(weights_only=True).
# /1 (older) needs a full unpickle, which runs code: only with the sha256 the user agreed to.
CHECKPOINT_FORMAT = "mlwb-model-spec/2"

Shape = Tuple[int, ...]


class SpecError(ValueError):
    """The spec cannot be used: the message says where (``layers[7] (linear)``) and why."""


def is_spec(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


def load_spec(path: str) -> Dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise SpecError(f"cannot read the spec {path}: {e.strerror or e}") from e
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from e
    if not isinstance(spec, dict):
        raise SpecError("a model spec is a JSON object with an \"architecture\"")
    return spec


# -- checking: the shape rules of src/modelspec/analyze.ts ----------------------------------------

def _pair(layer: Dict[str, Any], key: str, default: Optional[Tuple[int, int]] = None) -> Optional[Tuple[int, int]]:
    v = layer.get(key)
    if v is None:
        return default
    if isinstance(v, bool):
        raise SpecError(f"{key} must be an integer or [height, width]")
    if isinstance(v, int) and v >= 0:
        return (v, v)
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in v):
        return (v[0], v[1])
    raise SpecError(f"{key} must be an integer or [height, width], not {v!r}")


def _out(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    return math.floor((size + 2 * p - d * (k - 1) - 1) / s + 1)


def dataset_of(spec: Dict[str, Any]) -> Dict[str, Any]:
    d = spec.get("dataset", "digits")
    if isinstance(d, str):
        d = {"type": d}
    if not isinstance(d, dict) or d.get("type") not in ("digits", "mnist", "csv"):
        raise SpecError(f"dataset must be \"digits\", \"mnist\" or {{\"type\": \"csv\", \"path\": ...}}, not {spec.get('dataset')!r}")
    if d["type"] == "csv" and not isinstance(d.get("path"), str):
        raise SpecError("a csv dataset needs \"path\" (relative to the spec)")
    return d


def input_shape(spec: Dict[str, Any]) -> Shape:
    arch = spec.get("architecture")
    if not isinstance(arch, dict):
        raise SpecError("missing \"architecture\": the input shape and the layers")
    chw = [arch.get(k) for k in ("input_channels", "input_height", "input_width")]
    given = [x for x in chw if x is not None]
    size = arch.get("input_size")
    shape: Optional[Shape] = None
    if len(given) == 3:
        if not all(isinstance(x, int) and x >= 1 for x in chw):
            raise SpecError("input_channels, input_height and input_width must be integers ≥ 1")
        shape = tuple(chw)  # type: ignore[arg-type]
        if size is not None and size != shape[0] * shape[1] * shape[2]:
            raise SpecError(f"input_size is {size} but input_channels × input_height × input_width is {shape[0] * shape[1] * shape[2]}")
    elif given:
        raise SpecError("input_channels, input_height and input_width go together: give all three")
    elif size is not None:
        if not isinstance(size, int) or size < 1:
            raise SpecError("input_size must be an integer ≥ 1")
        shape = (size,)
    kind = dataset_of(spec)["type"]
    if kind in DATASETS:
        known = DATASETS[kind][0]
        if shape is None:
            return known
        if shape != known and shape != (math.prod(known),):
            raise SpecError(f"{kind} inputs are {'×'.join(map(str, known))}, not {'×'.join(map(str, shape))}")
    if shape is None:
        raise SpecError("the architecture needs input_size, or input_channels, input_height and input_width")
    return shape


def check(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Shapes and parameter counts layer by layer; raises :class:`SpecError` at the first impossible layer."""
    shape = input_shape(spec)
    layers = spec["architecture"].get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError("the architecture needs a non-empty \"layers\" list")
    rows: List[Dict[str, Any]] = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise SpecError(f"layers[{i}] is not an object")
        t = layer.get("type")
        if t not in LAYER_TYPES:
            raise SpecError(f"layers[{i}]: unknown layer type {t!r}: expected one of {', '.join(LAYER_TYPES)}")
        where = f"layers[{i}] ({t})"

        def fail(msg: str) -> SpecError:
            return SpecError(f"{where}: {msg}")

        params = 0
        if t in ("conv2d", "maxpool2d", "avgpool2d", "batchnorm2d") and len(shape) != 3:
            raise fail(f"needs a channels×height×width input but gets {shape[0]} features (flat)")
        if t in ("linear", "batchnorm1d") and len(shape) != 1:
            raise fail(f"needs a flat input but gets {'×'.join(map(str, shape))}: add a flatten layer before it")
        if t == "conv2d":
            k = _pair(layer, "kernel_size")
            out_c = layer.get("out_channels")
            if k is None or not isinstance(out_c, int):
                raise fail("needs out_channels and kernel_size")
            s = _pair(layer, "stride", (1, 1)) or (1, 1)
            d = _pair(layer, "dilation", (1, 1)) or (1, 1)
            pad_v = layer.get("padding", 0)
            if pad_v == "same":
                if s != (1, 1):
                    raise fail("padding \"same\" needs stride 1")
                p = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
            elif pad_v == "valid":
                p = (0, 0)
            else:
                p = _pair(layer, "padding", (0, 0)) or (0, 0)
            in_c = layer.get("in_channels", shape[0])
            if in_c != shape[0]:
                raise fail(f"in_channels is {in_c} but its input has {shape[0]} channels")
            h, w = _out(shape[1], k[0], s[0], p[0], d[0]), _out(shape[2], k[1], s[1], p[1], d[1])
            if h < 1 or w < 1:
                raise fail(f"the kernel does not fit the {shape[1]}×{shape[2]} input")
            params = out_c * shape[0] * k[0] * k[1] + (out_c if layer.get("bias", True) else 0)
            shape = (out_c, h, w)
        elif t in ("maxpool2d", "avgpool2d"):
            k = _pair(layer, "kernel_size")
            if k is None:
                raise fail("needs kernel_size")
            s = _pair(layer, "stride", k) or k
            p = (0, 0) if layer.get("padding") == "valid" else (_pair(layer, "padding", (0, 0)) or (0, 0))
            if p[0] > k[0] / 2 or p[1] > k[1] / 2:
                raise fail("padding must be at most half of kernel_size")
            h, w = _out(shape[1], k[0], s[0], p[0]), _out(shape[2], k[1], s[1], p[1])
            if h < 1 or w < 1:
                raise fail(f"the window does not fit the {shape[1]}×{shape[2]} input")
            shape = (shape[0], h, w)
        elif t in ("batchnorm2d", "batchnorm1d"):
            n = layer.get("num_features", shape[0])
            if n != shape[0]:
                raise fail(f"num_features is {n} but its input has {shape[0]}")
            params = 2 * shape[0]
        elif t == "flatten":
            shape = (math.prod(shape),)
        elif t == "linear":
            out_f = layer.get("out")
            if not isinstance(out_f, int) or out_f < 1:
                raise fail("needs \"out\" (its output features)")
            in_f = layer.get("in", shape[0])
            if in_f != shape[0]:
                raise fail(f"\"in\" is {in_f} but its input has {shape[0]} features")
            params = shape[0] * out_f + (out_f if layer.get("bias", True) else 0)
            shape = (out_f,)
        elif t == "dropout":
            p_ = layer.get("p", 0.5)
            if not isinstance(p_, (int, float)) or not 0 <= p_ < 1:
                raise fail(f"p is {p_!r}: it is a probability in [0, 1)")
        rows.append({"type": t, "output": list(shape), "params": params})
    if len(shape) != 1:
        raise SpecError(f"the network ends with a {'×'.join(map(str, shape))} output: end with flatten and linear")
    return rows


def hyperparams(spec: Dict[str, Any], overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    hp = dict(spec.get("hyperparams") or {})
    hp.update({k: v for k, v in (overrides or {}).items() if v is not None and k != "lr"})
    opt = hp.get("optimizer", "adam")
    opt = dict(opt) if isinstance(opt, dict) else {"type": opt}
    if opt.get("type") not in OPTIMIZERS:
        raise SpecError(f"unknown optimizer {opt.get('type')!r}: expected one of {', '.join(OPTIMIZERS)}")
    if overrides and overrides.get("lr") is not None:
        opt["lr"] = overrides["lr"]
    opt.setdefault("lr", DEFAULT_LR[opt["type"]])
    out = {
        "epochs": hp.get("epochs", 5), "batch_size": hp.get("batch_size", 64), "optimizer": opt,
        "loss": hp.get("loss", "cross_entropy"), "seed": hp.get("seed", 42), "train_split": hp.get("train_split", 0.8),
        "shuffle": hp.get("shuffle", True), "max_samples": hp.get("max_samples"),
    }
    for key in ("epochs", "batch_size"):
        if not isinstance(out[key], int) or isinstance(out[key], bool) or out[key] < 1:
            raise SpecError(f"{key} must be a whole number ≥ 1, not {out[key]!r}")
    if out["max_samples"] is not None and (not isinstance(out["max_samples"], int) or out["max_samples"] < 2):
        raise SpecError(f"max_samples must be a whole number ≥ 2, not {out['max_samples']!r}")
    if not isinstance(out["train_split"], (int, float)) or not 0 < out["train_split"] < 1:
        raise SpecError(f"train_split must be between 0 and 1 (exclusive), not {out['train_split']!r}")
    if out["loss"] not in LOSSES:
        raise SpecError(f"unknown loss {out['loss']!r}: expected one of {', '.join(LOSSES)}")
    if not isinstance(opt["lr"], (int, float)) or opt["lr"] <= 0:
        raise SpecError(f"lr must be greater than 0, not {opt['lr']!r}")
    return out


# -- building ------------------------------------------------------------------------------------

def build(spec: Dict[str, Any]) -> Tuple[Any, bool]:
    """The ``torch.nn.Sequential`` of the spec, without a trailing softmax (returned as the flag): the
    network outputs logits, the softmax is applied at inference."""
    import torch.nn as nn

    check(spec)
    layers = list(spec["architecture"]["layers"])
    final_softmax = bool(layers) and layers[-1].get("type") == "softmax"
    if final_softmax:
        layers = layers[:-1]
    shape = input_shape(spec)
    modules: List[Any] = []
    if len(shape) == 3:
        modules.append(nn.Unflatten(1, shape))  # inputs arrive flat; images are reshaped to C×H×W
    for layer in layers:
        t = layer["type"]
        if t == "conv2d":
            k, s = _pair(layer, "kernel_size"), _pair(layer, "stride", (1, 1))
            d = _pair(layer, "dilation", (1, 1))
            pad: Any = layer.get("padding", 0)
            pad = pad if isinstance(pad, str) else _pair(layer, "padding", (0, 0))
            m = nn.Conv2d(shape[0], layer["out_channels"], k, stride=s, padding=pad, dilation=d, bias=layer.get("bias", True))
        elif t in ("maxpool2d", "avgpool2d"):
            k = _pair(layer, "kernel_size")
            p = (0, 0) if layer.get("padding") == "valid" else _pair(layer, "padding", (0, 0))
            cls = nn.MaxPool2d if t == "maxpool2d" else nn.AvgPool2d
            m = cls(k, stride=_pair(layer, "stride", k), padding=p)
        elif t == "batchnorm2d":
            m = nn.BatchNorm2d(shape[0])
        elif t == "batchnorm1d":
            m = nn.BatchNorm1d(shape[0])
        elif t == "flatten":
            m = nn.Flatten()
        elif t == "linear":
            m = nn.Linear(shape[0], layer["out"], bias=layer.get("bias", True))
        elif t == "dropout":
            m = nn.Dropout(layer.get("p", 0.5))
        elif t == "relu":
            m = nn.ReLU()
        elif t == "leaky_relu":
            m = nn.LeakyReLU(layer.get("negative_slope", 0.01))
        elif t == "tanh":
            m = nn.Tanh()
        elif t == "sigmoid":
            m = nn.Sigmoid()
        else:  # a softmax that is not the last layer
            m = nn.Softmax(dim=layer.get("dim", 1))
        modules.append(m)
        shape = _shape_after(shape, m)
    return nn.Sequential(*modules), final_softmax


def _shape_after(shape: Shape, m: Any) -> Shape:
    import torch

    with torch.no_grad():
        was = m.training
        m.eval()
        out = m(torch.zeros((1, *shape)))
        m.train(was)
    return tuple(out.shape[1:])


# -- data ----------------------------------------------------------------------------------------

def load_data(spec: Dict[str, Any], spec_dir: Path) -> Tuple[Any, Any, List[str]]:
    """Flat float features ``X`` (N × features), integer labels ``y`` and the class names."""
    import numpy as np

    d = dataset_of(spec)
    kind = d["type"]
    if kind == "digits":
        from sklearn.datasets import load_digits

        data = load_digits()
        X, y = data.data.astype(np.float32), data.target.astype(np.int64)
        classes = [str(c) for c in range(10)]
    elif kind == "mnist":
        X, y = _mnist(Path(d.get("root") or "data"), spec_dir)
        classes = [str(c) for c in range(10)]
    else:
        X, y, classes = _csv(spec_dir / d["path"], d.get("label"))
    scale = d.get("scale", DATASETS[kind][2] if kind in DATASETS else 1.0)
    return X / np.float32(scale), y, classes


def _mnist(root: Path, spec_dir: Path) -> Tuple[Any, Any]:
    if not root.is_absolute():
        root = spec_dir / root
    try:
        from torchvision.datasets import MNIST  # type: ignore[import-untyped]
    except ImportError as e:
        raise SpecError("the mnist dataset needs torchvision (apt install python3-torchvision)") from e
    try:
        ds = MNIST(str(root), train=True, download=False)
    except RuntimeError as e:
        raise SpecError(f"MNIST is not in {root} (it is never downloaded): put MNIST/raw there, or set dataset.root") from e
    X = ds.data.reshape(len(ds.data), -1).numpy().astype("float32")
    return X, ds.targets.numpy().astype("int64")


def _csv(path: Path, label: Optional[str]) -> Tuple[Any, Any, List[str]]:
    import csv

    import numpy as np

    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise SpecError(f"cannot read the dataset {path}: {e.strerror or e}") from e
    if len(rows) < 3:
        raise SpecError(f"{path}: needs a header and at least two rows")
    header, body = rows[0], [r for r in rows[1:] if r]
    li = header.index(label) if label else len(header) - 1
    if label and label not in header:
        raise SpecError(f"{path}: no column {label!r} (columns: {', '.join(header)})")
    labels = [r[li] for r in body]
    classes = sorted(set(labels), key=lambda v: (not _isnum(v), float(v) if _isnum(v) else 0, v))
    index = {c: i for i, c in enumerate(classes)}
    try:
        X = np.array([[float(v) for j, v in enumerate(r) if j != li] for r in body], dtype=np.float32)
    except ValueError as e:
        raise SpecError(f"{path}: every feature column must be numeric ({e})") from e
    return X, np.array([index[v] for v in labels], dtype=np.int64), classes


def _isnum(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


# -- training (the run's main) -------------------------------------------------------------------

def parse_overrides(args: Sequence[str]) -> Dict[str, Any]:
    """``--epochs 3 --batch-size 16 --max-samples 500 --seed 1 --lr 0.01`` (or ``--epochs=3``)."""
    casts = {"--epochs": int, "--batch-size": int, "--max-samples": int, "--seed": int, "--lr": float}
    out: Dict[str, Any] = {}
    it = iter(args)
    for arg in it:
        name, eq, value = arg.partition("=")
        if name not in casts:
            raise SpecError(f"unknown option {arg!r} for a model spec (options: {', '.join(casts)})")
        if not eq:
            value = next(it, None)  # type: ignore[assignment]
            if value is None:
                raise SpecError(f"{name} needs a value")
        try:
            out[name[2:].replace("-", "_")] = casts[name](value)
        except ValueError as e:
            raise SpecError(f"{name}: {value!r} is not a number") from e
    return out


def prepare(path: str, args: Sequence[str]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Everything that can be wrong before training starts (exit 2 with the message)."""
    spec = load_spec(path)
    check(spec)
    hp = hyperparams(spec, parse_overrides(args))
    if dataset_of(spec)["type"] == "csv" and not (Path(path).parent / dataset_of(spec)["path"]).is_file():
        raise SpecError(f"the dataset {dataset_of(spec)['path']} is not next to the spec")
    return spec, hp


def train(path: str, spec: Dict[str, Any], hp: Dict[str, Any]) -> Dict[str, float]:
    """Trains the spec's network inside the runner's run; returns the last epoch's metrics."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from . import _ambient
    from ._experiment import Experiment

    exp = _ambient.owner() or Experiment(Path(path).name[: -len(SUFFIX)]).start()
    torch.manual_seed(hp["seed"])
    X, y, classes = load_data(spec, Path(path).parent)
    rng = np.random.default_rng(hp["seed"])
    order = rng.permutation(len(X))
    if hp["max_samples"]:
        order = order[: hp["max_samples"]]
    n_train = int(len(order) * hp["train_split"])
    if n_train < 1 or n_train >= len(order):
        raise SpecError(f"{len(order)} samples split {hp['train_split']} leaves an empty split")
    model, final_softmax = build(spec)
    out_features = check(spec)[-1]["output"][0]
    if out_features != len(classes):
        raise SpecError(f"the network outputs {out_features} values but the dataset has {len(classes)} classes")
    Xt, yt = torch.from_numpy(X[order]), torch.from_numpy(y[order])
    X_train, y_train, X_eval, y_eval = Xt[:n_train], yt[:n_train], Xt[n_train:], yt[n_train:]
    opt_spec = hp["optimizer"]
    kw = {"lr": opt_spec["lr"]}
    if "weight_decay" in opt_spec:
        kw["weight_decay"] = opt_spec["weight_decay"]
    if opt_spec["type"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), momentum=opt_spec.get("momentum", 0.0), **kw)
    elif opt_spec["type"] == "adam":
        optimizer = torch.optim.Adam(model.parameters(), **kw)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), **kw)
    n_classes = len(classes)

    def loss_of(logits: Any, target: Any) -> Any:
        if hp["loss"] == "cross_entropy":
            return F.cross_entropy(logits, target)
        if hp["loss"] == "nll":
            return F.nll_loss(F.log_softmax(logits, dim=1), target)
        probs = F.softmax(logits, dim=1) if final_softmax else logits
        return F.mse_loss(probs, F.one_hot(target, n_classes).float())

    n_params = sum(p.numel() for p in model.parameters())
    exp.params.set(
        spec=os.path.basename(path), dataset=dataset_of(spec)["type"], classes=n_classes, samples=len(order),
        train_samples=n_train, eval_samples=len(order) - n_train, parameters=n_params,
        layers=len(spec["architecture"]["layers"]),
        epochs=hp["epochs"], batch_size=hp["batch_size"], optimizer=opt_spec["type"], lr=opt_spec["lr"],
        loss=hp["loss"], seed=hp["seed"], train_split=hp["train_split"], shuffle=hp["shuffle"],
        **({"momentum": opt_spec["momentum"]} if "momentum" in opt_spec else {}),
    )
    print(f"mlwb: training {os.path.basename(path)}: {n_params:,} parameters, {n_train} training / "
          f"{len(order) - n_train} held-out samples of {dataset_of(spec)['type']}, {hp['epochs']} epochs")
    batches = math.ceil(n_train / hp["batch_size"])
    total = batches * hp["epochs"]
    gen = torch.Generator().manual_seed(hp["seed"])
    last: Dict[str, float] = {}
    for epoch in range(1, hp["epochs"] + 1):
        started = time.monotonic()
        model.train()
        perm = torch.randperm(n_train, generator=gen) if hp["shuffle"] else torch.arange(n_train)
        loss_sum, correct = 0.0, 0
        for b in range(batches):
            idx = perm[b * hp["batch_size"]:(b + 1) * hp["batch_size"]]
            xb, yb = X_train[idx], y_train[idx]
            optimizer.zero_grad()
            logits = model(xb)
            loss = loss_of(logits, yb)
            loss.backward()
            optimizer.step()
            loss_sum += float(loss) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            _ambient.progress((epoch - 1) * batches + b + 1, total, f"epoch {epoch}/{hp['epochs']}")
        model.eval()
        with torch.no_grad():
            logits = model(X_eval)
            eval_loss = float(loss_of(logits, y_eval))
            eval_acc = float((logits.argmax(1) == y_eval).float().mean())
        last = {"train/loss": loss_sum / n_train, "train/accuracy": correct / n_train, "eval/loss": eval_loss, "eval/accuracy": eval_acc}
        exp.metrics.log(epoch=epoch, train={"loss": last["train/loss"], "accuracy": last["train/accuracy"]},
                        eval={"loss": eval_loss, "accuracy": eval_acc})
        print(f"epoch {epoch}/{hp['epochs']}: train loss {last['train/loss']:.4f} acc {last['train/accuracy']:.3f}, "
              f"eval loss {eval_loss:.4f} acc {eval_acc:.3f} ({time.monotonic() - started:.2f} s)", flush=True)
    # Everything but the tensors as JSON text: torch 1.13's weights_only unpickler refuses Python floats, and
    # a checkpoint that loads with weights_only=True runs no code when it is read.
    checkpoint = {"format": CHECKPOINT_FORMAT, "spec_json": json.dumps(spec), "state_dict": model.state_dict(),
                  "classes": [str(c) for c in classes], "final_softmax": bool(final_softmax),
                  "metrics_json": json.dumps(last)}
    exp.files("model").save_torch(checkpoint, to="weights.pt", description="state dict + spec (python -m mlwb infer)")
    exp.files("model").save_json(spec, to=Path(path).name, description="the spec it was trained from")
    return last


def main(path: str, spec: Dict[str, Any], hp: Dict[str, Any]) -> None:
    train(path, spec, hp)


# -- inference -----------------------------------------------------------------------------------

class CheckpointError(SpecError):
    """A checkpoint that cannot be read safely (or whose bytes are not those agreed to)."""


def read_torch(weights: str, sha256: Optional[str] = None, data: Optional[bytes] = None) -> Any:
    """What ``torch.save`` wrote into ``weights``, read with ``weights_only=True`` (tensors, plain containers,
    strings, ints: no code runs). ``sha256``: the hash the user agreed to: the bytes are checked and loaded from
    memory (not re-read). A checkpoint that needs a full unpickle (an older one, a pickled module) is loaded
    that way only when ``sha256`` was given (the user was asked about exactly these bytes); else refused."""
    import io

    import torch

    if data is None and sha256 is not None:
        from ._modelfile import ModelLoadError, read_checked

        try:
            data = read_checked(weights, sha256)
        except ModelLoadError as e:
            raise CheckpointError(str(e)) from None

    def source() -> Any:
        return io.BytesIO(data) if data is not None else weights

    try:
        return torch.load(source(), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if sha256 is None:
            raise CheckpointError(
                f"{weights} needs a full unpickle (an older checkpoint, or one holding more than tensors), which "
                f"runs code from the file; give the sha256 you agreed to (--sha256 / --model-sha256) to load it") from e
    return torch.load(source(), map_location="cpu", weights_only=False)


def load_checkpoint(weights: str, spec_path: Optional[str] = None, sha256: Optional[str] = None,
                    data: Optional[bytes] = None) -> Tuple[Any, Dict[str, Any], List[str], bool]:
    ck = read_torch(weights, sha256, data)
    if isinstance(ck, dict) and "state_dict" in ck:
        spec = load_spec(spec_path) if spec_path else json.loads(ck["spec_json"]) if "spec_json" in ck else ck["spec"]
        state, classes = ck["state_dict"], list(ck.get("classes") or [])
    else:  # a bare state dict: the spec must be given
        if not spec_path:
            raise SpecError(f"{weights} is a bare state dict: give --spec")
        spec, state, classes = load_spec(spec_path), ck, []
    model, final_softmax = build(spec)
    model.load_state_dict(state)
    model.eval()
    if not classes:
        classes = [str(i) for i in range(check(spec)[-1]["output"][0])]
    return model, spec, classes, final_softmax


def infer(weights: str, inputs: Any, spec_path: Optional[str] = None, scale: Optional[float] = None,
          sha256: Optional[str] = None) -> Dict[str, Any]:
    """Labels and class probabilities for raw inputs (one or several, flat or nested), scaled as in training."""
    import torch

    model, spec, classes, _ = load_checkpoint(weights, spec_path, sha256)
    features = math.prod(input_shape(spec))
    x = torch.tensor(inputs, dtype=torch.float32)
    single = x.numel() == features and (x.dim() == 1 or x.shape[0] != 1 or x.dim() > 2)
    x = x.reshape(-1, features)
    d = dataset_of(spec)
    s = scale if scale is not None else d.get("scale", DATASETS[d["type"]][2] if d["type"] in DATASETS else 1.0)
    with torch.no_grad():
        probs = torch.softmax(model(x / s), dim=1)
    out = [{"label": classes[int(p.argmax())], "index": int(p.argmax()), "probabilities": [round(float(v), 6) for v in p]} for p in probs]
    result: Dict[str, Any] = {"classes": classes}
    if single:
        result.update(out[0])
    else:
        result["predictions"] = out
    return result


class SpecModel:
    """A trained spec checkpoint with scikit-learn's predict surface, so `mlwb serve` and `mlwb predict`
    take it like any other model: rows of raw inputs (e.g. 64 pixels for 8×8 digits), scaled as in training."""

    def __init__(self, weights: str, sha256: Optional[str] = None, data: Optional[bytes] = None) -> None:
        """``data``: the file's bytes, already checked against ``sha256`` (loaded from them, not re-read)."""
        import torch

        self._torch = torch
        self._model, spec, classes, _ = load_checkpoint(weights, sha256=sha256, data=data)
        self.classes_ = list(classes)
        self.n_features_in_ = math.prod(input_shape(spec))
        d = dataset_of(spec)
        self._scale = d.get("scale", DATASETS[d["type"]][2] if d["type"] in DATASETS else 1.0)

    def predict_proba(self, X: Any) -> Any:
        x = self._torch.as_tensor(X, dtype=self._torch.float32).reshape(-1, self.n_features_in_)
        with self._torch.no_grad():
            return self._torch.softmax(self._model(x / self._scale), dim=1).numpy()

    def predict(self, X: Any) -> Any:
        import numpy as np

        return np.asarray(self.classes_, dtype=object)[self.predict_proba(X).argmax(axis=1)]


INFER_USAGE = """\
usage: python -m mlwb infer --weights WEIGHTS.pt [--spec SPEC.mlwb-model.json] (--input JSON | --input-file FILE | --input -)
                            [--scale X] [--sha256 HEX]
--sha256: the hash of the weights the user agreed to load; other bytes are refused (and an older checkpoint,
which needs a full unpickle, loads only with it).
Prints {"label", "index", "probabilities", "classes"} (or "predictions" for several inputs) as JSON.
Inputs are raw values as in the dataset (digits: 64 values 0-16, scaled like training).
"""


def infer_main(argv: List[str]) -> int:
    opts: Dict[str, str] = {}
    it = iter(argv)
    for arg in it:
        if arg in ("-h", "--help"):
            sys.stdout.write(INFER_USAGE)
            return 0
        name, eq, value = arg.partition("=")
        if name not in ("--weights", "--spec", "--input", "--input-file", "--scale", "--sha256"):
            sys.stderr.write(f"mlwb infer: unknown option {arg!r}\n\n{INFER_USAGE}")
            return 2
        if not eq:
            value = next(it, "")
        opts[name[2:]] = value
    try:
        if not opts.get("weights") or not ("input" in opts or "input-file" in opts):
            raise SpecError("give --weights and --input (or --input-file)")
        raw = opts.get("input")
        if raw == "-":
            raw = sys.stdin.read()
        elif raw is None:
            raw = Path(opts["input-file"]).read_text(encoding="utf-8")
        try:
            inputs = json.loads(raw)
        except json.JSONDecodeError as e:
            raise SpecError(f"--input is not JSON: {e.msg}") from e
        if isinstance(inputs, dict):
            inputs = inputs.get("inputs", inputs.get("pixels"))
        result = infer(opts["weights"], inputs, opts.get("spec"), float(opts["scale"]) if opts.get("scale") else None,
                       opts.get("sha256") or None)
    except (SpecError, OSError, RuntimeError, ValueError, TypeError) as e:
        sys.stderr.write(f"mlwb infer: error: {e}\n")
        return 2
    sys.stdout.write(json.dumps(result) + "\n")
    return 0
