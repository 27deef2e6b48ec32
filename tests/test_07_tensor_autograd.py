"""mylib.tensor as built in lesson 07: sum_to, the ops' backward, the backward loop, elementwise ops.

Every op's value and gradients are compared with torch's in float64 (`check_op`, in
tests/tensor_checks.py); hypothesis generates the shapes and the broadcast pairs. Lesson 08's
tests (matmul, reductions, shapes, no_grad, gradcheck) are in test_08_tensor_engine.py.
"""
import gc
import warnings
import weakref

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import mylib
from mylib.tensor import Div, Function, Mul, Tensor, _stable_sigmoid, sum_to
from tests.compare import assert_same
from tests.tensor_checks import check_op, make_inputs, torch_error

examples = settings(max_examples=40)  # × ~15 property tests: the whole file stays a few seconds
broadcast_pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)


# ---- the build pieces, one by one ----

@st.composite
def shape_and_broadcast(draw):
    """A target shape and a bigger shape it broadcasts to (dimensions added in front, 1s stretched)."""
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    lead = draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    stretched = tuple(draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    return shape, lead + stretched


@examples
@given(case=shape_and_broadcast(), seed=st.integers(0, 2**16))
def test_sum_to_equals_torchs_sum_to_size(case, seed):
    """sum_to(grad, shape) sums a broadcast gradient back to the input's shape, as torch's sum_to_size."""
    shape, big = case
    grad = np.random.default_rng(seed).normal(size=big)
    got = sum_to(grad, shape)
    assert_same(np.asarray(got), torch.from_numpy(grad).sum_to_size(shape), f"sum_to(grad of shape {big}, {shape})")


@pytest.mark.parametrize("op, torch_op", [(Mul, torch.mul), (Div, torch.div)], ids=["Mul", "Div"])
@examples
@given(shapes=broadcast_pairs, seed=st.integers(0, 2**16))
def test_mul_and_div_backward_are_torchs_gradients(op, torch_op, shapes, seed):
    """Mul.backward and Div.backward, called directly, return torch's gradients of a * b and a / b."""
    a_np, b_np = make_inputs(shapes.input_shapes, seed, away_from_zero=True)
    f = op()
    f(Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True))
    grad = np.asarray(np.random.default_rng(seed).normal(size=shapes.result_shape))
    got = f.backward(grad)
    a_t, b_t = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    expected = torch.autograd.grad(torch_op(a_t, b_t), (a_t, b_t), torch.from_numpy(grad))
    for name, mine, ref in zip("ab", got, expected):
        assert_same(np.asarray(mine), ref, f"{op.__name__}.backward: dL/d{name} for shapes "
                    f"{shapes.input_shapes[0]} and {shapes.input_shapes[1]}")


@pytest.mark.parametrize("op", [Mul, Div])
def test_backward_skips_the_gradients_nobody_needs(op):
    """Mul.backward and Div.backward return None for an input that does not require grad."""
    a, b = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([3.0, 4.0]))
    grads = op()(a, b).grad_fn.backward(np.ones(2))
    assert grads[1] is None, f"{op.__name__}.backward: expected None for b (it does not require grad), got {grads[1]}"
    grads = op()(b, a).grad_fn.backward(np.ones(2))
    assert grads[0] is None, f"{op.__name__}.backward: expected None for a (it does not require grad), got {grads[0]}"


@pytest.mark.parametrize("dtype, b", [(np.float64, [1e300, -1e300]), (np.float32, [1e20, -1e30])])
def test_div_backward_never_forms_b_squared(dtype, b):
    """Div.backward computes dL/db as -(g/b)·a/b, never b² (which overflows where the gradient is tiny)."""
    a_np, b_np = np.array([1.0, 3.0], dtype=dtype), np.array(b, dtype=dtype)
    f = Div()
    f(Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True))
    with np.errstate(over="raise"):  # b * b or b ** 2 overflows here: FloatingPointError
        got = f.backward(np.ones(2, dtype=dtype))
    a_t, b_t = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    expected = torch.autograd.grad(a_t / b_t, (a_t, b_t), torch.ones(2, dtype=a_t.dtype))
    for name, mine, ref in zip("ab", got, expected):
        assert_same(np.asarray(mine), ref, f"Div.backward: dL/d{name} for a = {a_np.tolist()}, b = {b} ({dtype.__name__})",
                    **({} if dtype == np.float64 else {"rtol": 1.3e-6, "atol": 1e-5}))


