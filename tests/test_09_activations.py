"""mylib.functional (lesson 09) against PyTorch.

First the pieces you write — `LeakyReLU`, `_log_softmax`, the backward of `Softmax` and
`LogSoftmax` — then every activation and its gradient against torch's
(`torch.nn.functional`, `torch.special`, or the torch composition / closed-form derivative of the
formula where torch has no such function), in float64 with rtol=1e-7, atol=1e-9, on extreme
inputs and on hypothesis-generated shapes; float32 stays float32; nothing overflows or warns at
±1e4; `gradcheck` agrees; bad arguments raise clear errors.
"""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mylib.functional as F
from mylib import Tensor, gradcheck
from tests.compare import assert_same

PI = math.pi
FLOAT32 = dict(rtol=None, atol=None)  # torch's float32 tolerances
EXTREMES = np.array([-1e4, -1e3, -710, -100, -30, -20, -10, -2.5, -1, -1e-8, 0, 1e-8, 1, 2.5, 10, 20, 30, 100,
                     710, 1e3, 1e4])
RAISE_ON_OVERFLOW = dict(over="raise", invalid="raise", divide="raise")  # underflow to 0 is the right answer


def shown(x: np.ndarray) -> str:
    """How a test names its input in a failure message."""
    extremes = " with entries up to ±1e4" if x.size and np.abs(x).max() >= 1e4 else ""
    return f"an input of shape {x.shape} ({x.dtype}){extremes}"


def first_difference(got, expected: torch.Tensor, x: np.ndarray) -> str:
    """Where an array result first differs from torch's, said with the input there ('' if nowhere)."""
    got, want = np.asarray(getattr(got, "data", got)), expected.detach().numpy()
    if got.shape != want.shape or got.shape != x.shape or got.size == 0:
        return ""
    tight = x.dtype == np.float64
    differs = ~np.isclose(got, want, rtol=1e-7 if tight else 1.3e-6, atol=1e-9 if tight else 1e-5, equal_nan=True)
    if not differs.any():
        return ""
    i = np.unravel_index(np.argmax(differs), differs.shape)
    return f" (first difference at index {tuple(map(int, i))}, where x = {x[i]:g}: torch {want[i]:.6g}, yours {got[i]:.6g})"


def assert_matches_torch(fn, torch_fn, x, what, torch_grad=None, seed=0, **tolerance):
    """Same output, input gradient (for a random upstream gradient dL/dy), shape and dtype as torch."""
    x = np.asarray(x)
    mine_x = Tensor(x, requires_grad=True)
    mine_y = fn(mine_x)
    upstream = np.asarray(np.random.default_rng(seed).standard_normal(mine_y.shape)).astype(x.dtype)
    torch_x = torch.tensor(x, requires_grad=True)
    torch_y = torch_fn(torch_x)
    assert_same(mine_y, torch_y, f"{what} on {shown(x)}{first_difference(mine_y, torch_y, x)}", **tolerance)
    mine_y.backward(upstream)
    if torch_grad is None:
        torch_y.backward(torch.tensor(upstream))
        expected_grad = torch_x.grad
    else:
        expected_grad = torch.tensor(upstream) * torch_grad(torch_x.detach())
    assert_same(mine_x.grad, expected_grad, f"the gradient of {what} on {shown(x)}, for a random dL/dy"
                f"{first_difference(mine_x.grad, expected_grad, x)}", **tolerance)


# ---------------------------------------------------------------- build piece 1: LeakyReLU

def test_relu_and_leaky_relu_gradients_at_zero_follow_torch():
    """At x = 0 the gradient of leaky_relu is negative_slope and that of relu is 0, as in torch."""
    x = Tensor(np.zeros(3), requires_grad=True)
    F.leaky_relu(x, 0.3).sum().backward()
    torch_x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    TF.leaky_relu(torch_x, 0.3).sum().backward()
    assert_same(x.grad, torch_x.grad, "the gradient of leaky_relu(x, 0.3) at x = 0")
    x.grad = None
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0, err_msg="the gradient of relu at x = 0 must be 0, as in torch")


