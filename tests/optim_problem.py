"""The problem on which tests/test_11_optimizers.py and tests/test_12_adaptive_optimizers.py run mylib's
and torch's optimizers side by side, float64: a small tanh network on fixed random data.

The loss has an L2 penalty. Without it, L-BFGS with a short history amplifies rounding so much that
torch does not even agree with itself when the start moves by 1e-16 (lesson 12 shows it); with it,
both stay within ~1e-13 of each other.

mylib is imported inside the functions, never at import time: `make grade` grades several lessons
in one process, each against its own mylib, while this module stays imported.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from tests.compare import assert_same

STEPS = 20
RTOL, ATOL = 1e-7, 1e-9
L2 = 0.3

_rng = np.random.default_rng(0)
X, Y = _rng.normal(size=(8, 3)), _rng.normal(size=(8, 1))
START = [_rng.normal(size=(3, 4)) * 0.5, _rng.normal(size=4) * 0.1, _rng.normal(size=(4, 1)) * 0.5, np.zeros(1)]
START_FLAT = np.concatenate([v.ravel() for v in START])


def call(name: str, options: dict) -> str:
    """How the optimizer was made, e.g. "SGD(lr=0.1, momentum=0.9)"."""
    return f"{name}({', '.join(f'{k}={v}' for k, v in options.items())})"


def ids(cases) -> list[str]:
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}" for name, options, *_ in cases]


def mylib_loss(params):
    from mylib import Tensor
    W1, b1, W2, b2 = params
    out = (Tensor(X) @ W1 + b1).tanh() @ W2 + b2
    return ((out - Tensor(Y)) ** 2).mean() + L2 * ((W1 ** 2).sum() + (W2 ** 2).sum())


def torch_loss(params):
    W1, b1, W2, b2 = params
    out = torch.tanh(torch.tensor(X) @ W1 + b1) @ W2 + b2
    return ((out - torch.tensor(Y)) ** 2).mean() + L2 * ((W1 ** 2).sum() + (W2 ** 2).sum())


def make(name, options, params, framework):
    """mylib's or torch's optimizer `name` (torch on its single-tensor path, the one mylib ports)."""
    if framework == "torch":
        extra = {} if name == "LBFGS" else {"foreach": False}
        return getattr(torch.optim, name)(params, **options, **extra)
    import mylib.optim
    return getattr(mylib.optim, name)(params, **options)


def new_params(framework, values=START):
    if framework == "torch":
        return [torch.tensor(v, requires_grad=True) for v in values]
    from mylib import Tensor
    return [Tensor(np.array(v), requires_grad=True) for v in values]


def flat(params, framework) -> np.ndarray:
    return np.concatenate([(p.detach().numpy() if framework == "torch" else p.data).ravel() for p in params])


def train(optimizer, params, framework, steps):
    """`steps` optimizer steps with a closure; the flat parameters after each."""
    loss_fn = torch_loss if framework == "torch" else mylib_loss

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        return loss

    rows = []
    for _ in range(steps):
        optimizer.step(closure)
        rows.append(flat(params, framework))
    return np.array(rows)


def run(name, options, framework, steps=STEPS):
    params = new_params(framework)
    optimizer = make(name, options, params, framework)
    return train(optimizer, params, framework, steps), optimizer, params


def assert_same_path(mine: np.ndarray, theirs: np.ndarray, what: str, start: np.ndarray = START_FLAT) -> None:
    """mylib's parameters equal torch's after every step; a failure names the first step that differs."""
    if np.all(mine == start) and np.any(theirs != start):
        raise AssertionError(f"{what}: the parameters never moved. Change `param` in place (`param -= ...`); "
                             "`param = param - ...` only rebinds a local name")
    assert mine.shape == theirs.shape, f"{what}: expected parameters of shape {theirs.shape} (torch), got {mine.shape}"
    for step, (row, their_row) in enumerate(zip(mine, theirs), start=1):
        close = np.isclose(row, their_row, rtol=RTOL, atol=ATOL)  # torch.testing.assert_close's rule
        if not close.all():
            k = int(np.argmax(~close))
            raise AssertionError(f"{what}: after step {step}, parameter value {k} (of {row.size}): expected "
                                 f"{their_row[k]:.10g} (torch), got {row[k]:.10g}")


def assert_same_state(my_optimizer, my_params, their_optimizer, their_params, what: str) -> None:
    """Every number torch keeps in its state (buffers, averages, step counts, …) equals mylib's."""
    for i, (p, q) in enumerate(zip(my_params, their_params)):
        for key, value in their_optimizer.state[q].items():
            if isinstance(value, (torch.Tensor, int, float)):
                assert key in my_optimizer.state[p], f"{what}: state of parameter {i} has no {key!r} (torch has)"
                expected = torch.as_tensor(value, dtype=torch.float64)
                assert_same(np.asarray(my_optimizer.state[p][key], dtype=np.float64).reshape(expected.shape),
                            expected, f"{what}: state[{key!r}] of parameter {i}")