def test_backward_leaves_the_callers_gradient_alone():
    """run_backward adds gradients with +, not +=: the gradient you pass to backward() is not changed."""
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    d = x * 2
    c = d + d / 2  # Add hands its gradient on unchanged: d's first share is the caller's array itself
    gradient = np.ones(2)
    c.backward(gradient)
    assert gradient.tolist() == [1.0, 1.0], f"backward() changed the caller's gradient to {gradient.tolist()}: " \
                                            "add gradients with +, not +="
    assert_same(x.grad, torch.tensor([3.0, 3.0], dtype=torch.float64), "d(c)/dx of c = d + d / 2 with d = 2x")


def test_backward_adds_the_gradients_of_a_tensor_used_twice():
    """run_backward adds the gradients of every use of a tensor: (a * b + a / b) * a, broadcast."""
    check_op(lambda a, b: (a * b - a / b + 3) * a, make_inputs([(3, 1), (1, 4)], away_from_zero=True),
             what="(a * b - a / b + 3) * a")


@examples
@given(shapes=broadcast_pairs, seed=st.integers(0, 2**16))
def test_chains_of_ops_with_intermediate_tensors(shapes, seed):
    """run_backward passes gradients through intermediate tensors to the leaves, as torch."""
    check_op(lambda a, b: ((a + b) * (a - b)) / (b * b + 1) - a * 2, make_inputs(shapes.input_shapes, seed),
             what="((a + b) * (a - b)) / (b * b + 1) - a * 2")


def test_gradients_accumulate_in_leaves_across_backward_calls():
    """A leaf's .grad adds up over backward calls (training loops zero it for that reason)."""
    x = Tensor([2.0], requires_grad=True)
    (x * x).backward()
    (x * x).backward()
    assert x.grad.item() == 8.0, f"after two backward calls of x * x at x = 2, expected 4 + 4 = 8, got {x.grad.item()}"


def test_shared_gradients_are_not_aliased():
    """Add hands the same array to both inputs; zeroing one .grad must not zero the other."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.ones(2, dtype=np.float32))
    a.grad.data[...] = 0
    assert b.grad.data.tolist() == [1.0, 1.0], "b.grad shares memory with a.grad"


def test_deep_chain_has_no_recursion_limit():
    """backward works through a chain of 20 000 ops (no recursion)."""
    x = Tensor(np.array([0.5]), requires_grad=True)  # float64: the 10 000 products stay exact to ~1e-12
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-10)


def test_graph_is_released_after_backward():
    """After backward the graph is freed: intermediates die, a second backward is refused."""
    x = Tensor(np.ones(3), requires_grad=True)
    hidden = x.exp()
    loss = hidden * hidden
    alive = weakref.ref(hidden)
    del hidden
    loss.backward(np.ones(3))
    gc.collect()
    assert alive() is None, "an intermediate tensor outlived backward()"
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward(np.ones(3))
    x.grad = None
    y = x * x
    y.backward(np.ones(3), retain_graph=True)
    y.backward(np.ones(3))
    assert x.grad.data.tolist() == [4.0, 4.0, 4.0]


class TwoOutputsForOne(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad * 2, grad


class Unsummed(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        return grad, grad  # forgot sum_to: the output's shape, not the inputs'


class BareArray(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad  # not a tuple


class NoneForANeededInput(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, None


def test_a_wrong_backward_is_refused_naming_the_op():
    """The engine refuses a backward with the wrong number of gradients or a wrong shape, naming the op."""
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^TwoOutputsForOne.backward returned 2 gradients for 1 input$"):
        TwoOutputsForOne()(x).backward(np.ones((2, 3)))
    a, b = Tensor(np.ones((2, 1)), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^Unsummed.backward returned a gradient of shape \(2, 3\) for an input "
                                           r"of shape \(2, 1\) \(input 0\)$"):
        Unsummed()(a, b).backward(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"^BareArray.backward returned ndarray, not a tuple"):
        BareArray()(x).backward(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"^NoneForANeededInput.backward returned None for an input of shape "
                                           r"\(3,\) \(input 1\)$"):
        NoneForANeededInput()(x, b).backward(np.ones((2, 3)))
    assert x.grad is None and a.grad is None, "nothing is accumulated from a refused backward"


def test_none_is_fine_for_an_input_that_needs_no_gradient():
    """backward may return None for an input that does not require grad."""
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3))
    NoneForANeededInput()(a, b).backward(np.full(3, 2.0))
    assert a.grad.data.tolist() == [2.0, 2.0, 2.0] and b.grad is None


# ---- binary ops, with hypothesis generating broadcast pairs ----

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", BINARY)
@examples
@given(shapes=broadcast_pairs, seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_like_torch(name, shapes, seed):
    """+ - * / give torch's values and gradients for every pair of shapes that broadcast."""
    check_op(BINARY[name], make_inputs(shapes.input_shapes, seed, away_from_zero=True), what=f"a {name} b")


