"""``import mlwb.autolog`` in a notebook: the same as ``%load_ext mlwb`` (see ``mlwb._kernel``).

A run for the notebook starts; sklearn fits, the capture hooks and MLflow / W&B / TensorBoard calls log into it,
and the cells the kernel executes are saved with it. Outside a Jupyter kernel it says so and does nothing.
"""
from ._kernel import shell as _shell, start_tracking as _start_tracking

if _shell() is not None:
    _start_tracking()
else:
    import sys as _sys

    print("mlwb.autolog: not in a Jupyter kernel, nothing started (scripts: python -m mlwb run script.py)", file=_sys.stderr)