@pytest.mark.parametrize("slope", [0.01, 0.2, -1.5, 0.0, 1.0])
def test_leaky_relu_equals_torch(slope):
    """leaky_relu(x, negative_slope) and its gradient equal torch's, at 0 and at ±1e4 too."""
    x = np.concatenate([EXTREMES, np.random.default_rng(1).standard_normal(50) * 5])
    assert_matches_torch(lambda t: F.leaky_relu(t, slope), lambda t: TF.leaky_relu(t, slope), x,
                         f"leaky_relu(x, negative_slope={slope})")


def test_leaky_relu_keeps_float32():
    """leaky_relu keeps a float32 input float32, values and gradient (multiply by the Python float slope)."""
    x = np.concatenate([EXTREMES, np.random.default_rng(2).standard_normal(20) * 5]).astype(np.float32)
    assert_matches_torch(lambda t: F.leaky_relu(t, 0.1), lambda t: TF.leaky_relu(t, 0.1), x,
                         "leaky_relu(x, 0.1) in float32", **FLOAT32)


# ---------------------------------------------------------------- build piece 2: _log_softmax

HUGE_ROWS = np.array([[1e4, -1e4, 0.0, 5.0, 1e4], [-1e4] * 5, [3.0, 1.0, -2.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.4, 0.5]])


@pytest.mark.parametrize("axis", [1, 0, -1])
def test_log_softmax_core_equals_torch(axis):
    """_log_softmax(x, axis) equals torch's log_softmax, with no overflow, also for entries of ±1e4."""
    with warnings.catch_warnings(), np.errstate(**RAISE_ON_OVERFLOW):
        warnings.simplefilter("error")
        got = F._log_softmax(HUGE_ROWS, axis)
    expected = TF.log_softmax(torch.from_numpy(HUGE_ROWS), axis)
    assert_same(got, expected, f"_log_softmax(x, axis={axis}) on x = {HUGE_ROWS.tolist()}"
                f"{first_difference(got, expected, HUGE_ROWS)}")


def test_log_softmax_core_on_3d_and_0d_arrays():
    """_log_softmax works along every axis of a 3-D array, and on a 0-d array (axis=None)."""
    x = np.random.default_rng(3).standard_normal((2, 3, 4)) * 3
    for axis in (0, 1, 2):
        assert_same(F._log_softmax(x, axis), TF.log_softmax(torch.from_numpy(x), axis),
                    f"_log_softmax(x, axis={axis}) on an array of shape (2, 3, 4)")
    assert_same(F._log_softmax(np.array(2.5), None), TF.log_softmax(torch.tensor(2.5, dtype=torch.float64), 0),
                "_log_softmax(np.array(2.5), axis=None)")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_values_equal_torch(dim):
    """softmax(x, dim) and log_softmax(x, dim) equal torch's, and each softmax row sums to 1."""
    for ours, theirs in ((F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)):
        assert_same(ours(Tensor(HUGE_ROWS), dim), theirs(torch.from_numpy(HUGE_ROWS), dim),
                    f"{ours.__name__}(x, dim={dim}) on x = {HUGE_ROWS.tolist()}")
    np.testing.assert_allclose(F.softmax(Tensor(HUGE_ROWS), dim=1).data.sum(axis=1), 1, rtol=1e-15)


# ---------------------------------------------------------------- build piece 3: the backward of Softmax, LogSoftmax

@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_softmax_and_log_softmax_gradients_equal_torch(dim):
    """The gradients of softmax and log_softmax equal torch's along every dim, for a random dL/dy."""
    x = np.random.default_rng(4).standard_normal((3, 4, 5)) * 3
    x[0, 0, :] = [1e4, -1e4, 0, 5, 1e4]
    x[1, :, 2] = -1e4
    for x in (x, HUGE_ROWS) if dim != 2 else (x,):
        assert_matches_torch(lambda t: F.softmax(t, dim), lambda t: TF.softmax(t, dim), x, f"softmax(x, dim={dim})")
        assert_matches_torch(lambda t: F.log_softmax(t, dim), lambda t: TF.log_softmax(t, dim), x,
                             f"log_softmax(x, dim={dim})")


