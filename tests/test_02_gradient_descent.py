"""Lesson 02 (mylib.manual): hand-derived gradients, finite differences and gradient descent
against torch.autograd in float64, on random inputs; and the error messages."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from tests.compare import assert_same
from mylib.manual import (gradient_descent, l1_partial_b, l1_partial_k, mse_grad_w, numerical_grad, partial_b,
                          partial_k)

F = torch.nn.functional
FINITE_DIFFERENCES = dict(rtol=1e-6, atol=1e-8)  # the accuracy of a central difference with eps = 1e-6


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


@given(n=st.integers(1, 30), seed=st.integers(0, 2**31 - 1))
def test_mse_grad_w_matches_autograd(n, seed):
    """mse_grad_w(x, y, w) equals torch's gradient of the MSE of y_hat = w*x, on random data."""
    rng = np.random.default_rng(seed)
    x, y, w = rng.normal(size=n), rng.normal(size=n), rng.normal()
    w_t = t64(w, grad=True)
    F.mse_loss(t64(x) * w_t, t64(y)).backward()
    assert_same(mse_grad_w(x, y, w), w_t.grad, f"mse_grad_w(x, y, w={w:.4g}) on {n} random point{'s' * (n != 1)}")


def test_mse_grad_w_on_the_seed_data():
    """mse_grad_w on the seed's x = [1, 2, 3], y = [2, 4, 6]: -28/3 at w = 1, 0 at w = 2."""
    x, y = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
    for w, expected in [(1.0, -28 / 3), (2.0, 0.0), (3.0, 28 / 3)]:
        assert_same(mse_grad_w(x, y, w), torch.tensor(expected, dtype=torch.float64),
                    f"mse_grad_w([1, 2, 3], [2, 4, 6], w={w})")


@pytest.mark.parametrize("loss, grad_k, grad_b", [(F.mse_loss, partial_k, partial_b),
                                                  (F.l1_loss, l1_partial_k, l1_partial_b)], ids=["mse", "l1"])
@given(n=st.integers(1, 30), seed=st.integers(0, 2**31 - 1))
def test_partials_match_autograd(loss, grad_k, grad_b, n, seed):
    """partial_k and partial_b (and the L1 ones) equal torch's gradients for y_hat = k*x + b."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n)
    k, b = rng.normal(size=2)
    k_t, b_t = t64(k, True), t64(b, True)
    loss(k_t * t64(x) + b_t, t64(y)).backward()
    y_hat = k * x + b
    where = f"at k={k:.4g}, b={b:.4g} on {n} random point{'s' * (n != 1)}"
    assert_same(grad_k(x, y, y_hat), k_t.grad, f"{grad_k.__name__}(x, y, y_hat) {where}")
    assert_same(grad_b(y, y_hat), b_t.grad, f"{grad_b.__name__}(y, y_hat) {where}")


def test_l1_partials_use_sign_zero_at_a_tie_like_torch():
    """At a perfect fit the L1 partials are 0, as torch's (sign(0) = 0)."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    k_t, b_t = t64(2.0, True), t64(0.0, True)
    F.l1_loss(k_t * t64(x) + b_t, t64(y)).backward()  # every residual is exactly 0
    assert (l1_partial_k(x, y, 2 * x), l1_partial_b(y, 2 * x)) == (k_t.grad.item(), b_t.grad.item()) == (0.0, 0.0)


@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), seed=st.integers(0, 2**31 - 1))
def test_numerical_grad_matches_autograd_any_shape(shape, seed):
    """numerical_grad of sum(sin(a)*a**2) equals torch's gradient, for arrays of any shape."""
    a = np.random.default_rng(seed).normal(size=shape)
    a_t = t64(a, True)
    (torch.sin(a_t) * a_t**2).sum().backward()
    got = numerical_grad(lambda v: np.sum(np.sin(v) * v**2), a)
    assert_same(got, a_t.grad, f"numerical_grad(sum(sin(a)*a**2), a) for a of shape {tuple(shape)}",
                **FINITE_DIFFERENCES)


def test_numerical_grad_restores_each_element_and_is_central():
    """numerical_grad puts each element back before nudging the next, and uses central differences."""
    # coupled elements (v0*v1 + v1*v2) catch a missing restore; the steep 500*v3**2 catches a one-sided difference
    a = np.array([1e-3, 2.0, 1e-3, 1e-3])
    a_t = t64(a, True)
    (a_t[0] * a_t[1] + a_t[1] * a_t[2] + 500 * a_t[3] ** 2).backward()
    got = numerical_grad(lambda v: v[0] * v[1] + v[1] * v[2] + 500 * v[3] ** 2, a)
    assert_same(got, a_t.grad, "numerical_grad(v0*v1 + v1*v2 + 500*v3**2) at v = (0.001, 2, 0.001, 0.001)",
                **FINITE_DIFFERENCES)


