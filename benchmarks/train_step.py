"""One training step of an MLP 784-256-10 against the same step hand-written in NumPy (the
floor for a NumPy-backed framework) and PyTorch CPU, in one process, interleaved, median of
many repeats, with BLAS and framework threads pinned to 1.

The step, batch 128, float32 and float64: ``logits = relu(x @ W1.T + b1) @ W2.T + b2``,
softmax cross-entropy against integer labels (mean over the batch), backward, plain SGD
(lr 0.1). Peers (each owns its own copy of the same initial parameters):

- ``numpy (hand-written)``: forward, the backward written out by hand (``(softmax -
  one_hot) / N``, the relu mask, the two matmuls per layer), ``W -= lr * gW``.
- ``gputensor``: ``gt.nn.Linear`` + ``F.relu`` + ``F.cross_entropy`` + ``gt.optim.SGD``,
  ``zero_grad(); loss.backward(); step()``: what a user writes.
- ``gputensor (tensors + autograd)``: the same with raw parameter tensors, ``F.linear`` and
  an update under ``gt.no_grad()`` (no Module, no Optimizer): what the nn/optim layer costs.
- ``torch``: ``torch.nn.Linear`` + ``F.cross_entropy`` + ``torch.optim.SGD``, when installed.

Before timing, one step of every peer from the same parameters is checked against the
hand-written one (same loss, same updated weights), so the timings compare like with like.
Timing: blocks of 10 steps of one peer, the peers interleaved block by block (A x10, B x10,
...), the median over the blocks; blocks keep each peer's own allocation pattern in a
steady state. The page faults per step (minor faults, counted after the timing; Linux/macOS)
show where a peer's large temporaries make the C allocator give memory back to the system
and fault it in again at every step, which costs as much as the arithmetic at this size.

Target (reported, not asserted): gputensor at most 1.1x the hand-written NumPy step.

Run: ``python -m benchmarks.train_step [--quick] [--json PATH]``.
"""

from __future__ import annotations

from .timing import one_thread_unless_set

one_thread_unless_set()  # before NumPy loads

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import gputensor as gt  # noqa: E402

from .timing import fmt_time, measure, optional_torch, run_meta  # noqa: E402

TARGET = 1.1
SIZES = (784, 256, 10)
BATCH = 128
LR = 0.1


