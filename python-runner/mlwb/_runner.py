"""``python -m mlwb run script.py [args]``: run an unmodified script as ``python script.py args`` would,
tracked as a run, and (when VS Code started it) talking to the extension over JSON-RPC.

Message sequence to the extension (when ``MLWB_RPC_PIPE`` is set and the handshake is accepted):
``runner/handshake`` (request) -> ``run/started`` -> ``run/journalFlushed``* (interleaved with
``run/claimed``, ``run/progress``, ``run/log``, ``run/event``) -> the final ``run/journalFlushed`` ->
``run/finished`` (always the last message), then the pipe is closed.
"""
from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _ambient, _autolog, _code_snapshot, _data_inputs, _scheduled, _sysmetrics, _tune_optuna, capture, compat
from ._capture import TeeStream
from ._encode import dumps
from ._channel import connect, say
from ._experiment import Experiment
from ._lifecycle import close_open, describe
from ._protocol import (PIPE_ENV, RUN_CANCEL, RUN_CLAIMED, RUN_EVENT, RUN_FINISHED,
                        RUN_JOURNAL_FLUSHED, RUN_LOG, RUN_PROGRESS, RUN_STARTED, SYSTEM_INFO)
from ._rpc import ReplyThen, RpcClient
from ._secrets import mask_argv, redact
from ._store import resolve_store
from ._sysinfo import capabilities, system_info

FLUSH_NOTIFY_INTERVAL_S = 0.2
PROGRESS_INTERVAL_S = 0.1
EXIT_CANCELLED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM
_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def version() -> str:
    from . import __version__

    return __version__


# -- the channel to the extension -----------------------------------------------------------------

class Session:
    """The runner's side of one run: forwards SDK events to the extension (when connected) and answers
    its requests. Every method is cheap and never raises into the script."""

    def __init__(self) -> None:
        self.rpc: Optional[RpcClient] = None
        self.run_id = ""
        self.script_running = False
        self.cancel_requested = False
        self.cancel_reason: Optional[str] = None
        self.terminated = False  # SIGTERM (scancel, a scheduler's time limit, kill): the run is cancelled
        self._lock = threading.Lock()
        self._last_flush_sent = 0.0
        self._sent_offset = -1
        self._pending_offset: Optional[int] = None
        self._timer: Optional[threading.Timer] = None
        self._last_progress = 0.0
        self._finished = False

    # -- connecting ---------------------------------------------------------------------------

    def connect(self, pipe: str, autolog: bool) -> None:
        """Connect and shake hands within ~5 s; on any failure say so once and carry on without VS Code."""
        self.rpc = connect(capabilities(autolog), {RUN_CANCEL: self._on_cancel, SYSTEM_INFO: self._on_system_info},
                           on_close=self._on_connection_lost, pipe=pipe, fallback="tracking to the journal only")

    def _on_connection_lost(self) -> None:
        if not self._finished:
            say("lost the connection to VS Code; tracking to the journal only")

    def notify(self, method: str, params: Dict[str, Any]) -> None:
        rpc = self.rpc
        if rpc is not None and not rpc.closed:
            rpc.notify(method, params)

    # -- extension -> runner ------------------------------------------------------------------

    def _on_cancel(self, params: Any) -> Any:
        reason = params.get("reason") if isinstance(params, dict) else None
        with self._lock:
            if self._finished:
                return {"accepted": False}
            self.cancel_requested = True
            self.cancel_reason = str(reason) if reason else None
        say("cancelled from VS Code" + (f" ({reason})" if reason else ""))
        # Answer first (the reply is queued before run/finished can be), then interrupt the script.
        return ReplyThen({"accepted": True}, self._interrupt_script)

    def _interrupt_script(self) -> None:
        with self._lock:
            if self.script_running:  # never interrupt the runner's own ending
                interrupt_main()

    def _on_system_info(self, params: Any) -> Dict[str, Any]:
        return dict(system_info())

    # -- SDK -> runner (the _ambient.Listener protocol) ---------------------------------------

    def on_flush(self, offset: int, final: bool) -> None:
        if self.rpc is None:
            return
        now = time.monotonic()
        with self._lock:
            if final or now - self._last_flush_sent >= FLUSH_NOTIFY_INTERVAL_S:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                self._pending_offset = None
                self._send_flushed(offset, now)
            else:
                self._pending_offset = offset
                if self._timer is None:
                    delay = FLUSH_NOTIFY_INTERVAL_S - (now - self._last_flush_sent)
                    self._timer = threading.Timer(max(0.0, delay), self._flush_timer)
                    self._timer.daemon = True
                    self._timer.start()

    def _flush_timer(self) -> None:
        with self._lock:
            self._timer = None
            offset, self._pending_offset = self._pending_offset, None
            if offset is not None:
                self._send_flushed(offset, time.monotonic())

    def _send_flushed(self, offset: int, now: float) -> None:  # with self._lock held
        if offset <= self._sent_offset:
            return
        self._sent_offset = offset
        self._last_flush_sent = now
        self.notify(RUN_JOURNAL_FLUSHED, {"runId": self.run_id, "offset": offset})

    def on_claimed(self, exp: Experiment, name: str) -> None:
        self.notify(RUN_CLAIMED, {"runId": self.run_id, "experiment": dict(exp._ref)})

    def on_progress(self, current: float, total: Optional[float], message: Optional[str]) -> None:
        if self.rpc is None:
            return
        now = time.monotonic()
        last = total is not None and current >= total
        if not last and now - self._last_progress < PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        params: Dict[str, Any] = {"runId": self.run_id, "current": current}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        self.notify(RUN_PROGRESS, params)

    def on_event(self, event: Dict[str, Any]) -> None:
        self.notify(RUN_EVENT, {"runId": self.run_id, "event": event})

    def on_log(self, level: str, message: str) -> None:
        self.notify(RUN_LOG, {"runId": self.run_id, "level": level, "message": message})

    def finish(self, params: Dict[str, Any]) -> None:
        with self._lock:
            self._finished = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        rpc = self.rpc
        if rpc is not None:
            # A request, not a notification: vscode-jsonrpc drops messages still queued when the
            # socket closes, so the pipe is closed only once the extension has taken this in.
            try:
                rpc.request(RUN_FINISHED, params, timeout=FINISHED_ACK_TIMEOUT)
            except Exception:  # no answer, an error or a closed pipe: the journal has it all anyway
                pass
            rpc.close(drain_timeout=2.0)


