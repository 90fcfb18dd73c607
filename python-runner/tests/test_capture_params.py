"""Hyperparameters of unmodified scripts as params: argparse namespaces and OmegaConf configs, secrets masked."""
from __future__ import annotations

from pathlib import Path

import pytest

from capture_helpers import captured_metrics, copy_script, params, run_plain, run_tracked
from helpers import manifest, of_type


def cli(p: dict, prefix: str) -> dict:
    return {k: v for k, v in p.items() if k.startswith(prefix)}


def test_pytorch_mnist_style_argparse_hyperparameters_are_params_and_compare_sees_which_differ(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    script = copy_script("mnist_argparse.py", tmp_path)
    secret = "sk-live-4242-hunter2"
    first, result = run_tracked(script, store, args=["--epochs", "1", "--lr", "0.5", "--api-key", secret])
    assert result.stdout == run_plain(script, ["--epochs", "1", "--lr", "0.5", "--api-key", secret]).stdout
    p = cli(params(first), "args.")
    assert p == {"args.batch_size": 64, "args.epochs": 1, "args.lr": 0.5, "args.gamma": 0.7, "args.no_cuda": False,
                 "args.dry_run": False, "args.seed": 1, "args.save_model": False, "args.api_key": "***"}
    for f in ("events.jsonl", "run.json"):
        assert secret not in (first / f).read_text(), f"the secret reached {f}"
    assert manifest(first)["argv"][-1] == "***"

    second_store = tmp_path / "store2"
    second, _ = run_tracked(script, second_store, args=["--epochs", "1", "--lr", "0.25"])
    q = cli(params(second), "args.")
    assert {k for k in p if p[k] != q.get(k)} == {"args.lr", "args.api_key"}
    assert q["args.api_key"] is None, "no key given: nothing to mask"


def test_subcommands_and_parse_known_args_record_the_whole_namespace_once(store: Path, tmp_path: Path) -> None:
    script = copy_script("cli_subcommands.py", tmp_path)
    args = ["--token", "tok-abcdef-123", "train", "--model", "boosting", "--depth", "5", "--unknown-flag"]
    run_dir, result = run_tracked(script, store, args=args)
    assert result.stdout == run_plain(script, args).stdout
    assert cli(params(run_dir), "args.") == {"args.token": "***", "args.command": "train", "args.model": "boosting",
                                             "args.depth": 5, "args.out": "model.pkl", "args.func": "__main__.train"}
    assert len([r for r in of_type(run_dir, "params") if "args.command" in r["values"]]) == 1, "the subparser's own parse is part of its parent's"


def test_an_omegaconf_config_merged_with_the_command_line_gives_the_merged_values(store: Path, tmp_path: Path) -> None:
    pytest.importorskip("omegaconf")
    script = copy_script("omegaconf_train.py", tmp_path, "config.yaml")
    overrides = ["model.max_depth=6", "optimizer.lr=0.05"]
    run_dir, result = run_tracked(script, store, args=overrides)
    assert result.stdout == run_plain(script, overrides).stdout
    p = cli(params(run_dir), "cfg.")
    assert p == {"cfg.model.name": "forest", "cfg.model.n_estimators": 50, "cfg.model.max_depth": 6,
                 "cfg.optimizer.lr": 0.05, "cfg.optimizer.schedule": "cosine", "cfg.data.split": 0.25, "cfg.data.seed": 0,
                 "cfg.run_name": "forest-50", "cfg.db.password": "***"}
    assert "not-a-real-password-123" not in (run_dir / "events.jsonl").read_text()
    assert set(captured_metrics(run_dir)) == {"val/accuracy_score"}
