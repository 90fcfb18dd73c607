"""The model options ``serve`` and ``predict`` share: the agreed sha256, the signature, the threshold."""
from __future__ import annotations

import argparse
from typing import Any

from ._model import Model, ModelLoadError


def add_model_options(p: argparse.ArgumentParser) -> None:
    """The options serve and predict share: consent, signature, threshold."""
    p.add_argument("--model-sha256", default=None, help="sha256 the model file must have (the bytes the user agreed "
                   "to load); other bytes are refused")
    p.add_argument("--signature", default=None, help="signature.json: requests must have its columns and types "
                   "(422 listing each problem per column); other columns are ignored")
    p.add_argument("--threshold", type=float, default=None, help="binary classifiers: predict the second class when "
                   "its probability is at least this")


def open_model(args: argparse.Namespace, **kw: Any) -> Any:
    """(Model, Signed or None) from the shared options; ModelLoadError / SignatureError say what is wrong."""
    from ._signature import SignatureError, load

    model = Model(args.model, sha256=args.model_sha256, **kw)
    if args.threshold is not None:
        model.set_threshold(args.threshold)
    signed = None
    if args.signature:
        from ._signed import Signed

        try:
            signed = Signed(model, load(args.signature))
        except SignatureError as e:
            raise ModelLoadError(str(e)) from None
    return model, signed
