"""matplotlib figures of unmodified scripts under ``python -m mlwb run``: savefig, plt.show() and figures
left open are PNG run files; the script's own files and output are what they are without us."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from capture_helpers import PNG, copy_script, file_bytes, files, run_plain, run_tracked
from helpers import of_type

pytest.importorskip("matplotlib")


def test_saved_shown_and_open_figures_are_kept_once_each(store: Path, tmp_path: Path) -> None:
    script = copy_script("matplotlib_figures.py", tmp_path)
    run_dir, result = run_tracked(script, store)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert result.stdout == run_plain(copy_script("matplotlib_figures.py", plain)).stdout

    kept = files(run_dir)
    assert sorted(kept) == ["figures/histogram-of-a-normal-sample.png", "figures/history.png", "figures/left-open.png",
                            "figures/test.png", "figures/two_subplots.png"]
    assert file_bytes(run_dir, "figures/test.png") == (tmp_path / "test.png").read_bytes(), "the script's PNG, copied"
    assert (tmp_path / "two_subplots.svg").read_bytes().lstrip().startswith(b"<?xml"), "the script's SVG is untouched"
    for path, source in [("figures/test.png", "savefig"), ("figures/two_subplots.png", "savefig"),
                         ("figures/histogram-of-a-normal-sample.png", "show"), ("figures/left-open.png", "end")]:
        assert file_bytes(run_dir, path).startswith(PNG), path
        assert kept[path]["meta"]["source"] == source, path
    assert kept["figures/two_subplots.png"]["meta"]["title"] == "A tale of 2 subplots"
    # Saved three times under one name: one run file (one id), holding the last version.
    history = [f for f in of_type(run_dir, "file") if f["path"] == "figures/history.png"]
    assert len(history) == 3 and len({f["id"] for f in history}) == 1
    assert file_bytes(run_dir, "figures/history.png") == (tmp_path / "history.png").read_bytes()


def test_a_figure_that_cannot_be_drawn_is_said_once_and_never_breaks_the_script(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text(textwrap.dedent(r"""
        import matplotlib.pyplot as plt
        plt.figure()
        plt.title(r"$\frac{1}$")          # bad mathtext: fails only when drawn
        plt.show()                         # non-interactive backend: the script itself draws nothing
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        ax.set_title("fine")
        plt.show()
        print("done")
    """))
    run_dir, result = run_tracked(script, store)
    assert result.stdout == run_plain(script).stdout == "done\n"
    assert result.stderr.count("mlwb: capture: could not keep figure 1") == 1, result.stderr
    assert sorted(files(run_dir)) == ["figures/fine.png"]


def test_many_figures_stop_at_the_cap_and_the_run_says_so(store: Path, tmp_path: Path) -> None:
    script = tmp_path / "many.py"
    script.write_text(textwrap.dedent("""
        import matplotlib.pyplot as plt
        for i in range(105):
            fig = plt.figure(figsize=(1, 1), dpi=20)
            plt.plot([0, i])
            plt.savefig(f"f{i}.png")
            plt.close(fig)
        print("drew", i + 1)
    """))
    run_dir, result = run_tracked(script, store)
    from mlwb.capture import _figures
    assert _figures.MAX_FIGURES < 105 and len(files(run_dir)) == _figures.MAX_FIGURES
    assert "figure(s) were not kept" in result.stderr