def set_gradients(params, grads, framework) -> None:
    """Give each parameter a gradient by hand (no backward needed)."""
    if framework == "torch":
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
    else:
        from mylib import Tensor
        for p, g in zip(params, grads):
            p.grad = Tensor(np.array(g))


def steps_on_given_gradients(name, options, framework, gradients) -> np.ndarray:
    """One step per entry of `gradients` (a list of per-parameter gradient lists); flat parameters after each."""
    params = new_params(framework, START[:2])
    optimizer = make(name, options, params, framework)
    rows = []
    for grads in gradients:
        set_gradients(params, grads, framework)
        optimizer.step()
        rows.append(flat(params, framework))
    return np.array(rows)


def gradient_sequence(steps: int = 5, seed: int = 1):
    """Gradients for START[:2] (shapes (3, 4) and (4,)) that change from step to step."""
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(3, 4)), rng.normal(size=4)] for _ in range(steps)]


def assert_step_leaves_grad_untouched(name: str, options: dict, hint: str = "") -> None:
    """step() only reads .grad: after three steps the gradients are the same objects, with the same values."""
    params = new_params("mylib")
    optimizer = make(name, options, params, "mylib")
    for _ in range(3):
        optimizer.zero_grad()
        mylib_loss(params).backward()
        grads = [p.grad for p in params]
        before = [g.data.copy() for g in grads]
        optimizer.step()
        for p, g, b in zip(params, grads, before):
            assert p.grad is g, f"{call(name, options)}.step() replaced a parameter's .grad"
            assert np.array_equal(g.data, b), (f"{call(name, options)}.step() changed .grad in place: use "
                                               f"grad = grad + ... (a new array){hint}")


def assert_resumes_from_torch_state_dict(name: str, options: dict) -> None:
    """torch trains 10 steps; a mylib optimizer loads torch's state_dict (tensors inside) and does the next 10,
    equal to torch's 20 straight steps — without writing into torch's tensors."""
    straight, _, _ = run(name, options, "torch", steps=20)
    _, their_opt, their_params = run(name, options, "torch", steps=10)
    params = new_params("mylib", [q.detach().numpy().copy() for q in their_params])
    optimizer = make(name, options, params, "mylib")
    saved = their_opt.state_dict()  # shares its tensors with their_opt
    before = {i: {k: v.clone() for k, v in st.items() if isinstance(v, torch.Tensor)} for i, st in saved["state"].items()}
    optimizer.load_state_dict(saved)
    for state in optimizer.state.values():  # no torch tensor survives the load
        assert not any(isinstance(v, torch.Tensor) for v in state.values())
    resumed = train(optimizer, params, "mylib", steps=10)
    assert_same(resumed[-1], torch.from_numpy(straight[-1]), f"{call(name, options)} resumed from torch's state_dict")
    for i, tensors in before.items():  # our steps must not write into torch's tensors
        for key, value in tensors.items():
            assert torch.equal(their_opt.state[their_params[i]][key], value), key