def init_params(dtype, seed: int = 0) -> dict[str, np.ndarray]:
    """PyTorch's default Linear init: uniform in +-1/sqrt(fan_in), weights (out, in)."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        bound = 1.0 / np.sqrt(n_in)
        params[f"W{i}"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype)
        params[f"b{i}"] = rng.uniform(-bound, bound, (n_out,)).astype(dtype)
    return params


def make_batch(dtype, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], BATCH).astype(np.int64)
    return x, y


def numpy_step(p: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, lr=LR):
    """One hand-written step; updates ``p`` in place and returns the loss (a NumPy scalar)."""
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    n = x.shape[0]
    rows = np.arange(n)
    # forward
    h = x @ W1.T + b1
    a = np.maximum(h, 0)
    z = a @ W2.T + b2
    z_shift = z - z.max(axis=1, keepdims=True)
    e = np.exp(z_shift)
    s = e.sum(axis=1, keepdims=True)
    loss = np.log(s[:, 0]).mean() - z_shift[rows, y].mean()
    # backward: d loss / d z = (softmax - one_hot) / n
    g = e / s
    g[rows, y] -= 1
    g /= n
    gW2 = g.T @ a
    gb2 = g.sum(axis=0)
    gh = (g @ W2) * (h > 0)
    gW1 = gh.T @ x
    gb1 = gh.sum(axis=0)
    # SGD
    W1 -= lr * gW1
    b1 -= lr * gb1
    W2 -= lr * gW2
    b2 -= lr * gb2
    return loss


def has_nn_optim() -> bool:
    return hasattr(gt.nn, "Linear") and hasattr(gt, "optim") and hasattr(gt.optim, "SGD")


def peers(dtype) -> tuple[dict, dict]:
    """name -> step callable, and name -> (the step, a getter of its params as NumPy) for the
    agreement check. Every peer starts from the same parameters and the same batch."""
    init = init_params(dtype)
    x_np, y_np = make_batch(dtype)
    F = gt.nn.functional
    fns, views = {}, {}

    p_np = {k: v.copy() for k, v in init.items()}
    fns["numpy (hand-written)"] = lambda: numpy_step(p_np, x_np, y_np)
    views["numpy (hand-written)"] = lambda: p_np

    x, y = gt.tensor(x_np), gt.tensor(y_np)

    if has_nn_optim():
        l1 = gt.nn.Linear(SIZES[0], SIZES[1], dtype=dtype)
        l2 = gt.nn.Linear(SIZES[1], SIZES[2], dtype=dtype)
        with gt.no_grad():
            for layer, i in ((l1, 1), (l2, 2)):
                layer.weight.copy_(gt.tensor(init[f"W{i}"]))
                layer.bias.copy_(gt.tensor(init[f"b{i}"]))
        opt = gt.optim.SGD(list(l1.parameters()) + list(l2.parameters()), lr=LR)

        def gputensor_nn():
            loss = F.cross_entropy(l2(F.relu(l1(x))), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        fns["gputensor"] = gputensor_nn
        views["gputensor"] = lambda: {"W1": l1.weight.numpy(), "b1": l1.bias.numpy(),
                                      "W2": l2.weight.numpy(), "b2": l2.bias.numpy()}

    p_gt = {k: gt.tensor(v, requires_grad=True) for k, v in init.items()}
    params = list(p_gt.values())

    def gputensor_raw():
        h = F.relu(F.linear(x, p_gt["W1"], p_gt["b1"]))
        loss = F.cross_entropy(F.linear(h, p_gt["W2"], p_gt["b2"]), y)
        loss.backward()
        with gt.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=LR)
                p.grad = None
        return loss

    fns["gputensor (tensors + autograd)"] = gputensor_raw
    views["gputensor (tensors + autograd)"] = lambda: {k: v.numpy() for k, v in p_gt.items()}

    torch = optional_torch()
    if torch is not None:
        tdtype = torch.float64 if dtype == np.float64 else torch.float32
        t1 = torch.nn.Linear(SIZES[0], SIZES[1], dtype=tdtype)
        t2 = torch.nn.Linear(SIZES[1], SIZES[2], dtype=tdtype)
        with torch.no_grad():
            for layer, i in ((t1, 1), (t2, 2)):
                layer.weight.copy_(torch.from_numpy(init[f"W{i}"]))
                layer.bias.copy_(torch.from_numpy(init[f"b{i}"]))
        topt = torch.optim.SGD(list(t1.parameters()) + list(t2.parameters()), lr=LR)
        tx, ty = torch.from_numpy(x_np), torch.from_numpy(y_np)
        tF = torch.nn.functional

        def pytorch():
            loss = tF.cross_entropy(t2(tF.relu(t1(tx))), ty)
            topt.zero_grad()
            loss.backward()
            topt.step()
            return loss

        fns["torch"] = pytorch
        views["torch"] = lambda: {"W1": t1.weight.detach().numpy(), "b1": t1.bias.detach().numpy(),
                                  "W2": t2.weight.detach().numpy(), "b2": t2.bias.detach().numpy()}
    return fns, views


def check_agreement(dtype=np.float32) -> dict[str, float]:
    """One step of every peer from the same start: the loss and updated parameters of each
    agree with the hand-written step (raises AssertionError otherwise). Returns the losses."""
    fns, views = peers(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    losses = {}
    for name, fn in fns.items():
        loss = fn()
        losses[name] = float(loss.item() if hasattr(loss, "item") else loss)
    ref_loss = losses["numpy (hand-written)"]
    ref = views["numpy (hand-written)"]()
    for name in fns:
        assert abs(losses[name] - ref_loss) <= tol * max(1.0, abs(ref_loss)), (name, losses)
        got = views[name]()
        for k, v in ref.items():
            np.testing.assert_allclose(np.asarray(got[k]), v, rtol=tol, atol=tol,
                                       err_msg=f"{name}: {k} after one step")
    return losses


def faults_per_step(fn, steps: int = 20) -> float | None:
    """Minor page faults per call of ``fn`` (None where ``resource`` is unavailable)."""
    try:
        import resource
    except ImportError:
        return None
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_step")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    rows = []
    if not has_nn_optim():
        print("note: gt.nn.Linear / gt.optim.SGD not available: timing raw tensors + autograd")
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, relu, softmax cross-entropy, "
          f"SGD lr={LR}; one thread")
    print(f"{'case / peer':44} {'median':>11} {'p10':>11} {'p90':>11} {'vs numpy':>9} "
          f"{'faults/step':>11}")
    for dtype in (np.float32, np.float64):
        check_agreement(dtype)
        name = f"train step, {np.dtype(dtype).name}"
        print(name)
        fns, _ = peers(dtype)
        res = measure(fns, repeats=10 if args.quick else 40, number=10,
                      warmup=5 if args.quick else 20)
        ref = res["numpy (hand-written)"]["median"]
        for peer, r in res.items():
            ratio = r["median"] / ref
            faults = faults_per_step(fns[peer])
            rows.append({"case": name, "peer": peer, "median_s": r["median"],
                         "p10_s": r["p10"], "p90_s": r["p90"], "ratio": ratio,
                         "page_faults_per_step": faults})
            mark = ""
            if peer == "gputensor" or (peer.startswith("gputensor") and "gputensor" not in fns):
                mark = (f"  (target <= {TARGET}x)" if ratio <= TARGET
                        else f"  (over the {TARGET}x target)")
            print(f"  {peer:42} {fmt_time(r['median']):>11} {fmt_time(r['p10']):>11} "
                  f"{fmt_time(r['p90']):>11} {ratio:>8.2f}x "
                  f"{'' if faults is None else f'{faults:.0f}':>11}{mark}")
    if args.json:
        meta = run_meta(threads=1, target_ratio=TARGET, batch=BATCH, sizes=list(SIZES), lr=LR)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "results": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