@examples
@given(shapes=broadcast_pairs, seed=st.integers(0, 2**16))
def test_pow_with_tensor_exponent(shapes, seed):
    """a ** b with a tensor exponent: torch's values and gradients (d/db = a**b ln a)."""
    base, exponent = make_inputs(shapes.input_shapes, seed)
    check_op(lambda a, b: a ** b, [np.abs(base) + 0.5, exponent], what="a ** b")


def test_pow_at_zero_base_matches_torch():
    """0 ** b: torch's gradients (0, not nan, for the exponent)."""
    check_op(lambda a, b: a ** b, [np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 3.0])], what="a ** b at a = 0")


NUMBER_EXPRESSIONS = {
    "x + 2.5": lambda x: x + 2.5, "2.5 + x": lambda x: 2.5 + x, "x - 1": lambda x: x - 1, "1 - x": lambda x: 1 - x,
    "x * 3": lambda x: x * 3, "3 * x": lambda x: 3 * x, "x / 4": lambda x: x / 4, "4 / x": lambda x: 4 / x,
    "x ** 3": lambda x: x ** 3, "x ** 0.5": lambda x: x ** 0.5, "x ** 0": lambda x: x ** 0,
    "x ** -2": lambda x: x ** -2, "2 ** x": lambda x: 2 ** x, "-x": lambda x: -x, "x.pow(2)": lambda x: x.pow(2),
}


@pytest.mark.parametrize("name", NUMBER_EXPRESSIONS)
def test_python_numbers_on_either_side(name):
    """Python numbers on either side of an operator, as in torch."""
    check_op(NUMBER_EXPRESSIONS[name], make_inputs([(3, 4)], low=0.5, high=2.0), what=name)


def test_numpy_arrays_on_either_side():
    """numpy arrays on either side of an operator become tensors, as in torch."""
    a = np.random.default_rng(2).normal(size=(4,))
    check_op(lambda x: a * x + x / a - (a - x), make_inputs([(3, 4)]), what="a * x + x / a - (a - x), a an ndarray",
             torch_fn=lambda x: torch.from_numpy(a) * x + x / torch.from_numpy(a) - (torch.from_numpy(a) - x))
    assert isinstance(np.ones(3) + Tensor(np.ones((2, 3))), Tensor), "ndarray + Tensor is not a Tensor"


# ---- elementwise functions ----

UNARY = {
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), {"low": 0.1, "high": 3}),
    "sqrt": (lambda x: x.sqrt(), {"low": 0.1, "high": 3}),
    "abs": (lambda x: x.abs(), {"away_from_zero": True}),
    "relu": (lambda x: x.relu(), {}),
    "sigmoid": (lambda x: x.sigmoid(), {"low": -30, "high": 30}),
    "tanh": (lambda x: x.tanh(), {}),
    "clamp_min": (lambda x: x.clamp(min=0), {}),
    "clamp_max": (lambda x: x.clamp(max=0.5), {}),
    "clamp_both": (lambda x: x.clamp(min=-0.5, max=0.5), {}),
    "neg": (lambda x: -x, {}),
}


@pytest.mark.parametrize("name", UNARY)
@examples
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=5), seed=st.integers(0, 2**16))
def test_elementwise_functions(name, shape, seed):
    """exp log sqrt abs relu sigmoid tanh clamp and -x give torch's values and gradients."""
    fn, options = UNARY[name]
    check_op(fn, make_inputs([shape], seed, **options), what=name)


def test_gradients_at_the_kinks_follow_torch():
    """relu'(0) = 0, clamp passes the gradient at its bounds, abs'(0) = 0."""
    x = np.array([-1.0, 0.0, 0.5, 1.0])
    for name, fn in (("relu", lambda t: t.relu()), ("clamp(min=0)", lambda t: t.clamp(min=0)),
                     ("clamp(0, 1)", lambda t: t.clamp(min=0, max=1)), ("abs", lambda t: t.abs()),
                     ("clamp(max=0.5)", lambda t: t.clamp(max=0.5))):
        check_op(fn, [x], what=f"{name} at its kinks")


