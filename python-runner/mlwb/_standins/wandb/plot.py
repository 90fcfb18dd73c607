"""mlwb's stand-in for ``wandb.plot``: each chart is kept as its data (a CSV run file) when logged."""
from mlwb.compat.wandb_api import (  # noqa: F401
    plot_bar as bar, plot_confusion_matrix as confusion_matrix, plot_histogram as histogram, plot_line as line,
    plot_line_series as line_series, plot_pr_curve as pr_curve, plot_roc_curve as roc_curve, plot_scatter as scatter,
)
