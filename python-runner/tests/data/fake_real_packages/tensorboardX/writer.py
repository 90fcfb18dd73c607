"""FAKE real tensorboardX.writer (a test fixture): every call recorded; add_hparams writes through a second writer."""
from _fake_log import record


class SummaryWriter:
    def __init__(self, logdir=None, comment="", **kwargs):
        self.logdir = logdir or "runs/fake"

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None):
        record("tensorboardX", "add_scalar", logdir=self.logdir, tag=tag, value=float(scalar_value), step=global_step)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, name=None, global_step=None):
        record("tensorboardX", "add_hparams", hparams=hparam_dict)
        inner = SummaryWriter(logdir=f"{self.logdir}/hparams")
        for k, v in metric_dict.items():
            inner.add_scalar(k, v)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        record("tensorboardX", "add_figure", tag=tag)
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)

    def add_graph(self, model, input_to_model=None, **kwargs):
        record("tensorboardX", "add_graph")

    def close(self):
        record("tensorboardX", "close")
