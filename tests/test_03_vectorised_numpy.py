"""Lesson 03 (mylib.manual): the vectorised linear model, its gradient and gradient descent against
torch.autograd / nn.Linear + optim.SGD in float64; standardisation; and the error messages."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from tests.compare import assert_same
from mylib.manual import linreg_forward, linreg_gd, linreg_grad, standardize

F = torch.nn.functional


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@given(n=st.integers(1, 20), d=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_linreg_grad_matches_autograd(n, d, seed):
    """linreg_grad(X, y, w, b) equals torch's gradient of the MSE of X @ w + b, on random data."""
    rng = np.random.default_rng(seed)
    X, y, w, b = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d), rng.normal()
    w_t, b_t = t64(w, True), t64(b, True)
    F.mse_loss(t64(X) @ w_t + b_t, t64(y)).backward()
    grad_w, grad_b = linreg_grad(X, y, w, b)
    assert_same(grad_w, w_t.grad, f"grad_w of linreg_grad(X, y, w, b) for X of shape ({n}, {d})")
    assert_same(grad_b, b_t.grad, f"grad_b of linreg_grad(X, y, w, b) for X of shape ({n}, {d})")
    assert_same(linreg_forward(X, w, b), (t64(X) @ w_t + b_t).detach(), f"linreg_forward(X, w, b), X of shape ({n}, {d})")


def test_linreg_gd_equals_nn_linear_and_sgd_step_for_step():
    """linreg_gd takes the same 30 steps as nn.Linear + nn.MSELoss + optim.SGD."""
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
    expected_thetas, expected_losses = [], []
    for _ in range(steps + 1):
        expected_thetas.append(torch.cat([model.weight.detach().ravel(), model.bias.detach()]).clone())
        loss = crit(model(X_t), y_t)
        expected_losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    what = f"linreg_gd(X ({n}, {d}), y, w0, b0, lr={lr}, epochs={steps})"
    assert_same(thetas, torch.stack(expected_thetas), f"{what}: the (w, b) after each step")
    assert_same(losses, torch.tensor(expected_losses, dtype=torch.float64), f"{what}: the loss after each step")
    assert_same(w, expected_thetas[-1][:d], f"{what}: the final w")
    assert_same(b, expected_thetas[-1][d], f"{what}: the final b")


def test_linreg_gd_reaches_least_squares_on_standardized_data():
    """On standardised features linreg_gd reaches the least-squares predictions."""
    rng = np.random.default_rng(3)
    X = rng.normal(loc=[5.0, -20.0, 100.0], scale=[1.0, 10.0, 50.0], size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3 + rng.normal(size=200)
    Xs, _, _ = standardize(X)
    w, b, _, _ = linreg_gd(Xs, y, np.zeros(3), 0.0, lr=0.4, epochs=500)
    design = torch.cat([t64(X), torch.ones(200, 1, dtype=torch.float64)], dim=1)
    theta = torch.linalg.lstsq(design, t64(y)[:, None]).solution.ravel()
    assert_same(linreg_forward(Xs, w, b), design @ theta,
                "predictions of linreg_gd after 500 steps on standardised X vs torch.linalg.lstsq's", rtol=1e-9, atol=1e-9)


@given(n=st.integers(2, 30), d=st.integers(1, 4), seed=st.integers(0, 2**31 - 1))
def test_standardize_matches_torch(n, d, seed):
    """standardize(X) equals torch's (X - X.mean(0)) / X.std(0, correction=0) and returns the statistics."""
    X = np.random.default_rng(seed).normal(3.0, 7.0, size=(n, d))
    Xs, mean, std = standardize(X)
    X_t = t64(X)
    assert_same(Xs, (X_t - X_t.mean(0)) / X_t.std(0, correction=0), f"standardize(X) for X of shape ({n}, {d})")
    assert_same(mean, X_t.mean(0), f"the mean returned by standardize(X) for X of shape ({n}, {d})")
    assert_same(std, X_t.std(0, correction=0), f"the std returned by standardize(X) for X of shape ({n}, {d})")


def test_standardize_reuses_given_statistics():
    """standardize(X_new, mean, std) scales new data with the training set's mean and std."""
    X = np.random.default_rng(4).normal(3.0, 7.0, size=(50, 4))
    _, mean, std = standardize(X)
    X_new = X[:5] * 2
    got, mean_used, std_used = standardize(X_new, mean, std)
    assert_same(got, (t64(X_new) - t64(mean)) / t64(std), "standardize(X_new, mean, std) with the training statistics")
    assert_same(mean_used, t64(mean), "the mean returned by standardize(X_new, mean, std)")
    assert_same(std_used, t64(std), "the std returned by standardize(X_new, mean, std)")


@pytest.mark.parametrize("call, message", [
    (lambda: linreg_grad(np.ones((3, 2)), np.ones(4), np.ones(2)), r"X and y must have the same length"),
    (lambda: linreg_grad(np.ones((3, 2)), np.ones(3), np.ones(3)), r"w must have shape \(2,\)"),
    (lambda: linreg_forward(np.ones(3), np.ones(3)), r"X must be a 2-D array"),
    (lambda: linreg_gd(np.ones((3, 2)), np.ones(3), np.zeros(2), 0.0, float("nan"), 5), r"lr must be"),
    (lambda: standardize(np.c_[np.arange(3.0), np.ones(3)]), r"std must be positive; columns \[1\]"),
    (lambda: standardize(np.ones((3, 2)), mean=np.zeros(3)), r"mean must have shape \(2,\)"),
    (lambda: standardize(np.ones(3)), r"X must be a 2-D array"),
    (lambda: standardize(np.ones((3, 2)), std=np.array([1.0, 0.0])), r"std must be positive; columns \[1\]"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    """Bad input (mismatched shapes, a constant column, a bad lr) raises a clear ValueError."""
    with pytest.raises(ValueError, match=message):
        call()


def test_linreg_grad_needs_examples_and_standardize_finite_columns():
    """A gradient over no rows and a column with nan are refused; a prediction for no rows is empty."""
    with pytest.raises(ValueError, match="X has no rows"):
        linreg_grad(np.zeros((0, 2)), np.zeros(0), np.zeros(2))
    assert linreg_forward(np.zeros((0, 2)), np.zeros(2)).shape == (0,)
    X = np.array([[1.0, 2.0], [np.nan, 3.0], [2.0, 5.0]])
    with pytest.raises(ValueError, match=r"columns \[0\] have nan or inf"):
        standardize(X)