def assert_round_trip_resumes_identically(name: str, options: dict) -> None:
    """10 steps, state_dict, a new optimizer loads it, 10 more steps: bit for bit the same as 20 steps."""
    straight, _, _ = run(name, options, "mylib", steps=20)
    _, optimizer, params = run(name, options, "mylib", steps=10)
    checkpoint = {"params": [p.data.copy() for p in params], "optimizer": optimizer.state_dict()}
    train(optimizer, params, "mylib", steps=3)  # the saved snapshot must not follow later steps
    fresh = new_params("mylib", checkpoint["params"])
    resumed = make(name, options, fresh, "mylib")
    resumed.load_state_dict(checkpoint["optimizer"])
    second_half = train(resumed, fresh, "mylib", steps=10)
    np.testing.assert_array_equal(second_half[-1], straight[-1])


# ---- float32 at the edge: overflow to inf, inf and nan gradients (issue 10) ----
FLOAT32_GRADIENTS = {"1e30": [1e30, -1e30, 1.0], "3e38 and 1e-30": [1e30, 1e-30, -3e38],
                     "inf": [np.inf, -np.inf, 1.0], "nan": [np.nan, 1.0, 2.0]}


def float32_steps(framework, name, options, first_gradient):
    """float32 parameters after 3 steps (the given gradient, an ordinary one, half the given one)."""
    import mylib.optim as optim
    from mylib import Tensor
    start = np.array([1.0, -2.0, 0.5], np.float32)
    p = Tensor(start.copy(), requires_grad=True) if framework == "mylib" else torch.tensor(start, requires_grad=True)
    optimizer = getattr(optim, name)([p], **options) if framework == "mylib" else \
        getattr(torch.optim, name)([p], **options, foreach=False)
    first = np.array(first_gradient, np.float32)
    for g in (first, np.array([1.0, -1.0, 2.0], np.float32), first * np.float32(0.5)):
        p.grad = Tensor(g.copy()) if framework == "mylib" else torch.tensor(g)
        optimizer.step()
    return p if framework == "mylib" else p.detach()


def assert_float32_steps_like_torch(name: str, options: dict, gradient: str) -> None:
    """mylib's float32 steps equal torch's (to float32 rounding; inf and nan in the same places), without warnings."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        mine = float32_steps("mylib", name, options, FLOAT32_GRADIENTS[gradient])
    theirs = float32_steps("torch", name, options, FLOAT32_GRADIENTS[gradient])
    # float32 rounding (torch fuses multiply-adds) differs in the last bits; inf and nan must sit where torch's do
    assert_same(mine, theirs, f"{call(name, options)} in float32, first gradient {gradient}", rtol=1e-5, atol=0,
                equal_nan=True)


def assert_duplicate_steps_like_torch(name: str, options: dict) -> None:
    """Optimizer([p, p]) warns about duplicate parameters, as torch's does, and moves p exactly as torch's over 3 steps."""
    import pytest
    from mylib import optim
    from mylib.tensor import Tensor
    p, q = Tensor(np.array([1.0, -2.0]), requires_grad=True), torch.tensor([1.0, -2.0], dtype=torch.float64,
                                                                             requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        mine = getattr(optim, name)([p, p], **options)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        theirs = getattr(torch.optim, name)([q, q], **options, foreach=False)
    for step, g in enumerate(([1.0, -2.0], [0.5, 3.0], [-1.0, 1.0]), start=1):
        p.grad, q.grad = Tensor(np.array(g)), torch.tensor(g, dtype=torch.float64)
        mine.step()
        theirs.step()
        assert_same(p, q, f"{call(name, options)} over [p, p], after step {step}")
