"""``python -m mlwb predict --model PATH --input CSV``: predictions for a CSV file, streamed in chunks.

The file is read ``--chunk-rows`` rows at a time (pandas' C reader when installed, else the csv
module), so memory stays bounded whatever its size. The header row names the columns (matched to the
model's features by name; extra columns such as an id or the label are ignored and said so); a file whose
first row is all numbers has no header and its columns are taken in order.

Output: ``<input stem>.predictions.csv`` beside the input (or ``--output``), one row per input row, in
order: a ``prediction`` column, plus ``proba_<class>`` columns with ``--proba``. It is written to
``<output>.part`` and renamed when complete, so a file at the output path is always whole: on cancel
(SIGINT/SIGTERM or ``run/cancel`` from VS Code, honoured between chunks) or on an error the partial file
is removed and the message says how many rows had been done. An existing output is replaced only on success.

stdout: one JSON line at the end, ``{"event": "done" | "cancelled" | "error", ...}``. Progress goes to
stderr (``mlwb: predict: ...``) or, under VS Code, as ``run/event`` notifications of kind
``predictProgress`` / ``predictComplete``.
Exit codes: 0 done, 1 error, 2 usage, 130 cancelled.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import signal
import sys
import threading
import time
from typing import Any, Dict, List, Optional

from ._channel import connect, say
from ._encode import dumps
from ._model import InputError, Model, ModelLoadError, to_array
from ._model_options import add_model_options, open_model
from ._protocol import RUN_CANCEL, RUN_EVENT

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130
PROGRESS_INTERVAL_S = 0.25


def emit(event: Dict[str, Any]) -> None:
    try:
        sys.stdout.write(dumps(event) + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def peak_rss_bytes() -> Optional[int]:
    try:
        import resource
    except ImportError:  # Windows
        try:
            import psutil

            return int(psutil.Process().memory_info().peak_wset)
        except Exception:
            return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class _Counting(io.RawIOBase):
    """A raw binary file that counts the bytes read (progress without ``tell()`` on a text stream)."""

    def __init__(self, f: Any) -> None:
        self.f = f
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.f.readinto(b)
        self.bytes += n or 0
        return n

    def close(self) -> None:
        self.f.close()
        super().close()


class Cancelled(Exception):
    pass


class Job:
    def __init__(self, model: Model, src: str, dst: str, chunk_rows: int, proba: bool, job_id: str) -> None:
        self.model = model
        self.src = src
        self.dst = dst
        self.part = dst + ".part"
        self.chunk_rows = chunk_rows
        self.proba = proba
        self.job_id = job_id
        self.total_bytes = os.path.getsize(src)
        self.rows = 0
        self.cancel = threading.Event()
        self.rpc: Any = None
        self._last = 0.0
        self._counter: Optional[_Counting] = None
        self.ignored: List[str] = []
        self.signed: Any = None  # a _signed.Signed with --signature: every chunk is checked against it

    # -- progress -------------------------------------------------------------------------------

    def progress(self, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        done = self._counter.bytes if self._counter is not None else 0
        frac = min(1.0, done / self.total_bytes) if self.total_bytes else 1.0
        if self.rpc is not None and not self.rpc.closed:
            self.rpc.notify(RUN_EVENT, {"runId": self.job_id, "event": {
                "kind": "predictProgress", "rows": self.rows, "bytesRead": done, "bytesTotal": self.total_bytes,
                "fraction": round(frac, 4), "output": self.dst}})
        else:
            say(f"predict: {self.rows} rows ({frac * 100:.0f}%)")

    # -- reading --------------------------------------------------------------------------------

    def _header(self) -> Optional[List[str]]:
        with open(self.src, "r", encoding="utf-8-sig", newline="") as f:
            first = next(csv.reader(f), None)
        if first is None:
            return None
        def numeric(c: str) -> bool:
            try:
                float(c)
            except ValueError:
                return False
            return True
        return None if all(numeric(c) for c in first) else [c.strip() for c in first]

    def _order(self, header: Optional[List[str]], width: int) -> Optional[List[int]]:
        m = self.model
        if header is None:
            if m.n_features is not None and width != m.n_features:
                raise InputError(422, "INVALID_PARAMETER_VALUE",
                                 f"the file has {width} columns and no header; the model expects {m.n_features} features")
            return None
        if m.feature_names is None:
            if m.n_features is not None and len(header) != m.n_features:
                raise InputError(422, "INVALID_PARAMETER_VALUE",
                                 f"the file has {len(header)} columns; the model expects {m.n_features} features "
                                 "(it has no feature names to pick columns by)")
            return None
        order = m.check_columns(header, allow_extra=True)
        self.ignored = [c for c in header if c not in set(m.feature_names)]
        return order

    def chunks(self) -> Any:
        """2-D arrays of at most ``chunk_rows`` rows, columns in the model's order."""
        header = self._header()
        raw = open(self.src, "rb")
        self._counter = _Counting(raw)
        buffered = io.BufferedReader(self._counter, 1 << 20)
        try:
            try:
                import pandas as pd
            except ImportError:
                pd = None
            if pd is not None:
                reader = pd.read_csv(buffered, chunksize=self.chunk_rows, header=0 if header is not None else None,
                                     encoding="utf-8-sig", skip_blank_lines=True, low_memory=False)
                order: Any = "unset"
                for df in reader:
                    if self.signed is not None:
                        order = self.signed.table(header, [df.iloc[:, j].to_numpy() for j in range(df.shape[1])])
                        self.ignored = self.signed.ignored
                    elif isinstance(order, str):
                        order = self._order(header, df.shape[1])
                    x = df.to_numpy()
                    yield x if order is None else x[:, order]
            else:
                text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
                rd = csv.reader(text)
                width = len(header) if header is not None else None
                if header is not None:
                    next(rd)
                order = "unset"
                rows: List[List[str]] = []
                for r in rd:
                    if not r:
                        continue
                    rows.append(r)
                    if len(rows) >= self.chunk_rows:
                        order, x = self._convert(rows, header, width, order)
                        rows = []
                        yield x
                if rows:
                    _, x = self._convert(rows, header, width, order)
                    yield x
        finally:
            buffered.close()

    def _convert(self, rows: List[List[str]], header: Optional[List[str]], width: Optional[int], order: Any) -> Any:
        w = width or len(rows[0])
        for i, r in enumerate(rows):
            if len(r) != w:
                raise InputError(422, "INVALID_PARAMETER_VALUE", f"row {self.rows + i + 1}: {len(r)} values, expected {w}")
        if self.signed is not None:
            order = self.signed.table(header, [[r[j] for r in rows] for j in range(w)])
            self.ignored = self.signed.ignored
        elif isinstance(order, str):
            order = self._order(header, w)
        x = to_array(rows, w)
        return order, (x if order is None else x[:, order])

    # -- the job --------------------------------------------------------------------------------

    def run(self) -> None:
        import numpy as np

        classes = self.model.classes
        with open(self.part, "w", encoding="utf-8", newline="") as out:
            w = csv.writer(out)
            header_written = False
            for x in self.chunks():
                if self.cancel.is_set():
                    raise Cancelled()
                try:
                    pred = np.asarray(self.model.call(x, "predict"))
                    cols = [pred.reshape(len(pred), -1)]
                    if self.proba:
                        cols.append(np.asarray(self.model.call(x, "predict_proba")).reshape(len(pred), -1))
                except InputError:
                    raise
                except Exception as e:
                    raise InputError(422, "PREDICT_FAILED", f"rows {self.rows + 1}-{self.rows + len(x)}: "
                                     f"{type(e).__name__}: {e}") from e
                if not header_written:
                    w.writerow(self._columns(cols, classes))
                    header_written = True
                if len(cols) == 1:
                    w.writerows(cols[0].tolist())
                else:  # labels keep their type (ints stay ints) next to the probabilities
                    w.writerows([a + b for a, b in zip(cols[0].tolist(), cols[1].tolist())])
                self.rows += len(x)
                self.progress()
                if self.cancel.is_set():
                    raise Cancelled()
            if not header_written:
                w.writerow(["prediction"])
        os.replace(self.part, self.dst)

    @staticmethod
    def _columns(cols: List[Any], classes: Optional[List[Any]]) -> List[str]:
        width = cols[0].shape[1]
        names = ["prediction"] if width == 1 else [f"prediction_{i}" for i in range(width)]
        if len(cols) > 1:
            k = cols[1].shape[1]
            labels = classes if classes is not None and len(classes) == k else list(range(k))
            names += [f"proba_{c}" for c in labels]
        return names

    def discard(self) -> None:
        try:
            os.remove(self.part)
        except OSError:
            pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mlwb predict", description=(
        "Predictions for a CSV file, streamed in chunks. SECURITY: a pickle/joblib file runs code when loaded."))
    p.add_argument("--model", required=True, help="a pickle/joblib scikit-learn model, or an XGBoost .json/.ubj file")
    p.add_argument("--input", required=True, help="the CSV file (header row of feature names)")
    p.add_argument("--output", default=None, help="the predictions CSV (default: <input stem>.predictions.csv beside it)")
    p.add_argument("--chunk-rows", type=int, default=10000, help="rows per chunk (default 10000)")
    p.add_argument("--proba", action="store_true", help="also write predict_proba columns (classifiers)")
    p.add_argument("--job-id", default=None, help="id for the progress events sent to VS Code (default predict-<pid>)")
    add_model_options(p)
    return p


