"""Lessons 02–03 (mylib.manual): hand-derived gradients, finite differences and gradient descent
against torch.autograd / torch.optim in float64, on random inputs; and the error messages."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch.testing import assert_close

from mylib.manual import (gradient_descent, l1_partial_b, l1_partial_k, linreg_forward, linreg_gd, linreg_grad,
                          mse_grad_w, numerical_grad, partial_b, partial_k, standardize)

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


@given(n=st.integers(1, 20), d=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_linreg_grad_matches_autograd(n, d, seed):
    rng = np.random.default_rng(seed)
    X, y, w, b = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d), rng.normal()
    w_t, b_t = t64(w, True), t64(b, True)
    F.mse_loss(t64(X) @ w_t + b_t, t64(y)).backward()
    grad_w, grad_b = linreg_grad(X, y, w, b)
    assert grad_w.shape == (d,)
    assert_close(torch.from_numpy(grad_w), w_t.grad, **TIGHT)
    assert_close(grad_b, b_t.grad.item(), **TIGHT)
    assert_close(torch.from_numpy(linreg_forward(X, w, b)), (t64(X) @ w_t + b_t).detach(), **TIGHT)


def test_linreg_gd_equals_nn_linear_and_sgd_step_for_step():
    rng = np.random.default_rng(2)
    n, d, steps, lr = 40, 3, 30, 0.1
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    w0, b0 = rng.normal(size=d), rng.normal()
    w, b, thetas, losses = linreg_gd(X, y, w0, b0, lr, steps)
    model = torch.nn.Linear(d, 1).double()
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(w0).reshape(1, d))
        model.bias.fill_(b0)
    opt, crit = torch.optim.SGD(model.parameters(), lr=lr), torch.nn.MSELoss()
    X_t, y_t = t64(X), t64(y).reshape(-1, 1)
    for step in range(steps):
        theta = torch.cat([model.weight.detach().ravel(), model.bias.detach()])
        assert_close(torch.from_numpy(thetas[step]), theta, **TIGHT)
        loss = crit(model(X_t), y_t)
        assert_close(losses[step], loss.item(), **TIGHT)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert_close(torch.from_numpy(w), model.weight.detach().ravel(), **TIGHT)
    assert_close(b, model.bias.item(), **TIGHT)


def test_linreg_gd_reaches_least_squares_on_standardized_data():
    rng = np.random.default_rng(3)
    X = rng.normal(loc=[5.0, -20.0, 100.0], scale=[1.0, 10.0, 50.0], size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3 + rng.normal(size=200)
    Xs, _, _ = standardize(X)
    w, b, _, _ = linreg_gd(Xs, y, np.zeros(3), 0.0, lr=0.4, epochs=500)
    theta = np.linalg.lstsq(np.c_[X, np.ones(200)], y, rcond=None)[0]
    np.testing.assert_allclose(linreg_forward(Xs, w, b), np.c_[X, np.ones(200)] @ theta, rtol=1e-9)


def test_standardize_matches_torch_and_reuses_statistics():
    X = np.random.default_rng(4).normal(3.0, 7.0, size=(50, 4))
    Xs, mean, std = standardize(X)
    X_t = t64(X)
    assert_close(torch.from_numpy(Xs), (X_t - X_t.mean(0)) / X_t.std(0, unbiased=False), **TIGHT)
    X_new = X[:5] * 2
    assert_close(torch.from_numpy(standardize(X_new, mean, std)[0]), torch.from_numpy((X_new - mean) / std), **TIGHT)


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
    (lambda: linreg_grad(np.ones((3, 2)), np.ones(4), np.ones(2)), r"X and y must have the same length"),
    (lambda: linreg_grad(np.ones((3, 2)), np.ones(3), np.ones(3)), r"w must have shape \(2,\)"),
    (lambda: linreg_forward(np.ones(3), np.ones(3)), r"X must be a 2-D array"),
    (lambda: linreg_gd(np.ones((3, 2)), np.ones(3), np.zeros(2), 0.0, float("nan"), 5), r"lr must be"),
    (lambda: standardize(np.c_[np.arange(3.0), np.ones(3)]), r"std must be positive; columns \[1\]"),
    (lambda: standardize(np.ones((3, 2)), mean=np.zeros(3)), r"mean must have shape \(2,\)"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_linreg_grad_needs_examples_and_standardize_finite_columns():
    with pytest.raises(ValueError, match="X has no rows"):
        linreg_grad(np.zeros((0, 2)), np.zeros(0), np.zeros(2))
    assert linreg_forward(np.zeros((0, 2)), np.zeros(2)).shape == (0,)
    X = np.array([[1.0, 2.0], [np.nan, 3.0], [2.0, 5.0]])
    with pytest.raises(ValueError, match=r"columns \[0\] have nan or inf"):
        standardize(X)
