"""One epoch of the whole stack, the way a student trains after lesson 14: `nn.Sequential` of
Linear/ReLU/Linear, `F.cross_entropy`, `optim.SGD` and a shuffling `DataLoader` over a
`TensorDataset` — mylib against torch doing the same — and the DataLoader's own share of it.

The data are random and MNIST-shaped (`tensor_mlp.make_problem`); float32, batch 64, SGD lr 0.1.
"""
from __future__ import annotations

import time

import numpy as np
import torch

import mylib.functional as F
from mylib import nn, optim
from mylib.data import DataLoader, TensorDataset
from bench.tensor_mlp import make_problem

BATCH, LR = 64, 0.1


def _mylib_model(init) -> nn.Module:
    w1, b1, w2, b2 = init
    model = nn.Sequential(nn.Linear(*w1.shape, dtype=w1.dtype), nn.ReLU(), nn.Linear(*w2.shape, dtype=w2.dtype))
    model.load_state_dict({"0.weight": w1.T.copy(), "0.bias": b1, "2.weight": w2.T.copy(), "2.bias": b2})
    return model


def _torch_model(init) -> torch.nn.Module:
    w1, b1, w2, b2 = init
    dtype = torch.from_numpy(w1).dtype
    model = torch.nn.Sequential(torch.nn.Linear(*w1.shape, dtype=dtype), torch.nn.ReLU(),
                                torch.nn.Linear(*w2.shape, dtype=dtype))
    model.load_state_dict({"0.weight": torch.from_numpy(w1.T.copy()), "0.bias": torch.from_numpy(b1),
                           "2.weight": torch.from_numpy(w2.T.copy()), "2.bias": torch.from_numpy(b2)})
    return model


def mylib_epoch(loader: DataLoader, model: nn.Module, optimizer: optim.Optimizer) -> None:
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def torch_epoch(loader, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    for xb, yb in loader:
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _best(run, repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def same_first_steps(steps: int = 3, dtype=np.float64) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Both stacks, unshuffled, for a few steps on a small problem: their weights afterwards (for the tests)."""
    x, y, init = make_problem(200, (12, 8, 5), dtype=dtype)
    model, t_model = _mylib_model(init), _torch_model(init)
    first = slice(0, steps * BATCH)
    mylib_epoch(DataLoader(TensorDataset(x[first], y[first]), batch_size=BATCH), model,
                optim.SGD(model.parameters(), lr=LR))
    t_data = torch.utils.data.TensorDataset(torch.from_numpy(x[first]), torch.from_numpy(y[first]))
    torch_epoch(torch.utils.data.DataLoader(t_data, batch_size=BATCH), t_model, torch.optim.SGD(t_model.parameters(), lr=LR))
    return ([p.detach().numpy() for p in model.parameters()], [p.detach().numpy() for p in t_model.parameters()])


def measure(examples: int, sizes: tuple[int, int, int], repeats: int) -> dict[str, float]:
    """Seconds per epoch: mylib's stack, torch's stack, and mylib's DataLoader alone (batches, no model)."""
    x, y, init = make_problem(examples, sizes)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True, generator=0)
    model = _mylib_model(init)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    t_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                           batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0))
    t_model = _torch_model(init)
    t_optimizer = torch.optim.SGD(t_model.parameters(), lr=LR)
    return {"mylib": _best(lambda: mylib_epoch(loader, model, optimizer), repeats),
            "torch": _best(lambda: torch_epoch(t_loader, t_model, t_optimizer), repeats),
            "DataLoader alone": _best(lambda: [None for _ in loader], repeats)}