def test_sigmoid_is_finite_and_warning_free_at_extremes():
    """sigmoid of ±1e4 is finite, warning-free and torch's, in float64 and float32."""
    x = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(lambda t: t.sigmoid(), [x], what="sigmoid")
        check_op(lambda t: t.sigmoid(), [x.astype(np.float32)], what="sigmoid in float32")


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e300), (np.float32, 1e30)])
def test_stable_sigmoid_never_overflows(dtype, big):
    """_stable_sigmoid (Sigmoid's forward) is torch's sigmoid and warning-free at ±1e300: it never computes e^(large)."""
    z = np.array([-big, -1e4, -710, -100, -40, -30, -2.5, 0, 2.5, 30, 40, 100, 710, 1e4, big], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        got = _stable_sigmoid(z)
    assert_same(got, torch.sigmoid(torch.from_numpy(z)), f"_stable_sigmoid(z) at z = {z.tolist()} ({dtype.__name__})",
                **({} if dtype == np.float64 else {"rtol": 1.3e-6, "atol": 1e-5}))


def test_stable_sigmoid_of_a_0d_array():
    """_stable_sigmoid keeps the shape of a 0-d array."""
    assert_same(_stable_sigmoid(np.array(-2.0)), torch.sigmoid(torch.tensor(-2.0, dtype=torch.float64)),
                "_stable_sigmoid(np.array(-2.0))")


def test_casts_send_the_gradient_back_in_the_original_dtype():
    """float() and double() change the dtype; the gradient comes back in the input's dtype."""
    check_op(lambda x: x.float().double() * 2, make_inputs([(3,)]), what="x.float().double() * 2")
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    x.double().backward(np.ones(2))
    assert x.grad.dtype == np.float32


# ---- dtypes: float32 stays float32 ----

FLOAT32_EXPRESSIONS = {
    "x * 0.5 + 1": lambda x: x * 0.5 + 1, "0.5 * x - np.float64(2)": lambda x: 0.5 * x - np.float64(2.0),
    "x / np.float64(3)": lambda x: x / np.float64(3), "1.5 / (x + 3)": lambda x: 1.5 / (x + 3),
    "x ** 2.0": lambda x: x ** 2.0, "x ** np.float64(2)": lambda x: x ** np.float64(2), "2.0 ** x": lambda x: 2.0 ** x,
    "(x + 3).log()": lambda x: (x + 3).log(), "(|x| + 1).sqrt()": lambda x: (x.abs() + 1).sqrt(),
    "functions": lambda x: x.exp() + x.abs() + x.relu() + x.sigmoid() + x.tanh(),
    "clamp": lambda x: x.clamp(min=0.0, max=np.float64(1)), "double().float()": lambda x: x.double().float(),
}


@pytest.mark.parametrize("name", FLOAT32_EXPRESSIONS)
def test_float32_stays_float32(name):
    """Python and numpy numbers never promote a float32 tensor or its gradient to float64."""
    x = Tensor(np.random.default_rng(0).normal(size=(3, 3)).astype(np.float32), requires_grad=True)
    out = FLOAT32_EXPRESSIONS[name](x)
    assert out.dtype == np.float32, f"{name}: expected float32 (torch), got {out.dtype}"
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert x.grad.dtype == np.float32, f"the gradient of {name}: expected float32 (torch), got {x.grad.dtype}"


def test_constructor_dtypes():
    """Tensor(data): Python floats become float32, ints int64, numpy arrays keep their dtype."""
    assert Tensor(1.5).dtype == np.float32 and Tensor([[1.0, 2.0]]).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.int64 and Tensor(np.zeros(3)).dtype == np.float64
    assert Tensor(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64
    assert mylib.zeros(2, 3).dtype == np.float32 and mylib.ones(4).shape == (4,)
    a = np.ones(3)
    t, shared = Tensor(a), mylib.from_numpy(a)
    a[0] = 5  # Tensor(data) copies, like torch.tensor; from_numpy shares, like torch.from_numpy
    assert t.data[0] == 1 and shared.data[0] == 5 and shared.dtype == np.float64
    with pytest.raises(TypeError, match="expected np.ndarray"):
        mylib.from_numpy([1.0])


def test_mixed_float_dtypes_promote_like_torch():
    """float32 with float64 gives float64; each gradient comes back in its input's dtype."""
    a, b = Tensor(np.ones(2, dtype=np.float32), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    out = a * 2 + b
    assert out.dtype == np.float64
    out.backward(np.ones(2))
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


INTEGER_EXPRESSIONS = [
    lambda T: T([1, 2]) * 0.5, lambda T: 0.5 * T([1, 2]), lambda T: T([1, 2]) - np.float64(0.5),
    lambda T: T([1, 2]) / 2, lambda T: 3 / T([1, 2]), lambda T: T([1, 2]) / T([2, 4]),
    lambda T: T([True, False]) / 2, lambda T: T([1, 2]) ** np.float64(0.5), lambda T: T([1, 2]) ** 0.5,
    lambda T: 2.0 ** T([1, 2]), lambda T: T([1, 2]) * T(np.array([0.5, 0.25], dtype=np.float32)),
    lambda T: T(np.array([1, 2], dtype=np.int32)) * 1.5, lambda T: T([1, 2]).exp(), lambda T: T([1, 4]).sqrt(),
    lambda T: T([1, 2]).sigmoid(), lambda T: T([1, 2]).log(), lambda T: T([1, 2]).tanh(),
    lambda T: T([1, 2, 3]).clamp(max=2.5), lambda T: T([1, 2, 3]).clamp(min=0.5, max=2),
    # integer results stay integer
    lambda T: T([1, 2]) * 3, lambda T: T([1, 2]) ** 2, lambda T: T([1, 2, 3]).clamp(max=2), lambda T: T([1, -2]).abs(),
    lambda T: T([True, False]) + 1,
]


@pytest.mark.parametrize("fn", INTEGER_EXPRESSIONS)
def test_integer_tensors_promote_like_torch(fn):
    """An int tensor with a float, or in a float-only op, is float32 (torch's default dtype), never float64."""
    ours, theirs = fn(Tensor), fn(torch.tensor)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), \
        f"expected dtype {theirs.dtype} (torch), got {ours.dtype}"
    # numpy's and torch's float32 exp/log/tanh may differ in the last bit
    assert_same(ours, theirs, "an integer tensor's result", rtol=1e-6, atol=0)


def test_truth_value_and_python_numbers_like_torch():
    """bool(), int(), float(), comparisons, +x and abs(x) behave as in torch."""
    for value in ([0.0], [2.0], 0.0, 5.0, [[True]], [0]):
        assert bool(Tensor(value)) is bool(torch.tensor(value))
    assert (1 if Tensor(5.0) < 1 else 2) == 2 and not (Tensor(5.0) < 1)
    for value in ([1.0, 2.0], []):
        expected = torch_error(lambda: bool(torch.tensor(value)))
        with pytest.raises(RuntimeError, match=f"^{expected}$"):
            bool(Tensor(value))
    assert int(Tensor([-2.7])) == int(torch.tensor([-2.7])) == -2 and float(Tensor([[3]])) == 3.0
    with pytest.raises(ValueError, match="2 elements cannot be converted"):
        int(Tensor([1, 2]))
    x = Tensor([-1.5, 2.0], requires_grad=True)
    assert +x is x
    abs(x).backward(np.ones(2, dtype=np.float32))
    assert x.grad.data.tolist() == [-1.0, 1.0]
    t = Tensor([1.0, 2.0, 3.0])
    assert [(t > 2).data.tolist(), (t >= 2).data.tolist(), (t < 2).data.tolist(), (t <= 2).data.tolist(),
            (t == 2).data.tolist(), (t != 2).data.tolist()] == [[False, False, True], [False, True, True],
                                                               [True, False, False], [True, True, False],
                                                               [False, True, False], [True, False, True]]
    assert (t > 2).dtype == bool and {t: 1}[t] == 1, "comparisons give bool tensors; tensors stay hashable"


# torch follows IEEE 754 without a word: x/0 = ±inf, 0/0 = nan, log 0 = -inf, sqrt'(0) = inf
SILENT_IEEE = {
    "divide_by_zero": (lambda a, b: a / b, [np.array([1.0, -1.0, 0.0]), np.zeros(3)]),
    "log_at_and_below_zero": (lambda x: x.log(), [np.array([0.0, -1.0, 2.0])]),
    "sqrt_at_and_below_zero": (lambda x: x.sqrt(), [np.array([0.0, -1.0, 4.0])]),
    "zero_to_half": (lambda x: x ** 0.5, [np.array([0.0, 4.0])]),
    "zero_to_minus_one": (lambda x: x ** -1, [np.array([0.0, 4.0])]),
    "negative_to_fraction": (lambda x: x ** (1 / 3), [np.array([-8.0, 8.0])]),
    "tensor_power": (lambda a, b: a ** b, [np.array([0.0, -8.0, 2.0]), np.array([-1.0, 0.5, 2.0])]),
    "exp_overflow": (lambda x: x.exp(), [np.array([1000.0, 0.0])]),
}


@pytest.mark.parametrize("name", SILENT_IEEE)
def test_ieee_special_values_like_torch_without_warnings(name):
    """x/0, log 0, sqrt(-1), e^1000…: torch's inf and nan, without numpy's warnings."""
    fn, arrays = SILENT_IEEE[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(fn, arrays, what=name)


# ---- the API around the ops ----

def test_tensor_basics():
    """shape, ndim, dtype, len, numel, item, numpy(), np.asarray and repr, as in torch."""
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32 and len(t) == 2 and t.numel() == 6
    assert isinstance(t.data, np.ndarray) and t.grad is None and t.is_leaf and t.grad_fn is None
    assert np.asarray(t) is t.data and np.asarray(t, dtype=np.float64).dtype == np.float64
    assert Tensor(np.array([21.0])).item() == 21.0 and isinstance(Tensor([21.0]).item(), float)
    assert "requires_grad=True" in repr(t) and "grad_fn=<Mul>" in repr(t * 2)
    assert repr(Tensor(np.array([1.0]))) == "tensor([1.], dtype=float64)"
    with pytest.raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        t.numpy()
    with pytest.raises(ValueError, match="6 elements cannot be converted"):
        t.item()


def test_requires_grad_propagates():
    """A result requires grad when an input does; integer tensors and non-leaves are refused like torch."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
    assert (a * b).requires_grad and not (b * 2).requires_grad and (b * 2).is_leaf
    assert not (a * b).is_leaf and isinstance((a * b).grad_fn, Mul)
    with pytest.raises(TypeError, match="floating point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (a * 2).requires_grad = False


def test_backward_with_a_gradient_for_non_scalars():
    """backward(gradient) starts from a given dL/d(output); the caller's array is not reused as .grad."""
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(Tensor([1.0, 0.5, 0.0]))
    assert x.grad.data.tolist() == [2.0, 2.0, 0.0]
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    given_gradient = np.array([3.0, 4.0])
    leaf.backward(given_gradient)
    (leaf * 1).backward(given_gradient)
    leaf.grad.data[...] = 0  # the caller's array is not the .grad buffer
    assert given_gradient.tolist() == [3.0, 4.0]


def test_backward_errors():
    """backward's errors: a non-scalar without gradient, no grad required, a gradient of the wrong shape."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs.*shape \\(2,\\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the tensor has shape \(2,\)"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(ValueError, match="at least one of 'min' or 'max'"):
        x.clamp()


def test_broadcast_errors_name_the_shapes():
    """Shapes that do not broadcast get torch's message with both shapes and the dimension."""
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4,\) cannot be broadcast.*\(3\).*\(4\) at non-singleton "
                                         r"dimension 1"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    for op in (lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a ** b):
        with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\) cannot be broadcast"):
            op(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="Integers to negative integer powers"):  # not a shape error
        Tensor([2, 3]) ** Tensor([-1, 1])


# ---- zeros and ones take a shape as torch does (issue 10) ----

@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), ([],), ((),), (0,), (torch.Size([4, 1]),)],
                         ids=["ints", "tuple", "list", "empty-list", "empty-tuple", "zero", "a-shape"])
