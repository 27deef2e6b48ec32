"""One epoch of minibatch SGD on an MLP, four ways: mylib, hand-written numpy, torch, and the matmuls alone.

The model is Linear → ReLU → Linear with softmax cross-entropy, SGD without momentum, the
same maths in all three frameworks (`same_first_steps` checks it), float32 end to end. The
data are random and MNIST-shaped: what is measured is speed, not accuracy.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

import mylib
from mylib import Tensor

Params = list  # [W1 (in, hidden), b1 (hidden,), W2 (hidden, out), b2 (out,)]


def make_problem(examples: int, sizes: tuple[int, int, int], dtype=np.float32, seed: int = 0):
    """Random inputs in [0, 1), labels, and the initial weights (torch's nn.Linear init scale)."""
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = sizes
    x = rng.random((examples, n_in), dtype=np.float64).astype(dtype)
    y = rng.integers(0, n_out, size=examples)
    params = []
    for fan_in, fan_out in ((n_in, n_hidden), (n_hidden, n_out)):
        bound = 1 / np.sqrt(fan_in)
        params += [rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype),
                   rng.uniform(-bound, bound, fan_out).astype(dtype)]
    return x, y, params


# ---- mylib ----

def mylib_cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Mean softmax cross-entropy from Tensor ops: mean of logsumexp(z) - z[label].

    The row max is subtracted first (it cancels out), so exp never overflows.
    """
    shifted = logits - logits.detach().max(dim=1, keepdim=True).values
    log_sum_exp = shifted.exp().sum(dim=1).log()
    return (log_sum_exp - shifted[np.arange(len(labels)), labels]).mean()


def mylib_epoch(x: np.ndarray, y: np.ndarray, init: Params, lr: float = 0.1, batch: int = 64,
                steps: int | None = None) -> Params:
    w1, b1, w2, b2 = params = [Tensor(p, requires_grad=True) for p in init]
    data = mylib.from_numpy(x)  # no copy of the data set (as torch.from_numpy below)
    for step, start in enumerate(range(0, len(x), batch)):
        if step == steps:
            break
        logits = (data[start:start + batch] @ w1 + b1).relu() @ w2 + b2
        loss = mylib_cross_entropy(logits, y[start:start + batch])
        for p in params:
            p.grad = None
        loss.backward()
        with mylib.no_grad():
            for p in params:
                p -= lr * p.grad
    return [p.detach().numpy() for p in params]


# ---- numpy, forward and backward by hand ----

def numpy_epoch(x: np.ndarray, y: np.ndarray, init: Params, lr: float = 0.1, batch: int = 64,
                steps: int | None = None) -> Params:
    w1, b1, w2, b2 = params = [p.copy() for p in init]
    for step, start in enumerate(range(0, len(x), batch)):
        if step == steps:
            break
        xb, yb = x[start:start + batch], y[start:start + batch]
        rows = np.arange(len(yb))
        hidden = xb @ w1 + b1
        np.maximum(hidden, 0, out=hidden)
        logits = hidden @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        # d(mean cross-entropy)/d(logits) = (softmax - one_hot) / batch
        probs[rows, yb] -= 1
        probs /= len(yb)
        grad_w2, grad_b2 = hidden.T @ probs, probs.sum(axis=0)
        grad_hidden = probs @ w2.T
        grad_hidden *= hidden > 0
        grad_w1, grad_b1 = xb.T @ grad_hidden, grad_hidden.sum(axis=0)
        for p, g in zip(params, (grad_w1, grad_b1, grad_w2, grad_b2)):
            p -= lr * g
    return params


# ---- torch, as it is usually written: nn.Linear, F.cross_entropy, optim.SGD ----

def torch_epoch(x: np.ndarray, y: np.ndarray, init: Params, lr: float = 0.1, batch: int = 64,
                steps: int | None = None) -> Params:
    w1, b1, w2, b2 = init
    model = torch.nn.Sequential(torch.nn.Linear(*w1.shape), torch.nn.ReLU(), torch.nn.Linear(*w2.shape))
    with torch.no_grad():  # nn.Linear keeps the weight as (out, in)
        for layer, w, b in ((model[0], w1, b1), (model[2], w2, b2)):
            layer.weight.copy_(torch.from_numpy(w.T))
            layer.bias.copy_(torch.from_numpy(b))
    model.to(torch.from_numpy(w1).dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    data, labels = torch.from_numpy(x), torch.from_numpy(y)
    for step, start in enumerate(range(0, len(x), batch)):
        if step == steps:
            break
        loss = torch.nn.functional.cross_entropy(model(data[start:start + batch]), labels[start:start + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return [model[0].weight.detach().numpy().T, model[0].bias.detach().numpy(),
            model[2].weight.detach().numpy().T, model[2].bias.detach().numpy()]


# ---- the floor: only the epoch's five matmuls per step ----

def matmul_epoch(x: np.ndarray, y: np.ndarray, init: Params, lr: float = 0.1, batch: int = 64,
                 steps: int | None = None) -> Params:
    w1, _, w2, _ = init
    for step, start in enumerate(range(0, len(x), batch)):
        if step == steps:
            break
        xb = x[start:start + batch]
        hidden = xb @ w1                       # forward, layer 1
        logits = hidden @ w2                   # forward, layer 2
        _ = hidden.T @ logits                  # dL/dW2 = Hᵀ G
        grad_hidden = logits @ w2.T            # dL/dH = G W2ᵀ
        _ = xb.T @ grad_hidden                 # dL/dW1 = Xᵀ G_H
    return init


EPOCHS: dict[str, Callable[..., Params]] = {
    "mylib": mylib_epoch, "numpy (by hand)": numpy_epoch, "torch": torch_epoch, "matmul floor": matmul_epoch}


def measure(examples: int, sizes: tuple[int, int, int], repeats: int) -> dict[str, float]:
    """Seconds per epoch for each way of training: the best of `repeats` epochs after a warm-up.

    The four take turns, so a busy moment of the machine slows all of them, not just one;
    the best time is the least disturbed measurement.
    """
    x, y, init = make_problem(examples, sizes)
    for epoch in EPOCHS.values():
        epoch(x, y, init, steps=20)
    best = dict.fromkeys(EPOCHS, float("inf"))
    for _ in range(repeats):
        for name, epoch in EPOCHS.items():
            start = time.perf_counter()
            epoch(x, y, init)
            best[name] = min(best[name], time.perf_counter() - start)
    return best
