"""mylib.tensor against torch: every op's value and gradients, shapes and dtypes, in float64.

One helper, `check_op` (tinygrad's `helper_test_op` idea), runs the same expression in mylib
and in torch on the same inputs and upstream gradient, and compares the output and every
input's gradient. hypothesis generates the shapes and the broadcast pairs; `gradcheck`
(finite differences) checks every op a second, independent way.
"""
import gc
import re
import warnings
import weakref

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import mylib
from mylib.tensor import Function, GradcheckError, Tensor, gradcheck, no_grad

RTOL, ATOL = 1e-7, 1e-9  # DESIGN §6: float64, the same maths
examples = settings(max_examples=40)  # × ~20 property tests: the whole file stays ~10 s


def make_inputs(shapes, seed=0, low=-2.0, high=2.0, away_from_zero=False):
    """float64 arrays of the given shapes (optionally with |x| >= 0.5, for / log sqrt abs)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        x = rng.uniform(low, high, size=shape)
        if away_from_zero:
            x = np.sign(x + (x == 0)) * (0.5 + np.abs(x))
        arrays.append(x)
    return arrays


def check_op(fn, arrays, torch_fn=None, grad_seed=1):
    """Run `fn` on mylib Tensors and `torch_fn` (default: `fn`) on torch tensors made from the
    same arrays; backpropagate the same random upstream gradient; compare output and gradients,
    values, shapes and dtypes."""
    torch_fn = torch_fn or fn
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn(*ours), torch_fn(*theirs)
    if isinstance(expected, tuple):  # max(dim): (values, indices)
        np.testing.assert_array_equal(out.indices.data, expected.indices.numpy())
        assert out.indices.dtype == np.int64
        out, expected = out.values, expected.values
    assert out.shape == tuple(expected.shape)
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch.")
    torch.testing.assert_close(torch.from_numpy(np.asarray(out.data)), expected.detach(), rtol=RTOL, atol=ATOL,
                               equal_nan=True)
    upstream = np.random.default_rng(grad_seed).normal(size=out.shape)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for i, (mine, ref) in enumerate(zip(ours, theirs)):
        if ref.grad is None:
            assert mine.grad is None or not mine.grad.data.any(), f"input {i}: torch has no gradient"
            continue
        assert mine.grad is not None, f"input {i} got no gradient"
        assert mine.grad.shape == mine.shape and mine.grad.dtype == mine.dtype, f"input {i}"
        torch.testing.assert_close(torch.from_numpy(mine.grad.data), ref.grad, rtol=RTOL, atol=ATOL, equal_nan=True,
                                   msg=lambda m, i=i: f"gradient of input {i}: {m}")


# ---- binary ops, with hypothesis generating broadcast pairs ----

broadcast_pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "expression": lambda a, b: (a * b - a / b + 3) * a,  # a used three times: gradients add up
}


@pytest.mark.parametrize("name", BINARY)
@examples
@given(shapes=broadcast_pairs, seed=st.integers(0, 2**16))
def test_binary_ops_broadcast_like_torch(name, shapes, seed):
    check_op(BINARY[name], make_inputs(shapes.input_shapes, seed, away_from_zero=True))


@examples
@given(shapes=broadcast_pairs, seed=st.integers(0, 2**16))
def test_pow_with_tensor_exponent(shapes, seed):
    base, exponent = make_inputs(shapes.input_shapes, seed)
    check_op(lambda a, b: a ** b, [np.abs(base) + 0.5, exponent])


def test_pow_at_zero_base_matches_torch():
    check_op(lambda a, b: a ** b, [np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 3.0])])


@pytest.mark.parametrize("fn", [
    lambda x: x + 2.5, lambda x: 2.5 + x, lambda x: x - 1, lambda x: 1 - x, lambda x: x * 3, lambda x: 3 * x,
    lambda x: x / 4, lambda x: 4 / x, lambda x: x ** 3, lambda x: x ** 0.5, lambda x: x ** 0, lambda x: x ** -2,
    lambda x: 2 ** x, lambda x: -x, lambda x: x.pow(2),
], ids=lambda f: f.__code__.co_consts[-1] if False else None)
def test_python_numbers_on_either_side(fn):
    check_op(fn, make_inputs([(3, 4)], low=0.5, high=2.0))


def test_numpy_arrays_on_either_side():
    a = np.random.default_rng(2).normal(size=(4,))
    check_op(lambda x: a * x + x / a - (a - x), make_inputs([(3, 4)]), torch_fn=lambda x: torch.from_numpy(a) * x
             + x / torch.from_numpy(a) - (torch.from_numpy(a) - x))
    x = Tensor(np.ones((2, 3)))
    assert isinstance(np.ones(3) + x, Tensor) and isinstance(np.ones((4, 2)) @ x, Tensor)


# ---- matmul ----

@st.composite
def matmul_shapes(draw):
    n, k, m = (draw(st.integers(1, 5)) for _ in range(3))
    batch = draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    kind = draw(st.sampled_from(["matrix", "vector-left", "vector-right", "vector-both", "batched"]))
    return {"matrix": ((n, k), (k, m)), "vector-left": ((k,), (k, m)), "vector-right": ((n, k), (k,)),
            "vector-both": ((k,), (k,)),
            "batched": (batch.input_shapes[0] + (n, k), batch.input_shapes[1] + (k, m))}[kind]


@examples
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul(shapes, seed):
    check_op(lambda a, b: a @ b, make_inputs(shapes, seed))


def test_matmul_with_numpy_left_operand_and_mm():
    w = np.random.default_rng(3).normal(size=(5, 3))
    check_op(lambda x: w @ x, make_inputs([(3, 2)]), torch_fn=lambda x: torch.from_numpy(w) @ x)
    check_op(lambda a, b: a.mm(b), make_inputs([(2, 3), (3, 4)]))


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
    fn, options = UNARY[name]
    check_op(fn, make_inputs([shape], seed, **options))


def test_gradients_at_the_kinks_follow_torch():
    """relu'(0) = 0, clamp passes the gradient at its bounds, abs'(0) = 0."""
    x = np.array([-1.0, 0.0, 0.5, 1.0])
    for fn in (lambda t: t.relu(), lambda t: t.clamp(min=0), lambda t: t.clamp(min=0, max=1), lambda t: t.abs(),
               lambda t: t.clamp(max=0.5)):
        check_op(fn, [x])


def test_sigmoid_is_finite_and_warning_free_at_extremes():
    x = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(lambda t: t.sigmoid(), [x])
        check_op(lambda t: t.sigmoid(), [x.astype(np.float32)])


# ---- reductions ----

@st.composite
def shape_and_dim(draw, allow_tuple=True):
    shape = draw(array_shapes(min_dims=1, max_dims=4, max_side=4))
    dims = st.integers(-len(shape), len(shape) - 1)
    dim = draw(st.one_of(st.none(), dims, st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True)
                         .map(tuple)) if allow_tuple else dims)
    return shape, dim, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean"])
@examples
@given(case=shape_and_dim(), seed=st.integers(0, 2**16))
def test_sum_and_mean(name, case, seed):
    shape, dim, keepdim = case
    if dim is None and keepdim:
        fn = lambda x: getattr(x, name)()  # noqa: E731  torch wants an explicit dim with keepdim
    else:
        fn = lambda x: getattr(x, name)(dim=dim, keepdim=keepdim)  # noqa: E731
    check_op(fn, make_inputs([shape], seed))


@examples
@given(case=shape_and_dim(allow_tuple=False), seed=st.integers(0, 2**16))
def test_max_along_dim_returns_values_and_indices(case, seed):
    shape, dim, keepdim = case
    check_op(lambda x: x.max(dim=dim, keepdim=keepdim), make_inputs([shape], seed))


@examples
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=4), seed=st.integers(0, 2**16))
def test_max_of_all_elements(shape, seed):
    check_op(lambda x: x.max(), make_inputs([shape], seed))


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(dim=0), lambda x: x.sum(dim=-1, keepdim=True), lambda x: x.mean(dim=0),
    lambda x: x.mean(dim=(-1,)), lambda x: x.max(0), lambda x: x.max(dim=-1, keepdim=True),
    lambda x: x.transpose(0, -1), lambda x: x.permute(()), lambda x: x.flatten(),
])
def test_dims_of_a_0d_tensor_like_torch(fn):
    """torch lets a 0-d tensor use dim 0 and -1."""
    check_op(fn, [np.array(2.5)])
    assert Tensor(np.array(2.5)).argmax(0).data == torch.tensor(2.5).argmax(0).item()


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_empty_dim_tuple_reduces_everything_like_torch(name, keepdim):
    check_op(lambda x: getattr(x, name)(dim=(), keepdim=keepdim), make_inputs([(2, 3)]))


def test_max_ties_like_torch():
    """max() shares the gradient among ties; max(dim) sends it to the first maximum."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check_op(lambda t: t.max(), [x])
    check_op(lambda t: t.max(dim=1), [x])
    check_op(lambda t: t.max(dim=0, keepdim=True), [x])


