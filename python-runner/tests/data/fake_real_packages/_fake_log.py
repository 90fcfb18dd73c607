"""Shared by the fake real packages: every call they receive, one JSON line in $FAKE_REAL_LOG."""
import json
import os


def record(package, call, **fields):
    path = os.environ.get("FAKE_REAL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"package": package, "call": call, **fields}, default=repr) + "\n")