def test_zeros_and_ones_take_a_shape_like_torch(name, size):
    """zeros/ones take ints or one shape sequence (zeros((2, 3)), zeros(x.shape), ones([])), like torch."""
    ours, theirs = getattr(mylib, name)(*size), getattr(torch, name)(*size)
    assert_same(ours, theirs, f"mylib.{name}{size}")
    assert ours.dtype == np.float32, f"mylib.{name}{size}: expected float32 (torch's default), got {ours.dtype}"
    x = mylib.zeros(3, 2)
    assert getattr(mylib, name)(x.shape).shape == (3, 2), f"mylib.{name}(x.shape) should have x's shape"


@pytest.mark.parametrize("size, error", [((2, -1), RuntimeError), ((2.5,), TypeError), (((2, 0.5),), TypeError), ((), TypeError)])
def test_zeros_refuses_bad_sizes_like_torch(size, error):
    """zeros(2, -1) is a RuntimeError and zeros(2.5) a TypeError, as in torch."""
    expected = torch_error(lambda: torch.zeros(*size))
    assert isinstance(expected, error)
    with pytest.raises(error):
        mylib.zeros(*size)

# ---- issue 10: no silent wrong answers (Under the hood) ----

@pytest.mark.parametrize("data, torch_type", [("abc", TypeError), (None, RuntimeError), ([None, 1.0], RuntimeError),
                                               (np.array([1, "a"], dtype=object), TypeError), (["a", "b"], ValueError)])
