"""Handwritten digits (8x8) with a PyTorch-style training loop.

The same model as examples/digits_keras.py, written the way PyTorch users write it: an
``nn.Module`` subclass (Flatten, Linear 64->256, ReLU, Dropout 0.2, Linear 256->10 giving
logits), a ``DataLoader`` over a ``TensorDataset``, ``F.cross_entropy`` on the logits and the
explicit ``optimizer.zero_grad(); loss.backward(); optimizer.step()`` loop with Adam.

Data: scikit-learn's bundled digits (``gt.datasets.load_digits()``, 1797 images, pixels in
[0, 1]), split 80/20 by scikit-learn's ``train_test_split`` (stratified, fixed seed), as
in the Keras-style example.

Run: ``python examples/digits_torch_style.py [--epochs N] [--seed S] [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    import gputensor as gt
except ImportError:  # run from a source checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import gputensor as gt

nn = gt.nn
F = gt.nn.functional


class DigitsMLP(nn.Module):
    """Flatten -> Linear(64, hidden) -> ReLU -> Dropout -> Linear(hidden, 10): logits."""

    def __init__(self, hidden: int = 256, p: float = 0.2):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, hidden)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(p)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: gt.Tensor) -> gt.Tensor:
        return self.fc2(self.dropout(self.relu(self.fc1(self.flatten(x)))))


def accuracy(model: nn.Module, x: gt.Tensor, y: gt.Tensor) -> float:
    """The fraction of rows of ``x`` whose largest logit is at the label in ``y``."""
    model.eval()
    with gt.no_grad():
        pred = model(x).argmax(axis=1)
    model.train()
    return float(gt.cast(pred == y, gt.float32).mean().item())


def main(epochs: int = 20, batch_size: int = 32, lr: float = 1e-3, seed: int = 0,
         device: str = "cpu", quick: bool = False, verbose: bool = True) -> dict:
    """Train and evaluate; returns ``{'test_accuracy', 'train_loss', 'seconds'}``.
    ``quick``: no per-epoch evaluation printout (the training is the same)."""
    gt.manual_seed(seed)  # parameter initialization and dropout masks
    x, y = gt.datasets.load_digits()
    from sklearn.model_selection import train_test_split  # (load_digits needs it too)

    # 80/20, stratified by class, seeded
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2,
                                                        random_state=seed,
                                                        stratify=y)
    x_train, y_train = gt.tensor(x_train, device=device), gt.tensor(y_train, device=device)
    x_test, y_test = gt.tensor(x_test, device=device), gt.tensor(y_test, device=device)

    model = DigitsMLP().to(device)
    optimizer = gt.optim.Adam(model.parameters(), lr=lr)
    loader = gt.data.DataLoader(gt.data.TensorDataset(x_train, y_train),
                                batch_size=batch_size, shuffle=True, seed=seed)
    if verbose:
        print(model)
        print(f"{len(x_train)} training and {len(x_test)} test images, {len(loader)} batches "
              f"of {batch_size} per epoch, device {device}")
    start = time.perf_counter()
    losses = []
    model.train()
    for epoch in range(1, epochs + 1):
        total, count = 0.0, 0
        for xb, yb in loader:
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        losses.append(total / count)
        if verbose and not quick and (epoch == 1 or epoch % 5 == 0 or epoch == epochs):
            print(f"epoch {epoch:3d}  loss {losses[-1]:.4f}  "
                  f"test accuracy {accuracy(model, x_test, y_test):.4f}")
    test_acc = accuracy(model, x_test, y_test)
    elapsed = time.perf_counter() - start
    if verbose:
        print(f"trained {epochs} epochs in {elapsed:.1f} s")
        print(f"test accuracy: {test_acc:.4f}")
    return {"test_accuracy": test_acc, "train_loss": losses, "seconds": elapsed}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    main(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
         device=args.device)
