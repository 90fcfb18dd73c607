"""The JSON-RPC contract with the extension, mirrored from ``src/runner/protocol.ts`` (keep both in step).

JSON-RPC 2.0 over a local pipe (Unix socket / Windows named pipe) with ``Content-Length`` framing.
Bulk data (metric points, logs) never travels here: it goes through the run's journal, and the
runner only rings ``run/journalFlushed`` so the extension ingests at once.
"""
from __future__ import annotations

from typing import Any, Dict, List, Literal, TypedDict, Union

from ._records import ExperimentRef, LogLevel

PROTOCOL_VERSION = 1

PIPE_ENV = "MLWB_RPC_PIPE"
"""Environment variable carrying the pipe name to the runner; absent when run from a plain terminal."""
SECRET_ENV = "MLWB_RPC_SECRET"
"""Environment variable carrying the session's secret, which the handshake presents (the extension refuses a
handshake without it: the first process to reach the pipe is not trusted for being first)."""

# -- method names -------------------------------------------------------------------------------
# Runner -> extension: requests.
HANDSHAKE = "runner/handshake"
# Runner -> extension: notifications.
RUN_STARTED = "run/started"
RUN_PROGRESS = "run/progress"
RUN_JOURNAL_FLUSHED = "run/journalFlushed"
RUN_LOG = "run/log"
RUN_CLAIMED = "run/claimed"
RUN_EVENT = "run/event"
RUN_FINISHED = "run/finished"
SERVE_READY = "serve/ready"  # notification: the server listens (its stdout ready line)
SERVE_STOPPED = "serve/stopped"  # request, as run/finished: answered before the pipe closes
# Extension -> runner: requests.
RUN_CANCEL = "run/cancel"
SYSTEM_INFO = "system/info"

RUNNER_REQUESTS = (HANDSHAKE, RUN_FINISHED, SERVE_STOPPED)
RUNNER_NOTIFICATIONS = (RUN_STARTED, RUN_PROGRESS, RUN_JOURNAL_FLUSHED, RUN_LOG, RUN_CLAIMED, RUN_EVENT, SERVE_READY)
EXTENSION_REQUESTS = (RUN_CANCEL, SYSTEM_INFO)

# JSON-RPC 2.0 error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

FinishedStatus = Literal["completed", "failed", "cancelled"]


class PythonRef(TypedDict):
    executable: str
    version: str


class _HandshakeParamsBase(TypedDict):
    protocol: int
    runner: str  # mlwb package version
    python: PythonRef
    pid: int
    capabilities: List[str]  # e.g. "cancel", "systemInfo", "sklearn.autolog", "torch", "optuna", "psutil"


class HandshakeParams(_HandshakeParamsBase, total=False):
    secret: str  # from SECRET_ENV, when set


class _HandshakeResultBase(TypedDict):
    protocol: int
    accepted: bool


class HandshakeResult(_HandshakeResultBase, total=False):
    reason: str  # why not accepted (the runner then carries on without the extension, journal only)


class RunStartedParams(TypedDict):
    runId: str
    runDir: str
    storeDir: str
    script: str
    argv: List[str]
    pid: int


class _ProgressBase(TypedDict):
    runId: str
    current: float


class ProgressParams(_ProgressBase, total=False):
    total: float
    message: str


class JournalFlushedParams(TypedDict):
    runId: str
    offset: int  # bytes of events.jsonl written so far


class RunLogParams(TypedDict):
    runId: str
    level: LogLevel
    message: str


class RunClaimedParams(TypedDict):
    """The script's run was claimed by an ``Experiment`` it started: it now belongs there."""

    runId: str
    experiment: ExperimentRef


# Feature events (the ScriptEvent checklist). ``kind`` is one of:
#   trial            {number, params, value: number | number[] | None, state: complete|pruned|fail, durationMs?,
#                     session?, studyName?, intermediate?: {step: value}}        (sent by _tune_session.py)
#   tuningComplete   {bestParams, bestValue: number | number[], totalTrials, durationMs?,
#                     session?, studyName?, status?: completed|stopped|failed, bestTrials?: [number]}
#   explainProgress  {stage, current, total}
#   explainResult    {data}
#   explainComplete  {durationMs}
#   dataProfile      {data}
#   predictProgress  {rows, bytesRead, bytesTotal, fraction, output}                  (sent by _predict.py)
#   predictComplete  {status: done|cancelled|error, rows, output, durationMs, peakRssBytes, exitCode, error?}
FEATURE_EVENT_KINDS = ("trial", "tuningComplete", "explainProgress", "explainResult", "explainComplete", "dataProfile",
                       "predictProgress", "predictComplete")
FeatureEvent = Dict[str, Any]


class FeatureEventParams(TypedDict):
    runId: str
    event: FeatureEvent


class ServeReadyParams(TypedDict, total=False):
    """The server's stdout ``ready`` line: event, url, host, port, pid, name, version, model, format,
    modelClass, nFeatures, sha256, tokenRequired, maxBatch, maxWaitMs, maxBodyBytes."""

    event: str
    url: str
    host: str
    port: int
    pid: int
    name: str
    version: Any
    model: str
    format: str
    modelClass: str
    nFeatures: Any
    sha256: str
    tokenRequired: bool
    maxBatch: int
    maxWaitMs: float
    maxBodyBytes: int


class _ServeStoppedBase(TypedDict):
    reason: str  # signal, cancel, extension-gone, fatal
    exitCode: int
    url: str
    requests: int


class ServeStoppedParams(_ServeStoppedBase, total=False):
    error: str


class _RunFinishedBase(TypedDict):
    runId: str
    status: FinishedStatus
    exitCode: int
    durationMs: float


class RunFinishedParams(_RunFinishedBase, total=False):
    error: str
    traceback: str


class CancelParams(TypedDict, total=False):
    reason: str  # why, for the log; the runner interrupts the script (as Ctrl+C would) and answers at once


class CancelResult(TypedDict):
    accepted: bool


class SystemPython(TypedDict):
    executable: str
    version: str
    implementation: str


class _CudaDeviceBase(TypedDict):
    index: int
    name: str


class CudaDevice(_CudaDeviceBase, total=False):
    memoryBytes: int


class CudaInfo(TypedDict):
    available: bool
    devices: List[CudaDevice]


class _SystemInfoBase(TypedDict):
    python: SystemPython
    platform: str
    host: str
    cpuCount: int
    packages: Dict[str, str]


class SystemInfo(_SystemInfoBase, total=False):
    memoryBytes: int
    cuda: CudaInfo  # from torch when importable: what the interpreter sees as CUDA


JsonRpcId = Union[int, str, None]