def test_bad_data_is_refused_at_construction(data, torch_type):
    """Tensor(None), Tensor('abc'), object arrays and lists of strings raise at once, as torch does, naming the type."""
    torch_error(lambda: torch.tensor(data))
    with pytest.raises(torch_type) as info:
        Tensor(data)
    assert isinstance(info.value, TypeError) and type(data).__name__ in str(info.value)


def test_adding_none_is_a_type_error():
    """Tensor([1.]) + None raises TypeError (torch too), instead of giving nan."""
    for op in (lambda T: T([1.0]) + None, lambda T: None * T([1.0])):
        assert isinstance(torch_error(lambda: op(torch.tensor)), TypeError)
        with pytest.raises(TypeError, match="NoneType"):
            op(Tensor)
    assert (Tensor([1.0]) == None) is False and (torch.tensor([1.0]) == None) is False  # noqa: E711


@pytest.mark.parametrize("value, kind", [(np.ones(1), TypeError), ("ones(3)", RuntimeError), ("float32", RuntimeError)])
def test_grad_assignment_is_checked(value, kind):
    """Assigning .grad a non-tensor, or a tensor of another shape or dtype, is refused as torch refuses it."""
    make = {"ones(3)": lambda T, f64: T([1.0, 1.0, 1.0], dtype=f64), "float32": lambda T, f32: T([1.0, 1.0], dtype=f32)}
    ours, theirs = Tensor(np.zeros(2), requires_grad=True), torch.zeros(2, dtype=torch.float64, requires_grad=True)
    if isinstance(value, str):
        ours_value = make[value](Tensor, np.float64 if value == "ones(3)" else np.float32)
        torch_value = make[value](torch.tensor, torch.float64 if value == "ones(3)" else torch.float32)
    else:
        ours_value = torch_value = value
    assert isinstance(torch_error(lambda: setattr(theirs, "grad", torch_value)), kind)
    with pytest.raises(kind, match="grad"):
        ours.grad = ours_value
    ours.grad = None
    assert ours.grad is None


