"""A W&B training loop (PyTorch on sklearn's digits): config from argparse, log, define_metric, media, summary."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import wandb
from sklearn.datasets import load_digits

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()

torch.manual_seed(0)
run = wandb.init(project="digits-mlp", name="mlp-baseline", tags=["mlp", "digits"], config=args, job_type="train")
wandb.config.update({"hidden": 32, "optimizer": {"name": "adam", "betas": [0.9, 0.999]}})
config = wandb.config
wandb.define_metric("epoch")
wandb.define_metric("val/*", step_metric="epoch")

X, y = load_digits(return_X_y=True)
X = torch.tensor(X / 16.0, dtype=torch.float32)
y = torch.tensor(y)
model = nn.Sequential(nn.Linear(64, config.hidden), nn.ReLU(), nn.Linear(config.hidden, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])

for epoch in range(config.epochs):
    for i in range(0, 1500, 100):
        loss = nn.functional.cross_entropy(model(X[i:i + 100]), y[i:i + 100])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        wandb.log({"train": {"loss": loss.item()}})
    with torch.no_grad():
        acc = (model(X[1500:]).argmax(1) == y[1500:]).float().mean().item()
    wandb.log({"val/acc": acc, "epoch": epoch, "weights": wandb.Histogram(model[0].weight.detach().numpy())})

table = wandb.Table(columns=["image", "pred", "label"])
with torch.no_grad():
    preds = model(X[1500:1504]).argmax(1)
for k in range(4):
    table.add_data(wandb.Image(X[1500 + k].reshape(8, 8).numpy(), caption=f"digit {k}"), int(preds[k]), int(y[1500 + k]))
wandb.log({"predictions": table, "noise": wandb.Image(np.random.default_rng(0).random((8, 8)))})
run.summary["best_val_acc"] = acc
wandb.watch(model)
run.finish()
print(f"final val acc {acc:.3f}")
