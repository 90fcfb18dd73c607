"""``python -m mlwb._dataset_csv in.parquet out.csv``: writes a Parquet file as CSV, batch by batch, for the
extension's streaming profiler. Needs pyarrow (batches, bounded memory) or pandas with fastparquet."""
from __future__ import annotations

import sys


def convert(src: str, dst: str) -> None:
    try:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq
    except ImportError:
        pq = None
    if pq is not None:
        parquet = pq.ParquetFile(src)
        with pacsv.CSVWriter(dst, parquet.schema_arrow) as writer:
            for batch in parquet.iter_batches(batch_size=65536):
                writer.write_batch(batch)
        return
    try:
        import pandas as pd
        import fastparquet  # noqa: F401
    except ImportError:
        raise SystemExit(f"mlwb: this interpreter ({sys.executable}) cannot read Parquet: "
                         "install pyarrow (pip install pyarrow) or pandas with fastparquet") from None
    pd.read_parquet(src, engine="fastparquet").to_csv(dst, index=False)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m mlwb._dataset_csv IN.parquet OUT.csv")
    convert(sys.argv[1], sys.argv[2])