FINISHED_ACK_TIMEOUT = 2.0


def interrupt_main() -> None:
    """Interrupt the main thread as Ctrl+C would (a blocking sleep/wait returns at once on POSIX)."""
    if hasattr(signal, "pthread_kill"):
        try:
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            return
        except (OSError, ValueError):
            pass
    if sys.platform == "win32":  # pragma: no cover
        try:
            signal.raise_signal(signal.SIGINT)  # also wakes a time.sleep in the main thread
            return
        except (OSError, ValueError):
            pass
    import _thread

    _thread.interrupt_main()


# -- running the script ---------------------------------------------------------------------------

class Outcome:
    def __init__(self, status: str, exit_code: int, exc: Optional[BaseException] = None,
                 error: Optional[str] = None, tb: Optional[str] = None) -> None:
        self.status = status
        self.exit_code = exit_code
        self.exc = exc
        self.error = error
        self.traceback = tb


def _script_traceback(tb: Optional[TracebackType]) -> Optional[TracebackType]:
    """Drop the runner's and runpy's frames: the traceback starts in the script, as with ``python script.py``."""
    runpy_file = os.path.abspath(runpy.__file__)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        f = os.path.abspath(name)
        if name.startswith("<frozen ") or f == runpy_file or os.path.dirname(f) == _PKG_DIR:
            tb = tb.tb_next
            continue
        break
    return tb


def _report(exc: BaseException) -> str:
    """Print the exception as Python would (through ``sys.excepthook``) and return its traceback text."""
    tb = _script_traceback(exc.__traceback__)
    exc.__traceback__ = tb
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    try:
        sys.stdout.flush()
    except Exception:
        pass
    try:
        sys.excepthook(type(exc), exc, tb)
    except Exception:
        sys.stderr.write(text)
    return text


def execute(script: str, session: Session, main: Optional[Callable[[], Any]] = None) -> Outcome:
    """``runpy.run_path(script, run_name="__main__")`` (or ``main()``) and what its end means for the run."""
    try:
        with session._lock:
            if session.cancel_requested:
                raise KeyboardInterrupt
            session.script_running = True
        try:
            if main is not None:
                main()
            else:
                runpy.run_path(script, run_name="__main__")
        finally:
            with session._lock:
                session.script_running = False
    except SystemExit as e:
        code = e.code
        if code is None or code is False:
            return Outcome("completed", 0, e)
        if isinstance(code, int):
            if code == 0:
                return Outcome("completed", 0, e)
            return Outcome("failed", code, e, error=f"SystemExit: {code}")
        _print_stderr(str(code))
        return Outcome("failed", 1, e, error=f"SystemExit: {code}")
    except KeyboardInterrupt as e:
        if session.terminated:
            say("terminated (SIGTERM): the run is cancelled")
            return Outcome("cancelled", EXIT_TERMINATED, e, error="terminated by SIGTERM")
        _report(e)
        return Outcome("cancelled", EXIT_CANCELLED, e)
    except BaseException as e:
        text = _report(e)
        return Outcome("failed", 1, e, error=describe(e), tb=text)
    return Outcome("completed", 0)


