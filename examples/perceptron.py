"""The perceptron learning rule (Rosenblatt, 1958): no gradients, no loss function.

For each sample, predict ``y = 1 if w . x + b > 0 else 0`` and, when the prediction is wrong,
move the line towards the sample: ``w += lr * (t - y) * x``, ``b += lr * (t - y)``. The
perceptron convergence theorem says this finds a separating line in finitely many steps
whenever one exists, which is the case for AND and OR. XOR has no separating line, so the
rule cycles forever: every epoch still misclassifies at least one of the four inputs.

Run: ``python examples/perceptron.py [--epochs N]``.
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

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = {"AND": [0.0, 0.0, 0.0, 1.0], "OR": [0.0, 1.0, 1.0, 1.0], "XOR": [0.0, 1.0, 1.0, 0.0]}


def predict(w: gt.Tensor, b: gt.Tensor, x: gt.Tensor) -> gt.Tensor:
    """The step activation: 1.0 where ``x @ w + b > 0``, else 0.0 (one row per sample)."""
    return gt.cast(x @ w + b > 0, gt.float32)


def train_perceptron(x: gt.Tensor, t: gt.Tensor, epochs: int = 20, lr: float = 1.0):
    """Rosenblatt's rule, one sample at a time, from w = 0, b = 0.

    Returns ``(w, b, errors)``: the weights, the bias and the number of misclassified
    samples seen in each epoch. Stops after the first epoch without a mistake.
    """
    w = gt.zeros(x.shape[1])
    b = gt.zeros(())
    errors = []
    for _ in range(epochs):
        mistakes = 0
        for i in range(x.shape[0]):
            xi = x[i]
            y = predict(w, b, xi)
            delta = lr * (t[i] - y)  # +lr, -lr, or 0 when the prediction is right
            if delta.item() != 0:
                mistakes += 1
                w += delta * xi
                b += delta
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors


def truth_table(w: gt.Tensor, b: gt.Tensor, x: gt.Tensor, t: gt.Tensor) -> list[str]:
    """One line per input: x1 x2 -> prediction (target)."""
    y = predict(w, b, x).tolist()
    return [f"    {int(a)} {int(c)} -> {int(p)}  (target {int(q)})"
            for (a, c), p, q in zip(x.tolist(), y, t.tolist())]


def main(epochs: int = 100, quick: bool = False) -> dict:
    """Train on AND, OR and XOR; print what happens; return the results per gate."""
    if quick:
        epochs = min(epochs, 25)
    x = gt.tensor(INPUTS)
    results = {}
    for gate in ("AND", "OR"):
        t = gt.tensor(TARGETS[gate])
        w, b, errors = train_perceptron(x, t, epochs=epochs)
        converged = errors[-1] == 0
        accuracy = float(gt.cast(predict(w, b, x) == t, gt.float32).mean().item())
        results[gate] = {"w": w.tolist(), "b": b.item(), "errors": errors,
                         "converged": converged, "accuracy": accuracy}
        print(f"{gate}: {'converged' if converged else 'did NOT converge'} after "
              f"{len(errors)} epoch(s); mistakes per epoch {errors}")
        print(f"  weights w = {w.tolist()}, bias b = {b.item()}")
        print("\n".join(truth_table(w, b, x, t)))

    t = gt.tensor(TARGETS["XOR"])
    w, b, errors = train_perceptron(x, t, epochs=epochs)
    accuracy = float(gt.cast(predict(w, b, x) == t, gt.float32).mean().item())
    results["XOR"] = {"w": w.tolist(), "b": b.item(), "errors": errors,
                      "converged": errors[-1] == 0, "accuracy": accuracy}
    print(f"XOR: after {len(errors)} epochs the perceptron still makes mistakes in every "
          f"epoch (fewest in one epoch: {min(errors)}); final accuracy {accuracy:.0%}")
    print(f"  weights w = {w.tolist()}, bias b = {b.item()}")
    print("\n".join(truth_table(w, b, x, t)))
    print("  Why: a line w1*x1 + w2*x2 + b = 0 would need b <= 0 (0,0 -> 0), w1 + b > 0 and\n"
          "  w2 + b > 0 (0,1 and 1,0 -> 1), so w1 + w2 + b > -b >= 0, yet 1,1 -> 0 needs\n"
          "  w1 + w2 + b <= 0. No such line exists: XOR needs a hidden layer\n"
          "  (see examples/xor_mlp.py).")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100, help="epochs per gate (default 100)")
    args = parser.parse_args()
    main(epochs=args.epochs)