def test_softmax_backward_is_the_jacobian_product():
    """softmax's backward on [1, 2, 3] gives g @ J with the Jacobian J[i, j] = y_i (δ_ij - y_j)."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = F.softmax(x, 0)
    g = np.array([0.5, -1.0, 2.0])
    y.backward(g)
    jacobian = np.diag(y.data) - np.outer(y.data, y.data)
    assert_same(x.grad, torch.from_numpy(g @ jacobian), "the gradient of softmax([1, 2, 3], 0) for dL/dy = [0.5, -1, 2]")


# ---------------------------------------------------------------- every function against torch

# name -> (mylib function, torch function, closed-form torch derivative or None for torch's autograd)
ELEMENTWISE = {
    "relu": (F.relu, TF.relu, None),
    "sigmoid": (F.sigmoid, torch.sigmoid, None),
    "tanh": (F.tanh, torch.tanh, None),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu, None),
    "leaky_relu(0.2)": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), None),
    "leaky_relu(-1.5)": (lambda x: F.leaky_relu(x, negative_slope=-1.5), lambda x: TF.leaky_relu(x, -1.5), None),
    "softplus": (F.softplus, TF.softplus, None),
    "softplus(2, 5)": (lambda x: F.softplus(x, beta=2, threshold=5), lambda x: TF.softplus(x, 2, 5), None),
    "softplus(-0.5)": (lambda x: F.softplus(x, -0.5), lambda x: TF.softplus(x, -0.5), None),
    "softplus(0.1, 1)": (lambda x: F.softplus(x, 0.1, 1.0), lambda x: TF.softplus(x, 0.1, 1.0), None),
    "softsign": (F.softsign, TF.softsign, None),
    "gelu": (F.gelu, TF.gelu, None),
    "gelu(tanh)": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"), None),
    "erf": (F.erf, torch.special.erf, None),
    "atan": (F.atan, torch.atan, None),
    "erf_activation": (F.erf_activation, lambda x: torch.special.erf(x * (math.sqrt(PI) / 2)),
                       lambda x: torch.exp(-PI * x * x / 4)),
    "algebraic_sigmoid": (F.algebraic_sigmoid, lambda x: x / torch.sqrt(1 + x * x),
                          lambda x: (1 + x * x) ** -1.5),
    "arctan_activation": (F.arctan_activation, lambda x: 2 / PI * torch.atan(PI / 2 * x),
                          lambda x: 1 / (1 + (PI * x / 2) ** 2)),
    # atan(sinh u) is an independent formula for gd(u); its autograd gradient is inf/inf for
    # |u| > 710, so the gradient is compared with the closed form sech(πx/2)
    "gudermannian_activation": (F.gudermannian_activation, lambda x: 2 / PI * torch.atan(torch.sinh(PI / 2 * x)),
                                lambda x: 1 / torch.cosh(PI / 2 * x)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_matches_torch_on_extreme_and_random_values(name):
    """Every activation and its gradient equal torch's, on random values and extremes up to ±1e4."""
    fn, torch_fn, torch_grad = ELEMENTWISE[name]
    x = np.concatenate([EXTREMES, np.random.default_rng(0).standard_normal(100) * 5])
    assert_matches_torch(fn, torch_fn, x, name, torch_grad)


@pytest.mark.parametrize("name", [name for name, case in ELEMENTWISE.items() if case[2] is not None])
def test_closed_form_derivatives_agree_with_torch_autograd_where_it_is_finite(name):
    """The closed-form derivatives used above equal torch's autograd of the formula where it is finite."""
    fn, torch_fn, _ = ELEMENTWISE[name]
    x = np.random.default_rng(1).uniform(-8, 8, 50)
    assert_matches_torch(fn, torch_fn, x, name)  # torch's autograd of the composition, not the closed form


finite_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                           elements=st.floats(-1e4, 1e4, allow_subnormal=False))


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=15)
@given(x=finite_arrays)
def test_elementwise_matches_torch_on_any_shape(name, x):
    """Every activation equals torch's on inputs of any shape, 0-d included."""
    fn, torch_fn, torch_grad = ELEMENTWISE[name]
    assert_matches_torch(fn, torch_fn, x, name, torch_grad)


@settings(max_examples=40)
@given(x=finite_arrays, data=st.data())
def test_softmax_and_log_softmax_match_torch_along_any_dim(x, data):
    """softmax and log_softmax equal torch's on inputs of any shape, along any dim."""
    size = max(x.ndim, 1)
    dim = data.draw(st.integers(-size, size - 1), label="dim")
    assert_matches_torch(lambda t: F.softmax(t, dim), lambda t: TF.softmax(t, dim), x, f"softmax(x, dim={dim})")
    assert_matches_torch(lambda t: F.log_softmax(t, dim), lambda t: TF.log_softmax(t, dim), x,
                         f"log_softmax(x, dim={dim})")


