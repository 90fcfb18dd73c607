"""Writes real CSV files (sklearn's bundled datasets and edge cases) into a directory and prints pandas'
statistics for each as JSON: the reference the TypeScript profiler is checked against.

    /usr/bin/python3 pandas_reference.py OUT_DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets


def frames():
    for name in ("iris", "wine", "breast_cancer", "diabetes"):
        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        yield name, bunch.frame
    rng = np.random.default_rng(0)
    n = 5000
    messy = pd.DataFrame({
        "id": [f"u{i:05d}" for i in range(n)],
        "score": np.where(rng.random(n) < 0.2, np.nan, rng.normal(50, 10, n).round(3)),
        "count": rng.integers(-5, 500, n),
        "flag": rng.choice(["True", "False"], n),
        "city": rng.choice(["Paris", "Lyon, FR", 'New "York"', "multi\nline", "Zürich"], n),
        "constant": ["same"] * n,
        "when": pd.date_range("2020-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M:%S"),
        "mostly_missing": np.where(rng.random(n) < 0.9, None, "x"),
    })
    yield "messy", messy


def stats(path: Path):
    df = pd.read_csv(path)
    out = {"rows": int(len(df)), "columns": {}}
    for col in df.columns:
        s = df[col]
        c = {"missing": int(s.isna().sum()), "count": int(s.notna().sum()), "nunique": int(s.nunique()),
             "dtype": str(s.dtype)}
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            c.update(min=float(s.min()), max=float(s.max()), mean=float(s.mean()), std=float(s.std()))
        else:
            top = s.value_counts().head(1)
            if len(top):
                c["top"] = str(top.index[0])
                c["top_count"] = int(top.iloc[0])
        out["columns"][str(col)] = c
    return out


def main() -> None:
    out_dir = Path(sys.argv[1])
    result = {}
    for name, frame in frames():
        path = out_dir / f"{name}.csv"
        frame.to_csv(path, index=False)
        result[name] = stats(path)
    # the same data with a BOM and CRLF line ends
    raw = (out_dir / "messy.csv").read_bytes()
    crlf = out_dir / "messy_crlf_bom.csv"
    crlf.write_bytes(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"))
    result["messy_crlf_bom"] = stats(crlf)
    # mixed types in one column
    mixed = out_dir / "mixed.csv"
    mixed.write_text("a,b\n1,x\n2,3\n,4.5\nhello,\n5,True\n")
    result["mixed"] = stats(mixed)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
