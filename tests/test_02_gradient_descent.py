"""Lesson 02 (mylib.manual): hand-derived gradients, finite differences and gradient descent
against torch.autograd in float64, on random inputs; and the error messages."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch.testing import assert_close

from mylib.manual import (gradient_descent, l1_partial_b, l1_partial_k, mse_grad_w, numerical_grad, partial_b,
                          partial_k)

TIGHT = dict(rtol=1e-7, atol=1e-9)
F = torch.nn.functional


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@given(n=st.integers(1, 30), seed=st.integers(0, 2**31 - 1))
def test_mse_grad_w_matches_autograd(n, seed):
    rng = np.random.default_rng(seed)
    x, y, w = rng.normal(size=n), rng.normal(size=n), rng.normal()
    w_t = t64(w, grad=True)
    F.mse_loss(t64(x) * w_t, t64(y)).backward()
    assert_close(mse_grad_w(x, y, w), w_t.grad.item(), **TIGHT)


@pytest.mark.parametrize("loss, grad_k, grad_b", [(F.mse_loss, partial_k, partial_b),
                                                  (F.l1_loss, l1_partial_k, l1_partial_b)])
@given(n=st.integers(1, 30), seed=st.integers(0, 2**31 - 1))
def test_partials_match_autograd(loss, grad_k, grad_b, n, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n)
    k, b = rng.normal(size=2)
    k_t, b_t = t64(k, True), t64(b, True)
    loss(k_t * t64(x) + b_t, t64(y)).backward()
    y_hat = k * x + b
    assert_close(grad_k(x, y, y_hat), k_t.grad.item(), **TIGHT)
    assert_close(grad_b(y, y_hat), b_t.grad.item(), **TIGHT)


def test_l1_partials_use_sign_zero_at_a_tie_like_torch():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    k_t, b_t = t64(2.0, True), t64(0.0, True)
    F.l1_loss(k_t * t64(x) + b_t, t64(y)).backward()  # every residual is exactly 0
    assert (l1_partial_k(x, y, 2 * x), l1_partial_b(y, 2 * x)) == (k_t.grad.item(), b_t.grad.item()) == (0.0, 0.0)


@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), seed=st.integers(0, 2**31 - 1))
def test_numerical_grad_matches_autograd_any_shape(shape, seed):
    a = np.random.default_rng(seed).normal(size=shape)
    a_t = t64(a, True)
    (torch.sin(a_t) * a_t**2).sum().backward()
    num = numerical_grad(lambda v: np.sum(np.sin(v) * v**2), a)
    assert np.shape(num) == a.shape
    assert_close(torch.as_tensor(num, dtype=torch.float64), a_t.grad, rtol=1e-6, atol=1e-8)


def test_numerical_grad_scalar_returns_float_and_leaves_input_alone():
    g = numerical_grad(lambda v: v**3, 2.0)
    assert isinstance(g, float) and abs(g - 12.0) < 1e-8
    a = np.array([1.0, 2.0])
    numerical_grad(lambda v: np.sum(v**2), a)
    assert a.tolist() == [1.0, 2.0]


def test_gradient_descent_matches_a_torch_loop():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=8), rng.normal(size=8)
    ws, losses = gradient_descent(lambda w: np.mean((x * w - y) ** 2), lambda w: mse_grad_w(x, y, w), 1.0, 0.05, 40)
    w_t, torch_ws, torch_losses = t64(1.0, True), [1.0], []
    for _ in range(40):
        loss = F.mse_loss(t64(x) * w_t, t64(y))
        loss.backward()
        w_t.data -= 0.05 * w_t.grad
        w_t.grad.zero_()
        torch_ws.append(w_t.item())
        torch_losses.append(loss.item())
    assert ws.shape == (41,) and losses.shape == (41,)
    assert_close(torch.tensor(torch_ws, dtype=torch.float64), torch.from_numpy(ws), **TIGHT)
    assert_close(torch.tensor(torch_losses, dtype=torch.float64), torch.from_numpy(losses[:-1]), **TIGHT)


def test_gradient_descent_on_toy_data_predicts_8():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    ws, _ = gradient_descent(lambda w: np.mean((x * w - y) ** 2), lambda w: mse_grad_w(x, y, w), 1.0, 0.01, 100)
    assert abs(4 * ws[-1] - 8) < 1e-3


def test_largest_stable_rate_is_two_over_curvature():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    limit = 2 / (2 * np.mean(x**2))
    run = lambda lr: gradient_descent(lambda w: np.mean((x * w - y) ** 2), lambda w: mse_grad_w(x, y, w), 1.0, lr, 50)[1]
    assert run(0.99 * limit)[-1] < run(0.99 * limit)[0]
    assert run(1.01 * limit)[-1] > run(1.01 * limit)[0]


@pytest.mark.parametrize("call, message", [
    (lambda: mse_grad_w([1, 2, 3], [1, 2], 1.0), r"x and y must have the same length"),
    (lambda: partial_k([1, 2, 3], [1, 2, 3], [1, 2]), r"y and y_hat must have the same length"),
    (lambda: partial_k([1, 2], [1, 2, 3], [1, 2, 3]), r"x and y must have the same length"),
    (lambda: partial_b([1, 2, 3], [1, 2]), r"y and y_hat"),
    (lambda: l1_partial_k([1], [1, 2], [1, 2]), r"x and y"),
    (lambda: l1_partial_b([1, 2], [1]), r"y and y_hat"),
    (lambda: numerical_grad(np.sin, 1.0, eps=0.0), r"eps must be a positive finite number"),
    (lambda: numerical_grad(np.sin, 1.0, eps=-1e-6), r"eps must be"),
    (lambda: numerical_grad(lambda v: v * np.ones(2), 1.0), r"f must return a scalar"),
    (lambda: gradient_descent(np.sin, np.cos, 0.0, float("nan"), 3), r"lr must be a non-negative finite number"),
    (lambda: gradient_descent(np.sin, np.cos, 0.0, float("inf"), 3), r"lr must be"),
    (lambda: gradient_descent(np.sin, np.cos, 0.0, -0.1, 3), r"lr must be"),
    (lambda: gradient_descent(np.sin, np.cos, 0.0, 0.1, -1), r"epochs must be a non-negative integer"),
    (lambda: gradient_descent(np.sin, np.cos, 0.0, True, 3), r"lr must be a non-negative finite number, got lr=True"),
    (lambda: gradient_descent(np.sin, np.cos, 0.0, 0.1, True), r"epochs must be a non-negative integer, got epochs=True"),
    (lambda: partial_b([], []), r"y and y_hat are empty: a gradient needs at least one example"),
    (lambda: partial_k([], [], []), r"y and y_hat are empty"),
    (lambda: mse_grad_w([], [], 1.0), r"x and y are empty"),
    (lambda: l1_partial_b([], []), r"y and y_hat are empty"),
    (lambda: partial_b(3.0, 2.0), r"partial_b: y and y_hat must be 1-D arrays of examples, got shape \(\)"),
    (lambda: partial_k(1.0, 3.0, 2.0), r"partial_k: y and y_hat must be 1-D arrays of examples, got shape \(\)"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