@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((2, 0), 0), ((0,), 0), ((0, 3), 0), ((2, 0, 3), 1)])
def test_softmax_and_log_softmax_of_empty_tensors(shape, dim):
    """An empty reduced dim (or any empty tensor) gives an empty result and gradient, like torch."""
    x = np.zeros(shape)
    assert_matches_torch(lambda t: F.softmax(t, dim), lambda t: TF.softmax(t, dim), x, f"softmax(x, dim={dim})")
    assert_matches_torch(lambda t: F.log_softmax(t, dim), lambda t: TF.log_softmax(t, dim), x,
                         f"log_softmax(x, dim={dim})")


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_float32_stays_float32_and_matches_torch_float32(name):
    """Every activation keeps float32 inputs float32 and agrees with torch's float32 results."""
    fn, torch_fn, torch_grad = ELEMENTWISE[name]
    x = np.concatenate([EXTREMES, np.random.default_rng(2).standard_normal(50) * 5]).astype(np.float32)
    assert_matches_torch(fn, torch_fn, x, f"{name} in float32", torch_grad, **FLOAT32)


@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_float32(dim):
    """softmax and log_softmax keep float32 inputs float32 and agree with torch's float32 results."""
    x = (np.random.default_rng(3).standard_normal((4, 6)) * 10).astype(np.float32)
    x[0, 0] = 1e4
    assert_matches_torch(lambda t: F.softmax(t, dim), lambda t: TF.softmax(t, dim), x,
                         f"softmax(x, dim={dim}) in float32", **FLOAT32)
    assert_matches_torch(lambda t: F.log_softmax(t, dim), lambda t: TF.log_softmax(t, dim), x,
                         f"log_softmax(x, dim={dim}) in float32", **FLOAT32)


