"""A small convolutional network on the 8x8 handwritten digits.

Two blocks of 3x3 convolution (padding 1), ReLU and 2x2 max pooling turn each 1x8x8 image
into 32x2x2 features; a linear layer maps them to the 10 class logits:

    Conv2d(1, 16, 3, padding=1) ReLU MaxPool2d(2)    ->  16x4x4
    Conv2d(16, 32, 3, padding=1) ReLU MaxPool2d(2)   ->  32x2x2
    Flatten Linear(128, 10)                          ->  logits

Trained with Adam and ``F.cross_entropy`` in a PyTorch-style loop on the same seeded 80/20
split as the other digits examples (``gt.datasets.load_digits()``).

Run: ``python examples/digits_cnn.py [--epochs N] [--seed S] [--device cpu|cuda]``.
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


def build_model() -> nn.Sequential:
    """The network of the module docstring: (N, 1, 8, 8) images -> (N, 10) logits."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )


def accuracy(model: nn.Module, x: gt.Tensor, y: gt.Tensor) -> float:
    """The fraction of images whose largest logit is at their label."""
    model.eval()
    with gt.no_grad():
        pred = model(x).argmax(axis=1)
    model.train()
    return float(gt.cast(pred == y, gt.float32).mean().item())


def main(epochs: int = 10, batch_size: int = 32, lr: float = 3e-3, seed: int = 0,
         device: str = "cpu", quick: bool = False, verbose: bool = True) -> dict:
    """Train and evaluate; returns ``{'test_accuracy', 'train_loss', 'seconds'}``.
    ``quick``: no per-epoch evaluation printout (the training is the same)."""
    gt.manual_seed(seed)
    x, y = gt.datasets.load_digits()
    x = x.reshape(-1, 1, 8, 8)  # (N, channels, height, width)
    from sklearn.model_selection import train_test_split  # (load_digits needs it too)

    # 80/20, stratified by class, seeded
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2,
                                                        random_state=seed,
                                                        stratify=y)
    x_train, y_train = gt.tensor(x_train, device=device), gt.tensor(y_train, device=device)
    x_test, y_test = gt.tensor(x_test, device=device), gt.tensor(y_test, device=device)

    model = build_model().to(device)
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = gt.optim.Adam(model.parameters(), lr=lr)
    loader = gt.data.DataLoader(gt.data.TensorDataset(x_train, y_train),
                                batch_size=batch_size, shuffle=True, seed=seed)
    if verbose:
        print(model)
        print(f"{n_params} parameters; {len(x_train)} training and {len(x_test)} test "
              f"images, device {device}")
    start = time.perf_counter()
    losses = []
    model.train()
    for epoch in range(1, epochs + 1):
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        losses.append(total / count)
        if verbose and not quick:
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
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    main(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
         device=args.device)
