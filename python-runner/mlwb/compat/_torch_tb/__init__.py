"""Submodules of mlwb's stand-in ``torch.utils.tensorboard`` (see ``mlwb/compat/torch_tensorboard.py``)."""
