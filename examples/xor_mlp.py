"""A 2-4-1 multilayer perceptron learns XOR with autograd, and plots its loss curve.

What the single perceptron cannot do (examples/perceptron.py), one hidden layer can:
``h = tanh(x @ W1 + b1)``, ``p = sigmoid(h @ W2 + b2)``, binary cross-entropy, full-batch
gradient descent. The parameters are plain tensors with ``requires_grad=True``;
``loss.backward()`` fills their ``.grad`` and the update runs under ``gt.no_grad()``.

The loss curve is saved as a PNG (default ``xor_loss.png`` in the current directory) when
matplotlib is installed (``pip install 'gputensor[plot]'``); otherwise the example says so and
still trains.

Run: ``python examples/xor_mlp.py [--out PATH] [--epochs N] [--lr LR] [--seed S]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import gputensor as gt
except ImportError:  # run from a source checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import gputensor as gt

F = gt.nn.functional
PLOT_HINT = "pip install 'gputensor[plot]'"


def init_params(hidden: int = 4, seed: int = 0) -> list[gt.Tensor]:
    """W1 (2, hidden), b1, W2 (hidden, 1), b2: Glorot-uniform weights, zero biases."""
    gt.manual_seed(seed)
    params = []
    for n_in, n_out in ((2, hidden), (hidden, 1)):
        bound = (6.0 / (n_in + n_out)) ** 0.5
        params.append((gt.rand(n_in, n_out) * (2 * bound) - bound).requires_grad_())
        params.append(gt.zeros(n_out, requires_grad=True))
    return params


def forward(params: list[gt.Tensor], x: gt.Tensor) -> gt.Tensor:
    """The probability that XOR(x) is 1, one per row of ``x``."""
    W1, b1, W2, b2 = params
    h = gt.tanh(x @ W1 + b1)
    return gt.sigmoid(h @ W2 + b2).reshape(-1)


def train(epochs: int = 2000, lr: float = 1.0, hidden: int = 4, seed: int = 0):
    """Full-batch gradient descent on the four XOR points; returns (params, losses)."""
    x = gt.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = gt.tensor([0.0, 1.0, 1.0, 0.0])
    params = init_params(hidden, seed)
    losses = []
    for _ in range(epochs):
        loss = F.binary_cross_entropy(forward(params, x), t)
        loss.backward()
        with gt.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
    return params, losses


def save_loss_curve(losses: list[float], path: str | Path) -> Path | None:
    """Plot the loss per epoch to ``path`` (PNG); returns the path, or None (with a message
    saying what to install) when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        print(f"matplotlib is not installed, so no loss curve was saved; to get one: "
              f"{PLOT_HINT}")
        return None
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(losses) + 1), losses)
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.set_yscale("log")
    ax.set_title("2-4-1 MLP learning XOR")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def main(out: str | Path = "xor_loss.png", epochs: int = 2000, lr: float = 1.0, seed: int = 0,
         quick: bool = False) -> dict:
    """Train, print the truth table, save the loss curve; returns the results. ``quick``:
    at most 1000 epochs (still enough at the default seed and learning rate)."""
    if quick:
        epochs = min(epochs, 1000)
    params, losses = train(epochs=epochs, lr=lr, seed=seed)
    x = gt.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    with gt.no_grad():
        p = forward(params, x).tolist()
    targets = [0, 1, 1, 0]
    predictions = [int(v > 0.5) for v in p]
    print(f"2-4-1 MLP on XOR: loss {losses[0]:.4f} at epoch 1, {losses[-1]:.4f} at epoch "
          f"{len(losses)}")
    for (a, b), prob, pred, tgt in zip(x.tolist(), p, predictions, targets):
        print(f"    {int(a)} {int(b)} -> {prob:.3f} -> {pred}  (target {tgt})")
    solved = predictions == targets
    print("XOR learned: all four inputs right." if solved else "XOR NOT learned yet.")
    saved = save_loss_curve(losses, out)
    if saved is not None:
        print(f"loss curve saved to {saved}")
    return {"losses": losses, "probabilities": p, "predictions": predictions,
            "solved": solved, "plot": saved}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="xor_loss.png",
                        help="where to save the loss curve (PNG; default xor_loss.png here)")
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = main(out=args.out, epochs=args.epochs, lr=args.lr, seed=args.seed)
    sys.exit(0 if result["solved"] else 1)
