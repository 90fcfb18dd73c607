"""PyTorch's "Visualizing models, data, and training with TensorBoard" loop, on sklearn's digits."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

torch.manual_seed(0)
writer = SummaryWriter("runs/digits_experiment_1")
X, y = load_digits(return_X_y=True)
X = torch.tensor(X / 16.0, dtype=torch.float32)
y = torch.tensor(y)

writer.add_image("four_digits", X[0].reshape(1, 8, 8))
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
writer.add_graph(model, X[:2])
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for epoch in range(3):
    running_loss = 0.0
    for i in range(0, 1500, 100):
        loss = nn.functional.cross_entropy(model(X[i:i + 100]), y[i:i + 100])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    writer.add_scalar("Loss/train", running_loss / 15, epoch)
    with torch.no_grad():
        val_loss = nn.functional.cross_entropy(model(X[1500:]), y[1500:]).item()
    writer.add_scalars("loss", {"train": running_loss / 15, "val": val_loss}, epoch)
    writer.add_histogram("fc1.weight", model[0].weight, epoch)
    fig = plt.figure()
    plt.plot([running_loss, val_loss])
    writer.add_figure("losses", fig, global_step=epoch)

writer.add_text("notes", "trained **3** epochs", 2)
for lr in (0.1, 0.01):  # TensorBoard's docs: one add_hparams per trial
    writer.add_hparams({"lr": lr, "bsize": 100}, {"hparam/accuracy": 10 * lr, "hparam/loss": 1 - lr})
writer.flush()
writer.close()
print("trained")
