"""The JSON-RPC channel to VS Code for the long-lived commands (``serve``, ``predict``): the same pipe and
handshake as ``run``, without a tracked run."""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional

from ._protocol import HANDSHAKE, PIPE_ENV, PROTOCOL_VERSION, SECRET_ENV
from ._rpc import RpcClient, RpcError, open_transport

CONNECT_TIMEOUT_S = 5.0


def say(message: str) -> None:
    """One line from the runner on stderr (stdout carries only the JSON event lines)."""
    stream = sys.__stderr__ or sys.stderr
    if stream is not None:
        try:
            stream.write(f"mlwb: {message}\n")
            stream.flush()
        except (OSError, ValueError):
            pass


def connect(capabilities: List[str], handlers: Dict[str, Callable[[Any], Any]],
            on_close: Optional[Callable[[], None]] = None, pipe: Optional[str] = None,
            fallback: str = "carrying on without it") -> Optional[RpcClient]:
    """Connect to ``pipe`` (default ``$MLWB_RPC_PIPE``) and shake hands within ~5 s, presenting the session's
    secret (``$MLWB_RPC_SECRET``); None (said once on stderr, ending with ``fallback``) when that fails."""
    pipe = pipe or os.environ.get(PIPE_ENV)
    if not pipe:
        return None
    from . import __version__

    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    try:
        transport = open_transport(pipe, CONNECT_TIMEOUT_S)
    except OSError as e:
        say(f"VS Code is not listening ({e.strerror or e}); {fallback}")
        return None
    rpc = RpcClient(transport, handlers, on_close=on_close)
    params = {
        "protocol": PROTOCOL_VERSION, "runner": __version__,
        "python": {"executable": sys.executable, "version": sys.version.split()[0]},
        "pid": os.getpid(), "capabilities": capabilities,
    }
    secret = os.environ.get(SECRET_ENV)
    if secret:
        params["secret"] = secret  # the extension refuses a handshake without its session's secret
    try:
        result = rpc.request(HANDSHAKE, params, timeout=max(0.1, deadline - time.monotonic()))
    except (RpcError, TimeoutError, OSError) as e:
        rpc.close(0.2)
        say(f"VS Code is not listening (handshake failed: {e}); {fallback}")
        return None
    if not isinstance(result, dict) or not result.get("accepted"):
        reason = result.get("reason") if isinstance(result, dict) else None
        rpc.close(0.2)
        say(f"VS Code is not listening (handshake refused{': ' + str(reason) if reason else ''}); {fallback}")
        return None
    return rpc
