"""Media the trackers log, turned into plain files and numbers: images as PNG (encoded here, no Pillow needed),
tables as CSV, histograms as summary statistics. numpy/torch/PIL/matplotlib objects are recognised by duck
typing, never imported eagerly."""
from __future__ import annotations

import csv
import io
import math
import struct
import zlib
from typing import Any, Dict, List, Optional, Sequence


def to_numpy(x: Any) -> Any:
    """A numpy array of ``x`` (torch tensors are detached and moved to the CPU first)."""
    import numpy as np

    if hasattr(x, "detach") and callable(x.detach):
        x = x.detach()
        if hasattr(x, "cpu"):
            x = x.cpu()
        x = x.numpy()
    return np.asarray(x)


def encode_png(pixels: bytes, width: int, height: int, channels: int) -> bytes:
    """8-bit grey (1), grey+alpha (2), RGB (3) or RGBA (4) rows, top to bottom, as a PNG file."""
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    stride = width * channels
    raw = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def array_png(data: Any, dataformats: str = "HWC") -> bytes:
    """An image array (``HW``, ``HWC``, ``CHW``; floats in [0, 1] are scaled to 0..255) as PNG bytes."""
    import numpy as np

    a = to_numpy(data)
    fmt = dataformats.upper()
    if a.ndim == 2:
        fmt = "HW"
    if fmt == "CHW":
        a = np.transpose(a, (1, 2, 0))
    elif fmt == "HW":
        a = a[:, :, None]
    elif fmt != "HWC":
        raise ValueError(f"unsupported image layout {dataformats!r} (use HW, HWC or CHW)")
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"an image needs 1 to 4 channels, got shape {tuple(a.shape)}")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        a = a.astype(np.float64)
        finite = a[np.isfinite(a)]
        if finite.size and finite.min() >= 0 and finite.max() <= 1:
            a = a * 255
        a = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
    a = np.ascontiguousarray(a)
    return encode_png(a.tobytes(), a.shape[1], a.shape[0], a.shape[2])


def image_png(obj: Any, dataformats: str = "HWC") -> bytes:
    """PNG bytes of an image given as an array, a tensor, a PIL image, a matplotlib figure or PNG bytes."""
    if isinstance(obj, (bytes, bytearray)) and bytes(obj[:8]) == b"\x89PNG\r\n\x1a\n":
        return bytes(obj)
    if callable(getattr(obj, "savefig", None)):  # a matplotlib figure
        buf = io.BytesIO()
        obj.savefig(buf, format="png")
        return buf.getvalue()
    if callable(getattr(obj, "save", None)) and hasattr(obj, "mode") and hasattr(obj, "size"):  # a PIL image
        buf = io.BytesIO()
        obj.save(buf, format="PNG")
        return buf.getvalue()
    return array_png(obj, dataformats)


def histogram_summary(values: Any) -> Dict[str, float]:
    """count, min, max, mean, std (population) of the finite values; count counts them all."""
    try:
        import numpy as np

        a = to_numpy(values).astype(np.float64).ravel()
        finite = a[np.isfinite(a)]
        out = {"count": float(a.size)}
        if finite.size:
            out.update(min=float(finite.min()), max=float(finite.max()), mean=float(finite.mean()), std=float(finite.std()))
        return out
    except ImportError:
        xs = [float(v) for v in _flatten(values)]
        fin = [x for x in xs if math.isfinite(x)]
        out = {"count": float(len(xs))}
        if fin:
            mean = math.fsum(fin) / len(fin)
            out.update(min=min(fin), max=max(fin), mean=mean, std=math.sqrt(math.fsum((x - mean) ** 2 for x in fin) / len(fin)))
        return out


def _flatten(values: Any) -> List[Any]:
    if isinstance(values, (list, tuple)):
        return [x for v in values for x in _flatten(v)]
    return [values]


def table_csv(columns: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(c) for c in columns])
    for row in rows:
        w.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _cell(v: Any) -> Any:
    if getattr(v, "shape", None) == () and callable(getattr(v, "item", None)):
        return v.item()
    return v


def dataframe_rows(df: Any) -> Optional[tuple]:
    """``(columns, rows)`` of a pandas DataFrame, else None."""
    if hasattr(df, "columns") and hasattr(df, "itertuples"):
        return list(df.columns), [list(r) for r in df.itertuples(index=False, name=None)]
    return None