def test_shape_errors_are_runtime_and_value_errors():
    """Broadcast, clamp(None, None), int ** negative int and backward's gradient shape raise RuntimeError (torch) that is also a ValueError."""
    cases = [lambda T: T(np.ones((2, 3))) + T(np.ones(4)), lambda T: T([1.0]).clamp(None, None),
             lambda T: T([2]) ** -1, lambda T: (T([1.0, 2.0], requires_grad=True) * 2).backward(T([1.0, 2.0, 3.0]))]
    for case in cases:
        assert isinstance(torch_error(lambda: case(torch.tensor)), RuntimeError)
        with pytest.raises(RuntimeError) as info:
            case(Tensor)
        assert isinstance(info.value, ValueError)


def test_len_of_0d_tensor():
    """len() of a 0-d tensor raises TypeError 'len() of a 0-d tensor', as in torch."""
    assert "0-d" in str(torch_error(lambda: len(torch.tensor(1.0))))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(Tensor(1.0))


def test_ieee_values_without_warnings_or_floating_point_errors():
    """Overflow at 1e30 in float32, inf inputs and exp of -1000 give torch's values silently, even under np.errstate(all='raise')."""
    big = np.array([1e30, -1e30, np.inf, -np.inf, -1000.0, 0.0], dtype=np.float32)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for fn in (lambda t: t.exp(), lambda t: t.sigmoid(), lambda t: t.tanh()):
            x, x_t = Tensor(big, requires_grad=True), torch.tensor(big, requires_grad=True)
            y, y_t = fn(x), fn(x_t)
            y.backward(np.ones(6, dtype=np.float32))
            y_t.backward(torch.ones(6))
            np.testing.assert_allclose(y.data, y_t.detach().numpy(), rtol=1e-6)
            np.testing.assert_allclose(x.grad.data, x_t.grad.numpy(), rtol=1e-6)


# ---- issue 10, second round: torch's rules a torch user meets (Under the hood) ----

@pytest.mark.parametrize("dtypes, shapes", [((np.float32, np.float64), ((3,), ())), ((np.float64, np.float32), ((), (3,))),
                                            ((np.float64, np.float32), ((2,), ()))])
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_a_zero_dim_tensor_does_not_promote(dtypes, shapes, op):
    """float32 tensor with a 0-d float64 tensor stays float32, and each gradient keeps its input's dtype, as in torch."""
    arrays = [np.asarray(a, dtype=d) for a, d in zip(make_inputs(shapes, seed=3, away_from_zero=True), dtypes)]
    check_op(lambda a, b: eval(f"a {op} b"), arrays, what=f"a {op} b ({dtypes[0].__name__} and 0-d/dimensioned)")


