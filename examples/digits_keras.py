"""Handwritten digits (8x8) with a Keras-style model: Sequential, compile, fit, evaluate.

The classic tutorial model (Flatten, Dense relu, Dropout 0.2, Dense 10 softmax, Adam,
sparse categorical cross-entropy, accuracy), sized for 8x8 images: the hidden layer has 256
units. Data: scikit-learn's bundled digits (``gt.datasets.load_digits()``, 1797 images,
pixels in [0, 1]), split 80/20 by scikit-learn's ``train_test_split`` (stratified, fixed
seed); the PyTorch-style version of the same model is examples/digits_torch_style.py.

Run: ``python examples/digits_keras.py [--epochs N] [--seed S] [--verbose 0|1]
[--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

try:
    import gputensor as gt
except ImportError:  # run from a source checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import gputensor as gt

nn = gt.nn


def build_model(hidden: int = 256) -> nn.Sequential:
    """Flatten -> Dense(hidden, relu) -> Dropout(0.2) -> Dense(10, softmax), compiled."""
    model = nn.Sequential(
        nn.Flatten(),
        nn.Dense(hidden, activation="relu"),
        nn.Dropout(0.2),
        nn.Dense(10, activation="softmax"),
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main(epochs: int = 20, batch_size: int = 32, seed: int = 0, verbose: int = 1,
         device: str = "cpu", quick: bool = False) -> dict:
    """Train and evaluate; returns ``{'test_accuracy', 'test_loss', 'history', 'seconds'}``.
    ``quick``: no progress bars (the training is the same)."""
    if quick:
        verbose = 0
    gt.manual_seed(seed)  # weight initialization, dropout masks and the batch order
    x, y = gt.datasets.load_digits()
    from sklearn.model_selection import train_test_split  # (load_digits needs it too)

    # 80/20, stratified by class, seeded
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2,
                                                        random_state=seed,
                                                        stratify=y)
    x_train, x_test = x_train.reshape(-1, 8, 8), x_test.reshape(-1, 8, 8)  # images
    print(f"{len(x_train)} training and {len(x_test)} test images of 8x8 pixels, device "
          f"{device}")

    model = build_model().to(device)  # fit moves the NumPy data to the model's device
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                        verbose=verbose)
    elapsed = time.perf_counter() - start
    print(model)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    probs = model.predict(x_test[:5], verbose=0)
    probs = probs.numpy() if hasattr(probs, "numpy") else np.asarray(probs)
    print(f"first five test images: predicted {probs.argmax(axis=1).tolist()}, "
          f"true {y_test[:5].tolist()}")
    print(f"trained {epochs} epochs in {elapsed:.1f} s; final training loss "
          f"{history.history['loss'][-1]:.4f}, training accuracy "
          f"{history.history['accuracy'][-1]:.4f}")
    print(f"test loss: {test_loss:.4f}")
    print(f"test accuracy: {test_acc:.4f}")
    return {"test_accuracy": float(test_acc), "test_loss": float(test_loss),
            "history": history.history, "seconds": elapsed}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1),
                        help="1: a progress bar per epoch (default), 0: silent")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    main(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, verbose=args.verbose,
         device=args.device)