ALL_FUNCTIONS = {**{name: fn for name, (fn, _, _) in ELEMENTWISE.items()},
                 "softmax": lambda x: F.softmax(x, 0), "log_softmax": lambda x: F.log_softmax(x, -1)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_no_overflow_and_no_warning_at_1e4(name, dtype):
    """No function overflows or warns at ±1e4, forward or backward (underflow to 0 is allowed).

    Overflow, invalid operations (inf - inf, 0/0) and division by zero raise; underflow to 0 is
    the right answer for e^-1e4 (torch returns 0 too), so it is allowed."""
    x = Tensor(np.array([-1e4, -1e3, -100, 0, 100, 1e3, 1e4], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(**RAISE_ON_OVERFLOW):
        warnings.simplefilter("error")
        y = ALL_FUNCTIONS[name](x)
        y.backward(np.ones(y.shape, dtype=dtype))
    assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all(), \
        f"{name} at ±1e4 ({dtype.__name__}): values {y.data}, gradient {x.grad.data}"


def test_the_naive_formulas_would_have_failed_this_test():
    """The test above can fail: the textbook sigmoid overflows at -1e4."""
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        1 / (1 + np.exp(-np.array([-1e4])))


@pytest.mark.parametrize("name", ["sigmoid", "erf", "atan", "erf_activation", "algebraic_sigmoid",
                                  "arctan_activation", "gudermannian_activation", "softsign", "tanh"])
@pytest.mark.parametrize("dtype, big", [(np.float64, 1e300), (np.float32, 1e30)])
def test_bounded_functions_stay_exact_far_beyond_1e4(name, dtype, big):
    """The bounded functions stay finite at ±1e300 (float64) and ±1e30 (float32), with a gradient of ~0."""
    x = Tensor(np.array([-big, big], dtype=dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = ELEMENTWISE[name][0](x)
        y.backward(np.ones(2, dtype=dtype))
    assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all(), f"{name}({x.data}) = {y.data}"
    assert np.all(np.abs(x.grad.data) < 1e-20), f"the gradient of {name} at {x.data} is {x.grad.data}, not ~0"


def test_softplus_is_exact_where_torch_overflows():
    """A huge threshold makes torch compute log1p(exp(5000)) = inf; the stable formula gives x."""
    x = Tensor(np.array([1e4, 800.0]))
    np.testing.assert_allclose(F.softplus(x, beta=0.5, threshold=2e4).data, [1e4, 800.0], rtol=1e-15)
    x = Tensor(np.array([-1e300, 1e300]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = F.softplus(x, threshold=1e305)
        y.backward(np.ones(2))
    np.testing.assert_array_equal(y.data, [0, 1e300])
    np.testing.assert_array_equal(x.grad.data, [0, 1])
    assert torch.isinf(TF.softplus(torch.tensor([1e4]), beta=0.5, threshold=2e4)).all()


def test_softplus_keeps_tiny_values():
    """softplus(-40) is e^-40 to 1e-15, not 0 (log1p)."""
    np.testing.assert_allclose(F.softplus(Tensor(np.array([-40.0]))).data, [math.exp(-40)], rtol=1e-15)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_gradcheck(name):
    """Finite differences (gradcheck) agree with every activation's backward."""
    # points away from the kinks of relu/leaky_relu (0) and softplus's threshold switch (βx = threshold)
    x = Tensor(np.array([-3.1, -1.7, -0.6, 0.35, 1.3, 2.9]), requires_grad=True)
    assert gradcheck(ELEMENTWISE[name][0], [x])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gradcheck_softmax(dim):
    """Finite differences (gradcheck) agree with the backward of softmax and log_softmax."""
    x = Tensor(np.random.default_rng(4).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.softmax(t, dim), [x])
    assert gradcheck(lambda t: F.log_softmax(t, dim), [x])


def test_family_is_normalised_to_slope_one_and_range_minus_one_one():
    """tanh, softsign and seed 002's family have slope 1 at 0 and tend to ±1."""
    x = Tensor(np.array([-1e4, 0.0, 1e4]), requires_grad=True)
    for fn in (F.tanh, F.softsign, F.erf_activation, F.algebraic_sigmoid, F.arctan_activation,
               F.gudermannian_activation):
        x.grad = None
        y = fn(x)
        y.backward(np.array([0.0, 1.0, 0.0]))
        assert x.grad.data[1] == pytest.approx(1, rel=1e-15), fn.__name__
        # The tails reach ±1 slowly (arctan_activation is still ~4e-5 away at ±1e4): check the neighbourhood.
        assert y.data[0] == pytest.approx(-1, abs=1e-3) and y.data[2] == pytest.approx(1, abs=1e-3), fn.__name__


def test_functions_record_no_graph_without_requires_grad():
    """Without requires_grad, an activation records no graph."""
    y = F.softplus(Tensor(np.ones(3)))
    assert not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.relu(np.ones(3)), TypeError, r"relu\(\): argument 'input' must be Tensor, not ndarray"),
    (lambda: F.sigmoid([1.0]), TypeError, "must be Tensor, not list"),
    (lambda: F.softmax(torch.ones(3), 0), TypeError, "must be Tensor, not Tensor"),
    (lambda: F.leaky_relu(Tensor(np.ones(3)), "0.1"), TypeError, "'negative_slope' must be a number, not str"),
    (lambda: F.leaky_relu(Tensor(np.ones(3)), None), TypeError, "'negative_slope' must be a number"),
    (lambda: F.softplus(Tensor(np.ones(3)), beta="2"), TypeError, "'beta' must be a number"),
    (lambda: F.softplus(Tensor(np.ones(3)), threshold=None), TypeError, "'threshold' must be a number"),
    (lambda: F.softplus(Tensor(np.ones(3)), beta=0), ValueError, "'beta' must be nonzero"),
    (lambda: F.gelu(Tensor(np.ones(3)), approximate="exact"), RuntimeError, "approximate argument must be either none or tanh"),
    (lambda: F.softmax(Tensor(np.ones((2, 3))), 2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda: F.log_softmax(Tensor(np.ones((2, 3))), -3), IndexError, r"log_softmax\(\): Dimension out of range"),
    (lambda: F.softmax(Tensor(np.ones(3)), 1.0), TypeError, "'dim' must be int, not float"),
    (lambda: F.softmax(Tensor(np.ones(3)), None), TypeError, "'dim' must be int, not NoneType"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    """Bad arguments raise the error torch raises, with a message that names the argument."""
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("dim", [2, -3])
def test_dim_out_of_range_says_what_torch_says(dim):
    """softmax's IndexError for a dim out of range carries torch's own message."""
    with pytest.raises(IndexError) as torch_error:
        TF.softmax(torch.ones(2, 3), dim)
    with pytest.raises(IndexError) as ours:
        F.softmax(Tensor(np.ones((2, 3))), dim)
    assert str(torch_error.value) in str(ours.value), (str(ours.value), str(torch_error.value))


# ---------------------------------------------------------------- under the hood: inf, nan, subnormals, no warnings

def special_values(dtype) -> np.ndarray:
    tiny = np.finfo(dtype).smallest_subnormal
    return np.array([1e30, -1e30, np.inf, -np.inf, np.nan, 0.0, -0.0, tiny, -tiny, 1000 * tiny, 1.0, -2.5], dtype=dtype)


def run_silently(fn, x: np.ndarray):
    """fn(x) and its gradient for dL/dy = 1, failing on any numpy warning or FloatingPointError (underflow too)."""
    t = Tensor(x, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = fn(t)
        y.backward(np.ones(y.shape, dtype=x.dtype))
    return y, t.grad


def assert_same_as_torch_where_finite(fn, torch_fn, x: np.ndarray, what: str):
    """Values equal torch's (nan where torch's is nan); the gradient equals torch's where torch's is finite."""
    y, grad = run_silently(fn, x)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch_fn(tx)
    ty.backward(torch.ones_like(ty))
    tolerance = dict(rtol=1e-7, atol=1e-30) if x.dtype == np.float64 else dict(rtol=1.3e-6, atol=1e-30)
    assert_same(y, ty, f"{what} on {x} ({x.dtype})", equal_nan=True, **tolerance)
    finite = torch.isfinite(tx.grad)
    assert_same(grad.data[finite.numpy()], tx.grad[finite], f"the gradient of {what} on {x} ({x.dtype}), "
                "where torch's is finite", **tolerance)


QUIET_OPS = ["leaky_relu", "leaky_relu(-1.5)", "softplus", "softplus(2, 5)", "softplus(-0.5)", "softplus(0.1, 1)",
             "erf", "atan"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", QUIET_OPS)
def test_inf_nan_and_subnormals_give_torchs_values_without_a_warning(name, dtype):
    """At ±1e30, ±inf, nan, ±0 and subnormals: torch's values and gradients, no warning, underflow harmless."""
    fn, torch_fn, _ = ELEMENTWISE[name]
    assert_same_as_torch_where_finite(fn, torch_fn, special_values(dtype), name)


SOFTMAX_ROWS = [[np.inf, 1.0], [-np.inf, -np.inf], [np.inf, np.inf], [np.inf, -np.inf], [-np.inf, 1.0],
                [np.nan, 1.0], [1e30, -1e30], [1e30, 1e30], [5e-324, 0.0]]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("row", SOFTMAX_ROWS, ids=str)
def test_softmax_of_inf_and_nan_rows_is_torchs_without_a_warning(row, dtype):
    """softmax/log_softmax of rows with ±inf, nan or ±1e30 equal torch's (nan included), silently."""
    x = np.array(row, dtype=dtype)
    assert_same_as_torch_where_finite(lambda t: F.softmax(t, 0), lambda t: TF.softmax(t, 0), x, "softmax(x, 0)")
    assert_same_as_torch_where_finite(lambda t: F.log_softmax(t, 0), lambda t: TF.log_softmax(t, 0), x,
                                      "log_softmax(x, 0)")


def test_the_silent_run_can_fail():
    """The check above catches numpy's complaint: the textbook softmax of [inf, 1] warns."""
    with pytest.raises(FloatingPointError), np.errstate(all="raise"):
        x = np.array([np.inf, 1.0])
        x - x.max()


@pytest.mark.parametrize("name, call, torch_call", [
    ("softmax", lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    ("log_softmax", lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1)),
    ("leaky_relu", F.leaky_relu, TF.leaky_relu),
    ("softplus", F.softplus, TF.softplus),
    ("gelu", F.gelu, TF.gelu),
])
@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_inputs_are_refused_like_torch(name, call, torch_call, dtype):
    """softmax, log_softmax, leaky_relu, softplus and gelu refuse integer and bool tensors, as torch does."""
    values = np.array([1, 0, 2]).astype(dtype)
    with pytest.raises(NotImplementedError):
        torch_call(torch.from_numpy(values))
    with pytest.raises(NotImplementedError, match=f"{name}.*not implemented for dtype"):
        call(Tensor(values))