def _print_stderr(text: str) -> None:
    try:
        sys.stdout.flush()
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:
        pass


def run(script: str, args: List[str], experiment: Optional[str] = None, run_name: Optional[str] = None,
        autolog: bool = True, main: Optional[Callable[[], Any]] = None, run_id: Optional[str] = None,
        trackers: bool = True, code_snapshot: bool = True, data_inputs: bool = True) -> int:
    """Run ``script`` tracked; returns the exit code ``python script.py args`` would have had.

    ``main``: run this instead of the script (``python -m mlwb tune``); ``script`` is still what the run records.
    ``run_id``: continue that run, created ahead of this process (a Slurm job's run, queued at submission).
    ``trackers``: MLflow / W&B / TensorBoard calls reach the run (stand-ins where missing, mirrors where installed).
    ``code_snapshot``: keep the script and the workspace's Python files it imported (``_code_snapshot``).
    ``data_inputs``: record the workspace data files the script reads (``_data_inputs``).
    """
    started = time.monotonic()
    path = Path(script)
    store = resolve_store()
    precreated = None
    if run_id is not None:
        try:
            precreated = _scheduled.open_precreated(store, run_id)
        except _scheduled.NotContinuable as e:
            say(str(e))
            return 2
    script_bytes = _code_snapshot.read_script(path) if code_snapshot else None
    session = Session()
    previous_sigterm = _on_sigterm(session)
    pipe = os.environ.get(PIPE_ENV)
    if pipe:
        session.connect(pipe, autolog)

    # The script's view of the world, as `python script.py args` gives it.
    sys.argv = [script, *args]
    script_dir = str(path.absolute().parent)
    if sys.path and sys.path[0] in ("", os.getcwd(), os.path.abspath(os.curdir)):
        sys.path[0] = script_dir
    else:
        sys.path.insert(0, script_dir)
    if session.rpc is not None:
        _accept_interrupts()  # cancel must be able to interrupt

    # The run, started up front (or continued); the first Experiment the script starts claims it.
    if precreated is None:
        exp = Experiment(experiment or path.stem, run_name=run_name).start()
    else:
        run_dir, manifest = precreated
        exp = Experiment(experiment or manifest["experiment"]["id"], run_name=run_name)._continue(
            run_dir, dict(manifest), _scheduled.start_records())
    run_ = exp._run
    assert run_ is not None
    session.run_id = run_.id
    rr = _ambient.offer(exp, store, session)
    run_.journal.on_flush = session.on_flush
    session.notify(RUN_STARTED, {
        "runId": run_.id, "runDir": str(run_.dir), "storeDir": str(store), "script": str(path.absolute()),
        "argv": mask_argv(sys.argv), "pid": os.getpid(),
    })
    session.on_log("info", f"run {run_.id} of experiment {exp._ref['id']!r}: {' '.join(mask_argv(sys.argv))}")
    if code_snapshot:
        session.on_log("info", _code_snapshot.ANNOUNCEMENT)
    if data_inputs:
        session.on_log("info", _data_inputs.ANNOUNCEMENT)
    run_.journal.flush()

    tees = _capture(run_.journal, redact)
    _start_system_metrics(run_.journal)
    if autolog:
        _autolog.install()
        _tune_optuna.install()
        capture.install()  # metrics, figures, argparse/OmegaConf params, XGBoost (mlwb/capture/)
    if trackers:
        compat.install()

    if data_inputs:
        _data_inputs.start(_code_snapshot.workspace_of(store, path), store)
    outcome = execute(script, session, main)
    read_files = _data_inputs.stop() if data_inputs else []

    # The end: nothing below may be interrupted by a late Ctrl+C/cancel.
    previous_sigint = _ignore_sigint()
    try:
        if autolog:
            _autolog.uninstall()
            _tune_optuna.uninstall()
            capture.uninstall()
        if trackers:
            compat.uninstall()
        for tee in tees:
            tee.finish()
        _restore(tees)
        if code_snapshot:
            _snapshot_code(store, run_.dir, path, script_bytes, session)
        if data_inputs:
            try:
                _data_inputs.write(store, run_.dir, _code_snapshot.workspace_of(store, path), read_files)
            except Exception as e:  # never fails the run
                session.on_log("warn", f"data inputs: not recorded: {type(e).__name__}: {e}")
        holder = _ambient.owner()  # the experiment holding the run if it is still open
        if holder is not None:
            fields: Dict[str, Any] = {"exit_code": outcome.exit_code}
            if outcome.error:
                fields["error"] = outcome.error  # _finish masks secrets in what it records
            if outcome.traceback:
                fields["traceback"] = outcome.traceback
            holder._finish(outcome.status, **fields)  # type: ignore[arg-type]
        _ambient.withdraw()
        _stop_system_metrics()  # when the run was already closed (no finisher ran)
        close_open(outcome.exc if outcome.status != "completed" else None)
        finished: Dict[str, Any] = {
            "runId": rr.run_id, "status": outcome.status, "exitCode": outcome.exit_code,
            "durationMs": round((time.monotonic() - started) * 1000, 3),
        }
        if outcome.error:
            finished["error"] = redact(outcome.error)
        if outcome.traceback:
            finished["traceback"] = redact(outcome.traceback)
        session.finish(finished)
    finally:
        _restore_handler(previous_sigint)
        _restore_handler(previous_sigterm, signal.SIGTERM)
    return outcome.exit_code