# ---- shapes and indexing ----

SHAPE_OPS = {
    "reshape": lambda x: x.reshape(4, -1),
    "reshape_tuple": lambda x: x.reshape((2, 2, 6)),
    "flatten": lambda x: x.flatten(1),
    "T": lambda x: x[0].T,
    "transpose": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(2, 0, 1),
    "permute_negative": lambda x: x.permute(-1, 0, 1),  # backward must invert the normalised order
    "permute_tuple": lambda x: x.permute((2, -3, 1)),
    "transpose_negative": lambda x: x.transpose(-1, 0),
    "flatten_negative": lambda x: x.flatten(-2, -1),
    "int": lambda x: x[1],
    "slices": lambda x: x[:, 1:, ::2],
    "none_and_negative_int": lambda x: x[1:, None, -1],
    "ellipsis": lambda x: x[..., 0],
    "int_array_with_repeats": lambda x: x[[0, 0, 1, 0]],
    "two_int_arrays": lambda x: x[[0, 1, 1], [2, 0, 2]],
    "mixed": lambda x: x[1:, [0, 0, 2], 1],
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops_and_indexing(name):
    check_op(SHAPE_OPS[name], make_inputs([(2, 3, 4)]))


def test_boolean_mask_and_tensor_index():
    x = make_inputs([(3, 4)])[0]
    mask = x > 0
    check_op(lambda t: t[Tensor(mask)] * 2, [x], torch_fn=lambda t: t[torch.from_numpy(mask)] * 2)
    rows = np.array([2, 0, 2])
    check_op(lambda t: t[Tensor(rows)], [x], torch_fn=lambda t: t[torch.from_numpy(rows)])


def test_cross_entropy_built_from_ops():
    """log-softmax with the row max subtracted, picked with an integer-array index."""
    logits, labels = make_inputs([(5, 4)])[0] * 10, np.array([0, 3, 3, 1, 2])

    def cross_entropy(z):
        z = z - z.max(dim=1, keepdim=True).values
        log_p = z - z.exp().sum(dim=1, keepdim=True).log()
        return -log_p[np.arange(5), labels].mean()

    check_op(cross_entropy, [logits],
             torch_fn=lambda z: torch.nn.functional.cross_entropy(z, torch.from_numpy(labels)))


# ---- gradcheck: every op again, by finite differences ----

GRADCHECK = [
    (lambda a, b: a + b, [(2, 3), (3,)]), (lambda a, b: a - b, [(2, 1), (1, 3)]),
    (lambda a, b: a * b, [(2, 3), (2, 3)]), (lambda a, b: a / (b.abs() + 1), [(3,), (2, 3)]),
    (lambda a, b: (a.abs() + 1) ** b, [(2, 3), (3,)]), (lambda a: a ** 3, [(4,)]),
    (lambda a, b: a @ b, [(2, 3), (3, 4)]), (lambda a, b: a @ b, [(3,), (2, 3, 2)]),
    (lambda a: a.exp(), [(3,)]), (lambda a: (a.abs() + 0.5).log(), [(3,)]),
    (lambda a: (a.abs() + 0.5).sqrt(), [(3,)]), (lambda a: (a + 0.1).abs(), [(3,)]),
    (lambda a: (a + 0.05).relu(), [(3, 2)]), (lambda a: a.sigmoid(), [(3,)]), (lambda a: a.tanh(), [(3,)]),
    (lambda a: a.clamp(min=-0.3, max=0.4), [(5,)]), (lambda a: -a, [(2,)]),
    (lambda a: a.sum(dim=0), [(2, 3)]), (lambda a: a.mean(dim=(0, 2), keepdim=True), [(2, 3, 2)]),
    (lambda a: a.max(), [(2, 3)]), (lambda a: a.max(dim=1).values, [(2, 3)]),
    (lambda a: a.reshape(3, 2), [(2, 3)]), (lambda a: a.T, [(2, 3)]), (lambda a: a.transpose(0, 1), [(2, 3)]),
    (lambda a: a.permute(2, 0, 1).flatten(1), [(2, 3, 2)]),
    (lambda a: a[[0, 0, 1], 1:], [(2, 3)]), (lambda a: a.double() * 2, [(2,)]),
]


@pytest.mark.parametrize("fn, shapes", GRADCHECK)
def test_gradcheck_every_op(fn, shapes):
    inputs = [Tensor(a, requires_grad=True) for a in make_inputs(shapes, seed=5)]
    assert gradcheck(fn, inputs) is True


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return (grad * self.x,)  # forgot the factor 2

    x, y = Tensor(np.array([1.0, 2.0])), Tensor(np.array([0.5, -1.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"output 0 with respect to input 1: max \|analytical - numerical\| = 1"):
        gradcheck(lambda a, b: a + WrongSquare()(b), (x, y))
    assert gradcheck(lambda a, b: a + WrongSquare()(b), (x, y), raise_exception=False) is False
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, [Tensor([1.0])])


# ---- training: seed 003's two-layer network gives torch's losses step by step ----

def test_two_layer_network_trains_like_torch():
    rng = np.random.default_rng(0)
    data, label = rng.normal(size=(23, 10)), rng.normal(size=(23, 10))
    w1_init, w2_init = rng.normal(size=(10, 7)), rng.normal(size=(7, 10))
    lr = 1e-3

    def train(lib, tensor):
        x, y = tensor(data), tensor(label)
        w1, w2 = tensor(w1_init.copy()), tensor(w2_init.copy())
        w1.requires_grad = w2.requires_grad = True
        losses = []
        for _ in range(25):
            loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
            loss.backward()
            losses.append(loss.item())
            with lib.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
                w1.grad.zero_()
                w2.grad.zero_()
        return np.array(losses), np.asarray(w1.detach().numpy())

    ours, theirs = train(mylib, Tensor), train(torch, torch.tensor)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=RTOL, atol=ATOL)
    assert ours[0][-1] < 0.5 * ours[0][0]


# ---- dtypes: float32 stays float32 ----

FLOAT32_EXPRESSIONS = [
    lambda x: x * 0.5 + 1, lambda x: 0.5 * x - np.float64(2.0), lambda x: x / np.float64(3), lambda x: 1.5 / (x + 3),
    lambda x: x ** 2.0, lambda x: x ** np.float64(2), lambda x: 2.0 ** x, lambda x: (x + 3).log(),
    lambda x: (x.abs() + 1).sqrt(), lambda x: x.exp() + x.abs() + x.relu() + x.sigmoid() + x.tanh(),
    lambda x: x.clamp(min=0.0, max=np.float64(1)), lambda x: x.sum(dim=1) + x.mean() + x.max(),
    lambda x: x.max(dim=0).values, lambda x: x.reshape(-1).T[[0, 1, 1]], lambda x: x @ x.transpose(0, 1),
    lambda x: x[0] - x.mean(dim=0, keepdim=True), lambda x: x.double().float(),
]


@pytest.mark.parametrize("fn", FLOAT32_EXPRESSIONS)
def test_float32_stays_float32(fn):
    x = Tensor(np.random.default_rng(0).normal(size=(3, 3)).astype(np.float32), requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_constructor_dtypes():
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


def test_float32_update_keeps_float32_and_mixed_dtypes_promote_like_torch():
    w = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    (w * w).sum().backward()
    with no_grad():
        w -= np.float64(0.1) * w.grad
    assert w.dtype == np.float32 and w.requires_grad
    assert (Tensor(np.ones(2, dtype=np.float32)) + Tensor(np.ones(2))).dtype == np.float64


def torch_error(fn):
    """The exception torch raises for `fn(torch)`, to match mylib's message against."""
    with pytest.raises(Exception) as info:
        fn()
    return info.value


@pytest.mark.parametrize("fn", [
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
])
def test_integer_tensors_promote_like_torch(fn):
    """An int tensor with a float, or in a float-only op, is float32 (torch's default dtype), never float64."""
    ours, theirs = fn(Tensor), fn(torch.tensor)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    # numpy's and torch's float32 exp/log/tanh may differ in the last bit
    torch.testing.assert_close(torch.from_numpy(np.asarray(ours.data)), theirs, rtol=1e-6, atol=0)


def test_mean_of_integers_is_refused_like_torch():
    expected = torch_error(lambda: torch.tensor([1, 2]).mean())
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype") as info:
        Tensor([1, 2]).mean()
    assert str(expected).split(" Got:")[0] in str(info.value)


def test_truth_value_and_python_numbers_like_torch():
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
    abs(x).sum().backward()
    assert x.grad.data.tolist() == [-1.0, 1.0]


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
    "mean_of_empty": (lambda x: x.mean(), [np.zeros(0)]),
    "mean_of_empty_dim": (lambda x: x.mean(dim=0), [np.zeros((0, 3))]),
}


@pytest.mark.parametrize("name", SILENT_IEEE)
def test_ieee_special_values_like_torch_without_warnings(name):
    fn, arrays = SILENT_IEEE[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(fn, arrays)


# ---- the API around the ops ----

def test_tensor_basics():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32 and len(t) == 2 and t.numel() == 6
    assert isinstance(t.data, np.ndarray) and t.grad is None and t.is_leaf
    assert np.asarray(t) is t.data and t.detach().numpy() is t.data
    assert t.sum().item() == 21.0 and isinstance(t.sum().item(), float)
    assert "requires_grad=True" in repr(t) and "grad_fn=<Mul>" in repr(t * 2)
    assert (t > 2).dtype == bool and (t.argmax(dim=1).data == [2, 2]).all()
    with pytest.raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        t.numpy()
    with pytest.raises(ValueError, match="6 elements cannot be converted"):
        t.item()


def test_requires_grad_propagates_and_no_grad_records_nothing():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
    assert (a * b).requires_grad and not (b * 2).requires_grad and (b * 2).is_leaf
    with no_grad():
        c = a * b
        assert not mylib.is_grad_enabled()
    assert mylib.is_grad_enabled() and not c.requires_grad and c.grad_fn is None
    d = a.detach()
    assert not d.requires_grad and d.data is a.data
    with pytest.raises(TypeError, match="floating point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (a * 2).requires_grad = False


def test_gradients_accumulate_until_zeroed():
    x = Tensor([2.0], requires_grad=True)
    (x * x).backward()
    (x * x).backward()
    assert x.grad.item() == 8.0  # 4 + 4: backward adds, which is why training loops zero grads
    x.grad.zero_()
    (3 * x).backward()
    assert x.grad.item() == 3.0


def test_shared_gradients_are_not_aliased():
    """Add hands the same array to both inputs; zeroing one .grad must not zero the other."""
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.data.tolist() == [1.0, 1.0]


def test_backward_with_gradient_for_non_scalars_and_retain_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    y.backward(Tensor([1.0, 0.5, 0.0]))
    assert x.grad.data.tolist() == [2.0, 2.0, 0.0] and y.grad.data.tolist() == [1.0, 0.5, 0.0]
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    given_gradient = np.array([3.0, 4.0])
    leaf.backward(given_gradient)
    (leaf * 1).backward(given_gradient)
    leaf.grad.zero_()  # the caller's array is not the .grad buffer
    assert given_gradient.tolist() == [3.0, 4.0]


def test_deep_chain_has_no_recursion_limit():
    x = Tensor(np.array([0.5]), requires_grad=True)  # float64: the 10 000 products stay exact to ~1e-12
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-10)


def test_graph_is_released_after_backward():
    x = Tensor(np.ones(3), requires_grad=True)
    hidden = x.exp()
    loss = (hidden * hidden).sum()
    alive = weakref.ref(hidden)
    del hidden
    loss.backward()
    gc.collect()
    assert alive() is None, "an intermediate tensor outlived backward()"
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    x.grad = None
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.data.tolist() == [4.0, 4.0, 4.0]


def test_inplace_rules():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad .* in-place"):
        w -= 1
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 5.0
    with no_grad():
        w[0] = 5.0
        w *= 2
    assert w.data.tolist() == [10.0, 4.0] and w.requires_grad
    total = Tensor(0.0)
    total += (w * 1).sum()  # out of place: total joins the graph, as it would in torch
    total.backward()
    assert w.grad.data.tolist() == [1.0, 1.0]


# ---- errors, like torch's ----

def test_error_messages_name_the_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 columns vs 4 rows\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4,\) cannot be broadcast.*\(3\).*\(4\) at non-singleton "
                                         r"dimension 1"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    for op in (lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a ** b):
        with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\) cannot be broadcast"):
            op(Tensor(np.ones((2, 3))), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="Integers to negative integer powers"):  # not a shape error
        Tensor([2, 3]) ** Tensor([-1, 1])
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(5, 4, 6\).*batch dimensions \(2,\) and \(5,\) cannot be broadcast"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 6)))


