"""Lesson 03 (mylib.manual): the vectorised linear model, its gradient and gradient descent against
torch.autograd / nn.Linear + optim.SGD in float64; standardisation; and the error messages."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from torch.testing import assert_close

from mylib.manual import linreg_forward, linreg_gd, linreg_grad, standardize

TIGHT = dict(rtol=1e-7, atol=1e-9)
F = torch.nn.functional


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


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