def test_numerical_grad_scalar_returns_float_and_leaves_input_alone():
    """numerical_grad returns a float for a scalar x and does not change an array x."""
    g = numerical_grad(lambda v: v**3, 2.0)
    assert isinstance(g, float), f"numerical_grad(v**3, 2.0) must return a float, got {type(g).__name__}"
    assert abs(g - 12.0) < 1e-8, f"numerical_grad(v**3, 2.0): expected 12.0, got {g}"
    a = np.array([1.0, 2.0])
    numerical_grad(lambda v: np.sum(v**2), a)
    assert a.tolist() == [1.0, 2.0], f"numerical_grad changed its input to {a.tolist()}"


def test_gradient_descent_matches_a_torch_loop():
    """gradient_descent takes the same 40 steps as seed 002's PyTorch loop (w.data -= lr * w.grad)."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=8), rng.normal(size=8)
    ws, losses = gradient_descent(lambda w: np.mean((x * w - y) ** 2), lambda w: np.mean(2 * x * (x * w - y)),
                                  1.0, 0.05, 40)
    w_t, torch_ws, torch_losses = t64(1.0, True), [1.0], []
    for _ in range(40):
        loss = F.mse_loss(t64(x) * w_t, t64(y))
        loss.backward()
        w_t.data -= 0.05 * w_t.grad
        w_t.grad.zero_()
        torch_ws.append(w_t.item())
        torch_losses.append(loss.item())
    torch_losses.append(F.mse_loss(t64(x) * w_t, t64(y)).item())
    what = "gradient_descent(loss, grad, w0=1.0, lr=0.05, epochs=40)"
    assert_same(ws, torch.tensor(torch_ws, dtype=torch.float64), f"{what}: the w after each step")
    assert_same(losses, torch.tensor(torch_losses, dtype=torch.float64), f"{what}: the loss after each step")


def test_gradient_descent_with_two_parameters_matches_torch():
    """gradient_descent on (k, b) with partial_k/partial_b takes the same steps as torch."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(3, 9, size=30), rng.normal(20, 5, size=30)

    def grad(p):
        y_hat = p[0] * x + p[1]
        return np.array([partial_k(x, y, y_hat), partial_b(y, y_hat)])

    params, _ = gradient_descent(lambda p: np.mean((p[0] * x + p[1] - y) ** 2), grad, [1.0, -2.0], 0.01, 50)
    k_t, b_t, expected = t64(1.0, True), t64(-2.0, True), [[1.0, -2.0]]
    for _ in range(50):
        F.mse_loss(k_t * t64(x) + b_t, t64(y)).backward()
        for p in (k_t, b_t):
            p.data -= 0.01 * p.grad
            p.grad.zero_()
        expected.append([k_t.item(), b_t.item()])
    assert_same(params, torch.tensor(expected, dtype=torch.float64),
                "gradient_descent on (k, b) from (1, -2), lr=0.01, 50 epochs: the parameters after each step")


def test_gradient_descent_on_toy_data_predicts_8():
    """Seed 002's run (w0=1, lr=0.01, 100 epochs) predicts 8 for x = 4."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    ws, _ = gradient_descent(lambda w: np.mean((x * w - y) ** 2), lambda w: mse_grad_w(x, y, w), 1.0, 0.01, 100)
    assert ws.shape == (101,), f"100 epochs give 101 parameters (w0 and one per step), got shape {ws.shape}"
    assert abs(4 * ws[-1] - 8) < 1e-3, f"after 100 epochs the prediction for x = 4 should be 8, got {4 * ws[-1]}"


def test_largest_stable_rate_is_two_over_curvature():
    """Gradient descent converges just below lr = 2/h and diverges just above it."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    limit = 2 / (2 * np.mean(x**2))
    run = lambda lr: gradient_descent(lambda w: np.mean((x * w - y) ** 2), lambda w: mse_grad_w(x, y, w), 1.0, lr, 50)[1]
    assert run(0.99 * limit)[-1] < run(0.99 * limit)[0], "lr = 0.99 * 2/h must lower the loss"
    assert run(1.01 * limit)[-1] > run(1.01 * limit)[0], "lr = 1.01 * 2/h must raise the loss"


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
    """Bad input (mismatched lengths, empty data, a bad eps, lr or epochs) raises a clear ValueError."""
    with pytest.raises(ValueError, match=message):
        call()