def test_a_zero_dim_integer_does_not_promote():
    """int32 tensor + 0-d int64 tensor is int32 in torch; int tensor + 0-d float64 is float64."""
    for a, b in (([1, 2], 3), ([True, False], 3)):
        got = Tensor(np.array(a, dtype=np.int32 if a[0] is not True else bool)) + Tensor(np.int64(b))
        expected = torch.tensor(a, dtype=torch.int32 if a[0] is not True else torch.bool) + torch.tensor(b)
        assert str(got.dtype) == str(expected.dtype).removeprefix("torch."), f"{a} + 0-d int64: {got.dtype}"
    got = Tensor(np.array([1, 2])) + Tensor(np.float64(0.5))
    assert got.dtype == np.float64, f"int64 + 0-d float64 is float64 in torch, got {got.dtype}"


@pytest.mark.parametrize("expression", ["T([True]) - T([True])", "-T([True, False])", "T([1, 2], requires_grad=True)"])
def test_what_a_dtype_cannot_do_is_torchs_runtime_error(expression):
    """bool - bool, -bool and requires_grad on an int tensor raise a RuntimeError (also a TypeError) as in torch."""
    expected = torch_error(lambda: eval(expression, {"T": torch.tensor}))
    with pytest.raises(RuntimeError) as info:
        eval(expression, {"T": Tensor})
    assert isinstance(info.value, TypeError), "DtypeError is a TypeError too (mylib raised TypeError before)"
    assert str(expected)[:30] in str(info.value), f"{expression}: torch says {expected}, mylib {info.value}"


def test_complex_data_is_refused():
    """Tensor(complex) is refused with an error naming complex numbers (mylib is real-only)."""
    with pytest.raises(TypeError, match="complex"):
        Tensor([1 + 2j])


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_a_list_operand_is_refused(op):
    """tensor op [1, 2] raises TypeError as in torch; tensor op ndarray still works."""
    torch_error(lambda: eval(f"t {op} [1.0, 2.0]", {"t": torch.tensor([1.0, 2.0])}))
    with pytest.raises(TypeError, match="list"):
        eval(f"t {op} [1.0, 2.0]", {"t": Tensor([1.0, 2.0])})
    got = eval(f"t {op} np.array([1.0, 2.0], dtype=np.float32)", {"t": Tensor([3.0, 4.0]), "np": np})
    assert_same(got.data, eval(f"t {op} torch.tensor([1.0, 2.0])", {"t": torch.tensor([3.0, 4.0]), "torch": torch}),
                f"t {op} ndarray")


@pytest.mark.parametrize("values", [[1.0, 2.0], []])
def test_item_of_not_one_element_is_torchs_error(values):
    """item() of a tensor with 0 or 2 elements raises torch's RuntimeError and message."""
    expected = torch_error(lambda: torch.tensor(values).item())
    with pytest.raises(RuntimeError, match=str(expected)):
        Tensor(values).item()


def test_grad_of_a_non_leaf_warns_like_torch():
    """Reading .grad of a non-leaf warns (torch's UserWarning) and gives None; a leaf's .grad stays silent."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_relu_and_abs_gradients_at_nan_are_torchs(name):
    """At nan, relu passes the gradient and abs gives 0, as in torch."""
    check_op(lambda x: getattr(x, name)(), [np.array([np.nan, -1.0, 0.0, 2.0])], what=f"{name} at nan")


def test_construction_refuses_what_torch_refuses():
    """Tensor([t1, t2]) of 2-element tensors, Tensor([2**63]) and Tensor(2, 3) are refused; 1-element tensors are numbers."""
    for bad, error in ((lambda T: T([T([1.0, 2.0]), T([3.0, 4.0])]), ValueError), (lambda T: T([2 ** 63]), ValueError)):
        expected = torch_error(lambda: bad(torch.tensor))
        with pytest.raises(error) as info:
            bad(Tensor)
        assert isinstance(expected, error) and str(expected).split()[0].lower() in str(info.value).lower()
    assert_same(Tensor([Tensor([1.0]), Tensor(2.0), 3.0]).data, torch.tensor([torch.tensor([1.0]), torch.tensor(2.0), 3.0]),
                "Tensor([Tensor([1.]), Tensor(2.), 3.])")
    with pytest.raises(TypeError, match=r"zeros\(2, 3\)"):
        Tensor(2, 3)
    with pytest.warns(UserWarning, match="clone"):
        Tensor(Tensor([1.0]))


def test_backward_and_relu_refuse_like_torch():
    """backward(gradient=a list) is torch's TypeError; relu of a bool tensor is torch's RuntimeError."""
    assert isinstance(torch_error(lambda: (torch.tensor([1.0], requires_grad=True) * 2).backward([1.0])), TypeError)
    with pytest.raises(TypeError, match="Tensors"):
        (Tensor([1.0], requires_grad=True) * 2).backward([1.0])
    assert "Boolean" in str(torch_error(lambda: torch.tensor([True]).relu()))
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        Tensor([True]).relu()
