"""Guarantee: predict and explain on broken CSVs (ragged rows, bad quoting, BOMs, invalid UTF-8, empty, header-only,
huge fields, binary garbage) end with a clear error (or a result), never a crash, and leave no partial output."""
from __future__ import annotations

import json
import os
import pickle
import random
from pathlib import Path
from typing import List, Tuple

import pytest

from mlwb import _predict
from mlwb.explain import _cli as explain_cli

SEED = int(os.environ.get("MLWB_FUZZ_SEED", "4004"))
HEADER = b"a,b,c,d"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pandas as pd
    from sklearn.tree import DecisionTreeClassifier

    X = pd.DataFrame([[i % 7, i % 3, i % 5, i % 2] for i in range(60)], columns=list("abcd"))
    path = tmp_path_factory.mktemp("csv-model") / "tree.pkl"
    path.write_bytes(pickle.dumps(DecisionTreeClassifier(max_depth=3).fit(X, (X["a"] > 3).astype(int))))
    return path


def broken_csvs(r: random.Random) -> List[Tuple[str, bytes]]:
    good = b"\n".join([HEADER] + [b"%d,%d,%d,%d" % tuple(r.randrange(9) for _ in range(4)) for _ in range(30)]) + b"\n"
    files = [
        ("empty.csv", b""), ("header-only.csv", HEADER + b"\n"), ("bom.csv", b"\xef\xbb\xbf" + good),
        ("ragged.csv", HEADER + b"\n1,2,3\n1,2,3,4,5\n1,2,3,4\n"), ("quote.csv", HEADER + b'\n"1,2,3,4\n5,6,7,8\n'),
        ("utf8.csv", HEADER + b"\n1,\xff\xfe,3,4\n"), ("binary.csv", bytes(r.getrandbits(8) for _ in range(5000))),
        ("nul.csv", b"\x00" * 1000), ("huge-field.csv", HEADER + b'\n1,"' + b"x" * (8 * 1024 * 1024) + b'",3,4\n'),
        ("strings.csv", HEADER + b"\nx,y,z,w\n"), ("other-columns.csv", b"p,q\n1,2\n"), ("utf16.csv", "a,b,c,d\n1,2,3,4\n".encode("utf-16")),
    ]
    for i in range(12):  # the good file with a random slice of bytes overwritten
        b = bytearray(good)
        at = r.randrange(len(b))
        b[at:at + 20] = bytes(r.getrandbits(8) for _ in range(20))
        files.append((f"mutated{i}.csv", bytes(b)))
    return files


def test_predict_on_broken_csvs(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    r = random.Random(SEED)
    files = broken_csvs(r)
    outcomes = {}
    for name, data in files:
        src, out = tmp_path / name, tmp_path / f"{name}.out.csv"
        src.write_bytes(data)
        code = _predict.main(["--model", str(model), "--input", str(src), "--output", str(out)])
        last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert code in (0, _predict.EXIT_ERROR, _predict.EXIT_USAGE), f"seed {SEED}: {name}: exit {code}"
        if code == 0:
            assert last["event"] == "done" and out.exists()
        else:
            message = last.get("error") or last.get("message")
            assert isinstance(message, str) and message, f"{name}: {last}"
            assert not out.exists(), f"{name}: a partial output was left"
        outcomes[name] = code
    print(f"fuzz: CSVs (predict): seed {SEED}, {len(files)} files, exits {sorted(set(outcomes.values()))}, 0 crashes")


def test_explain_on_broken_csvs(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    r = random.Random(SEED)
    files = broken_csvs(r)
    codes = {}
    for name, data in files:
        src = tmp_path / name
        src.write_bytes(data)
        code = explain_cli.main(["--model", str(model), "--data", str(src), "--out", str(tmp_path / f"x-{name}"),
                                 "--rows", "10", "--top", "1", "--grid", "3", "--ice", "2", "--perm-repeats", "1"])
        err = capsys.readouterr().err
        assert code != explain_cli.EXIT_CRASH, f"seed {SEED}: {name} crashed:\n{err[-3000:]}"
        if code != explain_cli.EXIT_OK:
            assert "error:" in err, f"{name}: no error said ({err[-500:]})"
        codes[name] = code
    print(f"fuzz: CSVs (explain): seed {SEED}, {len(files)} files, exits {sorted(set(codes.values()))}, 0 crashes")
