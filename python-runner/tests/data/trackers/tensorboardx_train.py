"""tensorboardX's README example: scalars, a histogram and text with its own names (logdir=)."""
import numpy as np
from tensorboardX import SummaryWriter

with SummaryWriter(logdir="runs/tbx") as writer:
    for n_iter in range(5):
        writer.add_scalar("data/scalar1", np.random.default_rng(n_iter).random(), n_iter)
        writer.add_scalars("data/scalar_group", {"xsinx": n_iter * np.sin(n_iter), "xcosx": n_iter * np.cos(n_iter)}, n_iter)
        writer.add_histogram("hist", np.arange(10) + n_iter, n_iter)
    writer.add_text("Text", "text logged at step 4", 4)
    writer.add_pr_curve("xoxo", np.array([0, 1]), np.array([0.2, 0.9]), 4)
print("logdir", writer.logdir)