def default_output(src: str) -> str:
    d, base = os.path.split(os.path.abspath(src))
    stem = base[:-4] if base.lower().endswith(".csv") else base
    return os.path.join(d, stem + ".predictions.csv")


def main(argv: List[str]) -> int:
    args = _parser().parse_args(argv)
    started = time.monotonic()

    def fail(code: int, message: str, **extra: Any) -> int:
        say(message)
        emit({"event": "error", "error": message, "exitCode": code, **extra})
        return code

    if args.chunk_rows < 1:
        return fail(EXIT_USAGE, "--chunk-rows must be at least 1")
    src = os.path.abspath(args.input)
    if not os.path.isfile(src):
        return fail(EXIT_USAGE, f"no input file at {src}")
    dst = os.path.abspath(args.output) if args.output else default_output(src)
    if dst == src:
        return fail(EXIT_USAGE, "the output must not be the input file")
    try:
        model, signed = open_model(args)
    except (ModelLoadError, ImportError) as e:
        return fail(EXIT_ERROR, str(e))
    if args.proba and not model.has_proba:
        return fail(EXIT_USAGE, f"{type(model.obj).__name__} has no predict_proba (drop --proba)")
    job = Job(model, src, dst, args.chunk_rows, args.proba, args.job_id or f"predict-{os.getpid()}")
    job.signed = signed

    def on_signal(*_: Any) -> None:
        job.cancel.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, on_signal)
        except (ValueError, OSError):
            pass

    def on_cancel(params: Any) -> Dict[str, Any]:
        job.cancel.set()
        return {"accepted": True}

    job.rpc = connect(["predict", "cancel"], {RUN_CANCEL: on_cancel})
    try:
        import pandas  # noqa: F401  (imported now so that the memory figure below counts it as a library)
    except ImportError:
        pass
    rss_before = peak_rss_bytes()  # interpreter + libraries + model, before any of the file is read
    say(f"predict: {src} -> {dst}")
    status, code, extra = "done", 0, {}
    try:
        job.run()
        if job.ignored:
            say(f"predict: ignored column(s) the model does not use: {', '.join(job.ignored)}")
    except Cancelled:
        job.discard()
        status, code = "cancelled", EXIT_CANCELLED
        extra = {"message": f"cancelled after {job.rows} rows; the partial output was removed"}
        say(f"predict: {extra['message']}")
    except InputError as e:
        job.discard()
        status, code = "error", EXIT_ERROR
        extra = {"error": e.message, **e.extra}
        say(f"predict: failed after {job.rows} rows: {e.message}")
        for problem in e.extra.get("problems", []):
            say(f"predict:   {problem['column']}: {problem['problem']}")
    except Exception as e:
        job.discard()
        status, code = "error", EXIT_ERROR
        extra = {"error": f"{type(e).__name__}: {e}"}
        say(f"predict: failed after {job.rows} rows: {type(e).__name__}: {e}")
    job.progress(final=True)
    result = {"event": status, "rows": job.rows, "input": src, "output": dst if status == "done" else None,
              "durationMs": round((time.monotonic() - started) * 1000, 3), "peakRssBytes": peak_rss_bytes(),
              "peakRssBeforeBytes": rss_before, "inputBytes": job.total_bytes, "exitCode": code, **extra}
    if job.ignored:
        result["ignoredColumns"] = job.ignored
    rpc = job.rpc
    if rpc is not None and not rpc.closed:
        rpc.notify(RUN_EVENT, {"runId": job.job_id, "event": {"kind": "predictComplete", **{
            k: v for k, v in result.items() if k != "event"}, "status": status}})
        rpc.close(2.0)
    emit(result)
    return code