DIM_ERRORS = [
    lambda x: x.transpose(0, 2), lambda x: x.transpose(-3, 1), lambda x: x.sum(2), lambda x: x.sum(dim=(0, -3)),
    lambda x: x.mean(-3), lambda x: x.max(2), lambda x: x.argmax(dim=5), lambda x: x.permute(0, 2),
    lambda x: x.flatten(0, 2), lambda x: x.size(2),
]


@pytest.mark.parametrize("fn", DIM_ERRORS)
def test_dim_out_of_range_raises_torchs_index_error(fn):
    expected = torch_error(lambda: fn(torch.ones(2, 3, dtype=torch.float64)))
    assert isinstance(expected, IndexError)
    with pytest.raises(IndexError, match=f"^{re.escape(str(expected))}$"):
        fn(Tensor(np.ones((2, 3))))


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(dim=(0, 0)), lambda x: x.mean(dim=(1, -1)), lambda x: x.permute(0, 0), lambda x: x.permute(1),
    lambda x: x.flatten(1, 0),
])
def test_bad_dim_lists_raise_like_torch(fn):
    expected = torch_error(lambda: fn(torch.ones(2, 3, dtype=torch.float64)))
    with pytest.raises(type(expected)):
        fn(Tensor(np.ones((2, 3))))


def test_backward_errors():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs.*shape \\(2,\\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()
    with no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the tensor has shape \(2,\)"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(ValueError, match="at least one of 'min' or 'max'"):
        x.clamp()