def _snapshot_code(store: Path, run_dir: Path, script: Path, script_bytes: Optional[bytes], session: Session) -> None:
    """The run's code snapshot (announced when the run starts); what it left out or a failure is said in VS Code's
    output for the run (run/log, as the capture hooks say what they do), and never fails the run."""
    try:
        doc, _ = _code_snapshot.snapshot(store, run_dir, script, script_bytes)
    except Exception as e:  # a full disk, a permission: the run's outcome does not depend on it
        session.on_log("warn", f"code snapshot failed: {type(e).__name__}: {e}")
        return
    if doc.get("capped"):
        session.on_log("warn", f"code snapshot: left out {doc['capped']}")


def _on_sigterm(session: Session) -> Any:
    """SIGTERM (scancel sends it first, then SIGKILL after the cluster's KillWait) cancels the run as Ctrl+C
    does: the script is interrupted and the run ends ``cancelled`` with its journal flushed. A script that
    installs its own SIGTERM handler (checkpoint on preemption) replaces this one."""
    def handler(signum: int, frame: Any) -> None:
        # No locks here: the handler runs in the main thread, which may hold them.
        session.terminated = True
        session.cancel_requested = True
        if session.script_running:
            raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not the main thread
        return None


_system_metrics: Optional[_sysmetrics.SystemMetrics] = None


def _start_system_metrics(journal: Any) -> None:
    """system/* metrics into the run while it is open; the last sample is taken as it ends (whoever ends it)."""
    global _system_metrics
    _system_metrics = _sysmetrics.start_for_run(journal.append_points)
    _ambient.add_finisher(_stop_system_metrics)


def _stop_system_metrics(holder: Any = None) -> None:
    global _system_metrics
    sampler, _system_metrics = _system_metrics, None
    if sampler is not None:
        sampler.stop()


def _capture(journal: Any, redact: Callable[[str], str]) -> List[TeeStream]:
    tees: List[TeeStream] = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, TeeStream):
            continue
        tee = TeeStream(stream, name, journal.add_raw, redact)
        setattr(sys, name, tee)
        tees.append(tee)
    return tees


def _restore(tees: List[TeeStream]) -> None:
    for tee in tees:
        name = tee._name
        if getattr(sys, name) is tee:
            setattr(sys, name, tee.wrapped)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass


def _accept_interrupts() -> None:
    """A runner started from a parent that ignores or blocks SIGINT (a background job of a non-interactive shell,
    some CI supervisors) inherits that: Python then installs no Ctrl+C handler, and a blocked signal stays pending,
    so a cancel from VS Code would never interrupt the script."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def _ignore_sigint() -> Any:
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # not the main thread
        return None


def _restore_handler(previous: Any, signum: int = signal.SIGINT) -> None:
    if previous is not None:
        try:
            signal.signal(signum, previous)
        except (ValueError, OSError, TypeError):
            pass


def info() -> str:
    return dumps(system_info(probe_cuda=True), indent=2)
