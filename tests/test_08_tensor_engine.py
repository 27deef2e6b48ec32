"""mylib.tensor as completed in lesson 08: matmul, reductions, shapes and indexing, accumulation,
no_grad and detach, gradcheck, and seed 003's two-layer network — all against torch, in float64.

`check_op` (tests/tensor_checks.py) runs the same expression in both libraries and compares the
output and every input's gradient; `gradcheck` checks every op a second, independent way.
"""
import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import mylib
from mylib.tensor import Function, GradcheckError, MatMul, Tensor, gradcheck, no_grad
from tests.compare import assert_same
from tests.tensor_checks import check_op, make_inputs, torch_error

examples = settings(max_examples=40)


# ---- the build pieces, one by one ----

@examples
@given(n=st.integers(1, 5), k=st.integers(1, 5), m=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_matmul_backward_is_G_Bt_and_At_G(n, k, m, seed):
    """MatMul.backward for two matrices, called directly, returns torch's dL/dA = G Bᵀ and dL/dB = Aᵀ G."""
    a_np, b_np, grad = make_inputs([(n, k), (k, m), (n, m)], seed)
    op = MatMul()
    op(Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True))
    got = op.backward(grad)
    a_t, b_t = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    expected = torch.autograd.grad(a_t @ b_t, (a_t, b_t), torch.from_numpy(grad))
    for name, mine, ref in zip("AB", got, expected):
        assert_same(np.asarray(mine), ref, f"MatMul.backward: dL/d{name} for A {(n, k)} @ B {(k, m)}")


def test_matmul_backward_skips_the_gradients_nobody_needs():
    """MatMul.backward returns None for an input that does not require grad."""
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones((3, 4)))
    grads = (a @ b).grad_fn.backward(np.ones((2, 4)))
    assert grads[1] is None, f"MatMul.backward: expected None for B (it does not require grad), got {grads[1]}"
    grads = (b.T @ a.T).grad_fn.backward(np.ones((4, 2)))
    assert grads[0] is None, f"MatMul.backward: expected None for A (it does not require grad), got {grads[0]}"


@st.composite
def shape_and_dim(draw, allow_tuple=True):
    shape = draw(array_shapes(min_dims=1, max_dims=4, max_side=4))
    dims = st.integers(-len(shape), len(shape) - 1)
    dim = draw(st.one_of(st.none(), dims, st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True)
                         .map(tuple)) if allow_tuple else dims)
    return shape, dim, draw(st.booleans())


@examples
@given(case=shape_and_dim(), seed=st.integers(0, 2**16))
def test_sum_backward_copies_the_gradient_back(case, seed):
    """Sum.backward, called directly, returns torch's gradient of x.sum(dim, keepdim)."""
    shape, dim, keepdim = case
    x_np = make_inputs([shape], seed)[0]
    x = Tensor(x_np, requires_grad=True)
    out = x.sum(dim=dim, keepdim=keepdim)
    grad = np.asarray(np.random.default_rng(seed).normal(size=out.shape))
    got = out.grad_fn.backward(grad)
    x_t = torch.tensor(x_np, requires_grad=True)
    out_t = x_t.sum() if dim is None else x_t.sum(dim=dim, keepdim=keepdim)
    expected = torch.autograd.grad(out_t, x_t, torch.from_numpy(grad).reshape(out_t.shape))[0]
    assert isinstance(got, tuple) and len(got) == 1, f"Sum.backward must return a 1-tuple, got {type(got).__name__}"
    assert_same(np.asarray(got[0]), expected, f"Sum.backward for x of shape {shape}, dim={dim}, keepdim={keepdim}")


def test_numerical_jacobian_equals_torchs_jacobian():
    """gradcheck's central differences give torch's exact Jacobian (to about 1e-9)."""
    from mylib.tensor import _numerical_jacobian
    fn = lambda a, b: (a @ b).tanh() * a.sum(dim=1)  # noqa: E731
    a_np, b_np = make_inputs([(3, 4), (4,)], seed=3)
    inputs = (Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True))
    exact = torch.autograd.functional.jacobian(fn, (torch.from_numpy(a_np), torch.from_numpy(b_np)))
    for i, original in enumerate((a_np, b_np)):
        got = _numerical_jacobian(fn, inputs, 0, inputs[i], 3, 1e-6)
        changed = np.flatnonzero(inputs[i].data.ravel() != original.ravel())
        assert not changed.size, (f"after _numerical_jacobian, input {i} differs from what it was at element "
                                  f"{changed[0]}: restore each element (flat[j] = saved) after perturbing it")
        assert_same(got, exact[i].reshape(3, -1).T, f"the numerical Jacobian of (a @ b).tanh() * a.sum(dim=1) "
                    f"with respect to input {i}", rtol=1e-6, atol=1e-8)


def test_gradcheck_catches_a_wrong_backward():
    """gradcheck raises GradcheckError naming the input when backward is wrong, True when it is right."""
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
    assert gradcheck(lambda a, b: a + b * b, (x, y)) is True
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, [Tensor([1.0])])


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
    """a @ b for matrices, vectors and batched stacks: torch's values and gradients."""
    check_op(lambda a, b: a @ b, make_inputs(shapes, seed), what="a @ b")


def test_matmul_with_numpy_left_operand_and_mm():
    """ndarray @ Tensor and Tensor.mm (seed 003's spelling) work as in torch."""
    w = np.random.default_rng(3).normal(size=(5, 3))
    check_op(lambda x: w @ x, make_inputs([(3, 2)]), torch_fn=lambda x: torch.from_numpy(w) @ x, what="w @ x")
    check_op(lambda a, b: a.mm(b), make_inputs([(2, 3), (3, 4)]), what="a.mm(b)")
    assert isinstance(np.ones((4, 2)) @ Tensor(np.ones((2, 3))), Tensor)


# ---- reductions ----

def test_an_intermediate_used_twice_through_sums():
    """A tensor used twice through sum() gets both gradients (sum's gradient is a read-only view: add with +)."""
    check_op(lambda x: (lambda d: d.sum() + (d * 3).sum())(x * 2), make_inputs([(2, 3)]),
             what="d.sum() + (d * 3).sum() with d = x * 2")
    check_op(lambda x: (lambda d: (d * 3).sum(dim=0).sum() + d.mean())(x * 2), make_inputs([(2, 3)]),
             what="(d * 3).sum(dim=0).sum() + d.mean() with d = x * 2")


@pytest.mark.parametrize("name", ["sum", "mean"])
@examples
@given(case=shape_and_dim(), seed=st.integers(0, 2**16))
def test_sum_and_mean(name, case, seed):
    """x.sum(dim, keepdim) and x.mean(dim, keepdim): torch's values and gradients."""
    shape, dim, keepdim = case
    if dim is None and keepdim:
        fn = lambda x: getattr(x, name)()  # noqa: E731  torch wants an explicit dim with keepdim
    else:
        fn = lambda x: getattr(x, name)(dim=dim, keepdim=keepdim)  # noqa: E731
    check_op(fn, make_inputs([shape], seed), what=f"x.{name}(dim={dim}, keepdim={keepdim})")


@examples
@given(case=shape_and_dim(allow_tuple=False), seed=st.integers(0, 2**16))
def test_max_along_dim_returns_values_and_indices(case, seed):
    """x.max(dim) returns (values, indices) like torch; the gradient goes to the maxima."""
    shape, dim, keepdim = case
    check_op(lambda x: x.max(dim=dim, keepdim=keepdim), make_inputs([shape], seed),
             what=f"x.max(dim={dim}, keepdim={keepdim})")


@examples
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=4), seed=st.integers(0, 2**16))
def test_max_of_all_elements(shape, seed):
    """x.max(): torch's value and gradient."""
    check_op(lambda x: x.max(), make_inputs([shape], seed), what="x.max()")


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(dim=0), lambda x: x.sum(dim=-1, keepdim=True), lambda x: x.mean(dim=0),
    lambda x: x.mean(dim=(-1,)), lambda x: x.max(0), lambda x: x.max(dim=-1, keepdim=True),
    lambda x: x.transpose(0, -1), lambda x: x.permute(()), lambda x: x.flatten(),
])
def test_dims_of_a_0d_tensor_like_torch(fn):
    """torch lets a 0-d tensor use dim 0 and -1."""
    check_op(fn, [np.array(2.5)], what="a reduction or reshape of a 0-d tensor")
    assert Tensor(np.array(2.5)).argmax(0).data == torch.tensor(2.5).argmax(0).item()


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_empty_dim_tuple_reduces_everything_like_torch(name, keepdim):
    """sum(dim=()) and mean(dim=()) reduce over every dimension, as in torch."""
    check_op(lambda x: getattr(x, name)(dim=(), keepdim=keepdim), make_inputs([(2, 3)]),
             what=f"x.{name}(dim=(), keepdim={keepdim})")


def test_max_ties_like_torch():
    """max() shares the gradient among ties; max(dim) sends it to the first maximum."""
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check_op(lambda t: t.max(), [x], what="x.max() with ties")
    check_op(lambda t: t.max(dim=1), [x], what="x.max(dim=1) with ties")
    check_op(lambda t: t.max(dim=0, keepdim=True), [x], what="x.max(dim=0, keepdim=True) with ties")


def test_mean_of_integers_is_refused_like_torch():
    """mean() of an integer tensor is refused with torch's message."""
    expected = torch_error(lambda: torch.tensor([1, 2]).mean())
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype") as info:
        Tensor([1, 2]).mean()
    assert str(expected).split(" Got:")[0] in str(info.value)


@pytest.mark.parametrize("fn", [lambda x: x.mean(), lambda x: x.mean(dim=0)], ids=["all", "dim0"])
def test_mean_of_nothing_is_nan_without_warnings(fn):
    """The mean of an empty tensor is nan, silently, as in torch."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_op(fn, [np.zeros((0, 3))], what="the mean of an empty tensor")


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
    """reshape, flatten, transpose, permute, .T and indexing: torch's values and gradients."""
    check_op(SHAPE_OPS[name], make_inputs([(2, 3, 4)]), what=name)


def test_boolean_mask_and_tensor_index():
    """Indexing with a boolean mask or an integer Tensor, as in torch."""
    x = make_inputs([(3, 4)])[0]
    mask = x > 0
    check_op(lambda t: t[Tensor(mask)] * 2, [x], torch_fn=lambda t: t[torch.from_numpy(mask)] * 2, what="x[mask] * 2")
    rows = np.array([2, 0, 2])
    check_op(lambda t: t[Tensor(rows)], [x], torch_fn=lambda t: t[torch.from_numpy(rows)], what="x[rows]")


def test_log_softmax_picked_by_label_built_from_ops():
    """A log-softmax picked at each row's label, built from ops, equals torch (lesson 14: cross-entropy)."""
    logits, labels = make_inputs([(5, 4)])[0] * 10, np.array([0, 3, 3, 1, 2])

    def cross_entropy(z):
        z = z - z.max(dim=1, keepdim=True).values
        log_p = z - z.exp().sum(dim=1, keepdim=True).log()
        return -log_p[np.arange(5), labels].mean()

    check_op(cross_entropy, [logits], what="-log_softmax(z)[rows, labels].mean()",
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
    """Every op's backward agrees with central differences (gradcheck)."""
    inputs = [Tensor(a, requires_grad=True) for a in make_inputs(shapes, seed=5)]
    assert gradcheck(fn, inputs) is True


# ---- training: seed 003's two-layer network gives torch's losses step by step ----

def test_two_layer_network_trains_like_torch():
    """Seed 003's two-layer network (mm, clamp, pow, sum, no_grad updates) takes torch's 25 steps."""
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
    assert_same(ours[0], torch.from_numpy(theirs[0]), "the 25 training losses")
    assert_same(ours[1], torch.from_numpy(theirs[1]), "w1 after 25 steps")
    assert ours[0][-1] < 0.5 * ours[0][0]


def test_seed_003_sigmoid_needs_a_scalar_or_a_gradient():
    """backward() on seed 003's (23, 1) sigmoid output is refused; sum() or gradient= give torch's w1.grad."""
    rng = np.random.default_rng(1)
    data_np, w_np = rng.normal(size=(23, 10)), rng.normal(size=(10, 1))
    data, w1 = Tensor(data_np), Tensor(w_np, requires_grad=True)
    output = 1 / (1 + (-data.mm(w1)).exp())
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        output.backward()
    output.backward(gradient=np.ones((23, 1)))
    w_t = torch.tensor(w_np, requires_grad=True)
    (1 / (1 + torch.exp(-torch.from_numpy(data_np).mm(w_t)))).sum().backward()
    assert_same(w1.grad, w_t.grad, "w1.grad of the sigmoid neuron")


# ---- dtypes: float32 stays float32 ----

FLOAT32_EXPRESSIONS = {
    "reductions": lambda x: x.sum(dim=1) + x.mean() + x.max(), "max(dim)": lambda x: x.max(dim=0).values,
    "reshape, T, index": lambda x: x.reshape(-1).T[[0, 1, 1]], "matmul": lambda x: x @ x.transpose(0, 1),
    "broadcast mean": lambda x: x[0] - x.mean(dim=0, keepdim=True),
}


@pytest.mark.parametrize("name", FLOAT32_EXPRESSIONS)
def test_float32_stays_float32(name):
    """Reductions, shapes and matmul keep a float32 tensor and its gradient float32."""
    x = Tensor(np.random.default_rng(0).normal(size=(3, 3)).astype(np.float32), requires_grad=True)
    out = FLOAT32_EXPRESSIONS[name](x)
    assert out.dtype == np.float32, f"{name}: expected float32 (torch), got {out.dtype}"
    out.sum().backward()
    assert x.grad.dtype == np.float32, f"the gradient of {name}: expected float32 (torch), got {x.grad.dtype}"


def test_float32_update_keeps_float32():
    """w -= np.float64(0.1) * w.grad under no_grad keeps a float32 parameter float32."""
    w = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    (w * w).sum().backward()
    with no_grad():
        w -= np.float64(0.1) * w.grad
    assert w.dtype == np.float32 and w.requires_grad


# ---- accumulation, no_grad, detach, in place ----

def test_tensor_basics():
    """sum().item(), argmax, detach().numpy() and size() as in torch."""
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.sum().item() == 21.0 and isinstance(t.sum().item(), float)
    assert (t.argmax(dim=1).data == [2, 2]).all() and t.argmax().item() == 5
    assert t.detach().numpy() is t.data
    assert t.size() == (2, 3) and t.size(-1) == 3 and Tensor([1.0]).requires_grad_().requires_grad


def test_gradients_accumulate_until_zeroed():
    """backward adds into .grad until zero_() empties it."""
    x = Tensor([2.0], requires_grad=True)
    (x * x).backward()
    (x * x).backward()
    assert x.grad.item() == 8.0  # 4 + 4: backward adds, which is why training loops zero grads
    x.grad.zero_()
    (3 * x).backward()
    assert x.grad.item() == 3.0


def test_retain_grad_keeps_an_intermediate_gradient():
    """retain_grad() keeps .grad of an intermediate tensor, as in torch."""
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    y.backward(Tensor([1.0, 0.5, 0.0]))
    assert x.grad.data.tolist() == [2.0, 2.0, 0.0] and y.grad.data.tolist() == [1.0, 0.5, 0.0]


def test_no_grad_records_nothing_and_detach_leaves_the_graph():
    """Under no_grad nothing requires grad; detach() shares the data outside the graph."""
    a = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        c = a * 2
        assert not mylib.is_grad_enabled()
    assert mylib.is_grad_enabled() and not c.requires_grad and c.grad_fn is None
    d = a.detach()
    assert not d.requires_grad and d.data is a.data

    @no_grad()
    def evaluate(t):
        return t * 3
    assert not evaluate(a).requires_grad and mylib.is_grad_enabled()
    with no_grad():
        y = (a * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_inplace_rules():
    """In-place updates of a leaf that requires grad need no_grad, as in torch."""
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad .* in-place"):
        w -= 1
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 5.0
    with no_grad():
        w[0] = 5.0
        w *= 2
        w /= 2
        w += 1
    assert w.data.tolist() == [6.0, 3.0] and w.requires_grad
    total = Tensor(0.0)
    total += (w * 1).sum()  # out of place: total joins the graph, as it would in torch
    total.backward()
    assert w.grad.data.tolist() == [1.0, 1.0]


# ---- errors, like torch's ----

def test_matmul_errors_name_the_shapes():
    """a @ b with shapes that do not fit names both shapes and what is wrong."""
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 columns vs 4 rows\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(5, 4, 6\).*batch dimensions \(2,\) and \(5,\) cannot be broadcast"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 6)))


DIM_ERRORS = [
    lambda x: x.transpose(0, 2), lambda x: x.transpose(-3, 1), lambda x: x.sum(2), lambda x: x.sum(dim=(0, -3)),
    lambda x: x.mean(-3), lambda x: x.max(2), lambda x: x.argmax(dim=5), lambda x: x.permute(0, 2),
    lambda x: x.flatten(0, 2), lambda x: x.size(2),
]


@pytest.mark.parametrize("fn", DIM_ERRORS)
def test_dim_out_of_range_raises_torchs_index_error(fn):
    """A dim out of range raises torch's IndexError, word for word."""
    expected = torch_error(lambda: fn(torch.ones(2, 3, dtype=torch.float64)))
    assert isinstance(expected, IndexError)
    with pytest.raises(IndexError, match=f"^{re.escape(str(expected))}$"):
        fn(Tensor(np.ones((2, 3))))


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(dim=(0, 0)), lambda x: x.mean(dim=(1, -1)), lambda x: x.permute(0, 0), lambda x: x.permute(1),
    lambda x: x.flatten(1, 0),
])
def test_bad_dim_lists_raise_like_torch(fn):
    """A dim listed twice, or permute/flatten with bad dims, raise torch's exception type."""
    expected = torch_error(lambda: fn(torch.ones(2, 3, dtype=torch.float64)))
    with pytest.raises(type(expected)):
        fn(Tensor(np.ones((2, 3))))


# ---- the everyday tensor API (Under the hood, issue 10) ----

few = settings(max_examples=15)  # many ops below: a few examples each keeps the file fast
pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@few
@given(shapes=pairs, seed=st.integers(0, 2**16), name=st.sampled_from(["maximum", "minimum"]))
def test_maximum_and_minimum_broadcast_like_torch(shapes, seed, name):
    """maximum(a, b) and minimum(a, b) broadcast and give torch's values and gradients."""
    a, b = make_inputs(shapes.input_shapes, seed)
    check_op(getattr(mylib, name), [a, b], getattr(torch, name), what=f"{name}(a, b)")


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_ties_split_the_gradient_like_torch(name):
    """At a tie, maximum and minimum give each input half of the gradient, as torch does."""
    a, b = np.array([1.0, 2.0, 3.0, 2.0]), np.array([3.0, 2.0, 1.0, 2.0])
    check_op(getattr(mylib, name), [a, b], getattr(torch, name), what=f"{name}(a, b) with ties")
    with pytest.raises(TypeError, match="must be Tensor"):
        getattr(mylib, name)(Tensor(a), 2.0)


@few
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_where_broadcasts_like_torch(shapes, seed):
    """where(condition, a, b) picks like torch and sends each input its gradient where it was picked."""
    c, a, b = make_inputs(shapes.input_shapes, seed)
    check_op(lambda a, b: mylib.where(Tensor(c > 0), a, b), [a, b],
             lambda a, b: torch.where(torch.tensor(c > 0), a, b), what="where(c > 0, a, b)")
    check_op(lambda a: a.where(Tensor(c > 0), 0.5), [a], lambda a: a.where(torch.tensor(c > 0), 0.5),
             what="a.where(c > 0, 0.5)")


@few
@given(case=shape_and_dim(), seed=st.integers(0, 2**16), name=st.sampled_from(["amax", "amin"]))
def test_amax_and_amin_over_several_dims(case, seed, name):
    """amax/amin over one dim, several dims or all, keepdim or not: torch's values and gradients."""
    shape, dim, keepdim = case
    x = np.round(make_inputs([shape], seed)[0])  # rounded: ties happen, and share the gradient
    dim = () if dim is None else dim
    check_op(lambda t: getattr(t, name)(dim, keepdim), [x], what=f"x.{name}({dim}, keepdim={keepdim}) (with ties)")


@few
@given(case=shape_and_dim(allow_tuple=False), seed=st.integers(0, 2**16))
def test_min_along_dim_and_argmin(case, seed):
    """x.min(dim) returns torch's (values, indices), x.min() and argmin too, gradients included."""
    shape, dim, keepdim = case
    x = make_inputs([shape], seed)[0]
    check_op(lambda t: t.min(dim, keepdim), [x], what=f"x.min({dim}, keepdim={keepdim})")
    check_op(lambda t: t.min(), [np.round(x)], what="x.min() (with ties)")
    ours, theirs = Tensor(x).argmin(dim, keepdim), torch.from_numpy(x).argmin(dim, keepdim)
    assert_same(ours, theirs, f"x.argmin({dim}, keepdim={keepdim})")
    assert_same(Tensor(x).argmin(), torch.from_numpy(x).argmin(), "x.argmin()")


@few
@given(case=shape_and_dim(), seed=st.integers(0, 2**16), correction=st.sampled_from([0, 1, 2]),
       name=st.sampled_from(["var", "std"]))
def test_var_and_std_with_correction(case, seed, correction, name):
    """var and std over dims with correction 0, 1, 2: torch's values and gradients."""
    shape, dim, keepdim = case
    dims = range(len(shape)) if dim is None else [dim] if isinstance(dim, int) else dim
    if int(np.prod([shape[d] for d in dims])) <= correction:
        correction = 0  # N <= correction divides by zero: tested separately
    x = make_inputs([shape], seed)[0]
    check_op(lambda t: getattr(t, name)(dim, keepdim=keepdim, correction=correction), [x],
             what=f"x.{name}({dim}, keepdim={keepdim}, correction={correction})")


@pytest.mark.filterwarnings(r"ignore:var\(\)\W+degrees of freedom:UserWarning")  # both libraries warn for t[:1].var(0); the warning has its own test
def test_var_spellings_like_torch():
    """var(unbiased=False), var(0, False, True), axis=, integer refusal and N <= correction match torch."""
    x = make_inputs([(3, 4)])[0]
    for call in (lambda t: t.var(unbiased=False), lambda t: t.var(0, False, True), lambda t: t.std(axis=1),
                 lambda t: t.var(False), lambda t: t.var(1, correction=4), lambda t: t[:1].var(0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns that the degrees of freedom are <= 0
            expected = call(torch.from_numpy(x))
        assert_same(call(Tensor(x)), expected, "var/std spelled the torch way", equal_nan=True)
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2]).var()


@few
@given(case=shape_and_dim(), seed=st.integers(0, 2**16))
def test_logsumexp_like_torch(case, seed):
    """logsumexp over dims: torch's values and gradients (the softmax)."""
    shape, dim, keepdim = case
    dim = tuple(range(len(shape))) if dim is None else dim
    check_op(lambda t: t.logsumexp(dim, keepdim), [make_inputs([shape], seed)[0]],
             what=f"x.logsumexp({dim}, keepdim={keepdim})")


def test_logsumexp_is_stable_and_silent():
    """logsumexp of huge, -inf and +inf entries gives torch's values without a warning."""
    x = np.array([[1000.0, 1000.0], [-np.inf, -np.inf], [np.inf, 1.0], [-1e30, 0.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        got = Tensor(x).logsumexp(1)
    assert_same(got, torch.from_numpy(x).logsumexp(1), "logsumexp of huge and infinite rows")
    assert_same(Tensor([1, 2]).logsumexp(0), torch.tensor([1, 2]).logsumexp(0), "logsumexp of integers")


@few
@given(case=shape_and_dim(allow_tuple=False), seed=st.integers(0, 2**16), zeros=st.integers(0, 3))
def test_prod_gradient_with_zeros(case, seed, zeros):
    """prod over a dim or all: torch's values and gradients, also with one, two or more zeros in x."""
    shape, dim, keepdim = case
    x = make_inputs([shape], seed)[0]
    x.reshape(-1)[np.random.default_rng(seed).permutation(x.size)[:zeros]] = 0.0
    check_op(lambda t: t.prod(dim, keepdim), [x], what=f"x.prod({dim}, keepdim={keepdim}) with {zeros} zeros")
    check_op(lambda t: t.prod(), [x], what=f"x.prod() with {zeros} zeros")


@few
@given(shape=array_shapes(min_dims=0, max_dims=3, max_side=3), seed=st.integers(0, 2**16), data=st.data())
def test_unsqueeze_squeeze_view_flatten(shape, seed, data):
    """unsqueeze, squeeze (all or one dim), view and flatten: torch's shapes and gradients."""
    x = make_inputs([shape], seed)[0]
    n = len(shape)
    d = data.draw(st.integers(-n - 1, n), label="unsqueeze dim")
    check_op(lambda t: t.unsqueeze(d), [x], what=f"x.unsqueeze({d})")
    check_op(lambda t: t.unsqueeze(d).squeeze(), [x], what=f"x.unsqueeze({d}).squeeze()")
    check_op(lambda t: t.unsqueeze(d).squeeze(d), [x], what=f"x.unsqueeze({d}).squeeze({d})")
    check_op(lambda t: t.view(-1), [x], what="x.view(-1)")
    if n:
        s = data.draw(st.integers(-n, n - 1), label="squeeze dim")
        check_op(lambda t: t.squeeze(s), [x], what=f"x.squeeze({s})")
        check_op(lambda t: t.flatten(s), [x], what=f"x.flatten({s})")
        check_op(lambda t: t.view(*shape[::-1]), [x], what=f"x.view{shape[::-1]}")


@few
@given(shapes=pairs, seed=st.integers(0, 2**16), data=st.data())
def test_expand_like_torch(shapes, seed, data):
    """expand (with -1 for a kept size) and expand_as: torch's values and the gradient summed back."""
    small, big = shapes.input_shapes[0], shapes.result_shape
    sizes = tuple(-1 if i >= len(big) - len(small) and data.draw(st.booleans(), label=f"-1 at {i}") else n
                  for i, n in enumerate(big))
    check_op(lambda t: t.expand(sizes), make_inputs([small], seed), what=f"x.expand({sizes})")
    check_op(lambda t: t.expand_as(Tensor(np.zeros(big))), make_inputs([small], seed),
             lambda t: t.expand_as(torch.zeros(big)), what=f"x.expand_as(a tensor of shape {big})")


@few
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=3), seed=st.integers(0, 2**16), data=st.data())
def test_cat_and_stack_like_torch(shape, seed, data):
    """cat along a dim (different sizes there) and stack along a new dim: torch's values and gradients."""
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1), label="dim")
    other = tuple(data.draw(st.integers(0, 3), label="size") if i == dim % n else s for i, s in enumerate(shape))
    arrays = make_inputs([shape, other, shape], seed)
    check_op(lambda *ts: mylib.cat(ts, dim), arrays, lambda *ts: torch.cat(ts, dim), what=f"cat(xs, {dim})")
    new = data.draw(st.integers(-n - 1, n), label="stack dim")
    check_op(lambda a, b: mylib.stack([a, b], new), [arrays[0], arrays[2]], lambda a, b: torch.stack([a, b], new),
             what=f"stack([a, b], {new})")


@pytest.mark.parametrize("fn", [
    lambda lib, x: lib.cat([x, x[:, :2]]), lambda lib, x: lib.cat([x, x[0]]), lambda lib, x: lib.cat([x, x.sum()]),
    lambda lib, x: lib.stack([x, x[:, :2]]), lambda lib, x: lib.stack([]), lambda lib, x: x.expand(4, -1),
    lambda lib, x: x.expand(3), lambda lib, x: x.expand(-1, 2, 3), lambda lib, x: lib.where(x, x, x),
    lambda lib, x: x.amax(0)[:0].amax(), lambda lib, x: lib.arange(0, 3, 0), lambda lib, x: lib.arange(3, 0, 1),
], ids=["cat-sizes", "cat-ndim", "cat-0d", "stack-sizes", "stack-empty", "expand-size", "expand-too-few",
        "expand-leading--1", "where-float-condition", "amax-of-nothing", "arange-step-0", "arange-sign"])
def test_shape_errors_are_runtime_errors_like_torch(fn):
    """Shape mistakes in cat, stack, expand, where, amax and arange raise torch's RuntimeError."""
    expected = torch_error(lambda: fn(torch, torch.zeros(2, 3)))
    with pytest.raises(RuntimeError) as info:
        fn(mylib, mylib.zeros(2, 3))
    assert isinstance(expected, RuntimeError), f"torch raised {expected!r}"
    words = [w for w in re.findall(r"[a-z]{4,}", str(expected).lower()) if w in str(info.value).lower()]
    assert len(words) >= 2, f"mylib's message {str(info.value)!r} shares few words with torch's {str(expected)!r}"


@pytest.mark.parametrize("call", ["arange(5)", "arange(2, 9, 3)", "arange(0, 1, 0.1)", "arange(1.5)", "arange(5, 1, -2)",
                                  "full((2, 3), 7)", "full([2], 0.5)", "full((), True)", "eye(3)", "eye(2, 4)",
                                  "zeros_like(eye(2))", "ones_like(arange(3))", "zeros_like(eye(2), dtype=np.int64)"])
def test_creation_functions_like_torch(call):
    """arange, full, eye, zeros_like and ones_like give torch's values and dtypes."""
    names = ["arange", "full", "eye", "zeros_like", "ones_like"]
    ours = eval(call, {"np": np, **{name: getattr(mylib, name) for name in names}})
    theirs = eval(call.replace("np.", "torch."), {"torch": torch, **{name: getattr(torch, name) for name in names}})
    assert_same(ours, theirs, call)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), f"{call}: dtype {ours.dtype}, torch {theirs.dtype}"


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_rand_and_randn_shapes_seeds_and_generators(name):
    """rand/randn take a shape like torch, are float32, and repeat with the same seed or generator state."""
    fn = getattr(mylib, name)
    x = fn(2, 3, generator=0)
    assert x.shape == (2, 3) and x.dtype == np.float32, f"{name}(2, 3): got shape {x.shape}, dtype {x.dtype}"
    assert fn((2, 3), generator=0).shape == (2, 3), f"{name}((2, 3)) should have shape (2, 3)"
    np.testing.assert_array_equal(fn(4, generator=7).data, fn(4, generator=np.random.default_rng(7)).data,
                                  err_msg=f"{name}: a seed and a Generator with that seed should agree")
    assert not np.array_equal(fn(4).data, fn(4).data), f"{name}() without a generator repeated itself"
    big = fn(20000, generator=1, dtype=np.float64).data
    low, mean, std = (0, 0.5, 12 ** -0.5) if name == "rand" else (-np.inf, 0.0, 1.0)
    assert big.min() >= low and abs(big.mean() - mean) < 0.02 and abs(big.std() - std) < 0.02, \
        f"{name}: mean {big.mean():.3f} and std {big.std():.3f}, expected {mean:.3f} and {std:.3f}"
    assert fn(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("name, args", [("add", (2.0,)), ("sub", (2.0,)), ("mul", (2.0,)), ("div", (2.0,)),
                                        ("neg", ()), ("clip", (-0.5, 0.5)), ("pow", (3,)), ("abs", ())])
def test_method_spellings_like_torch(name, args):
    """x.add(y), x.sub(y), x.mul(y), x.div(y), x.neg(), x.clip(a, b), x.pow(n), x.abs(): torch's values and gradients."""
    a, b = make_inputs([(2, 3), (3,)], away_from_zero=True)
    check_op(lambda x: getattr(x, name)(*args), [a], what=f"x.{name}{args}")
    if name in ("add", "sub", "mul", "div"):
        check_op(lambda x, y: getattr(x, name)(y), [a, b], what=f"x.{name}(y)")
    if name in ("add", "sub"):
        check_op(lambda x, y: getattr(x, name)(y, alpha=3), [a, b], what=f"x.{name}(y, alpha=3)")


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu"])
def test_module_level_functions_like_torch(name):
    """mylib.exp(x), mylib.log(x), … equal torch.exp(x), torch.log(x), …, and refuse non-tensors the same way."""
    check_op(getattr(mylib, name), make_inputs([(2, 3)], low=0.1, high=3), getattr(torch, name), what=f"{name}(x)")
    expected = torch_error(lambda: getattr(torch, name)(2.0))
    with pytest.raises(type(expected), match="must be Tensor"):
        getattr(mylib, name)(2.0)


def test_new_reductions_accept_axis():
    """axis= works for dim= in min, argmin, amax, amin, var, std, logsumexp and prod, as in torch."""
    x = make_inputs([(3, 4)])[0]
    for name in ("min", "argmin", "amax", "amin", "var", "std", "logsumexp", "prod"):
        ours, theirs = getattr(Tensor(x), name)(axis=1), getattr(torch.from_numpy(x), name)(axis=1)
        assert_same(ours[0] if name == "min" else ours, theirs[0] if name == "min" else theirs, f"x.{name}(axis=1)")

# ---- issue 10: in-place changes, torch's indexing order, torch's errors (Under the hood) ----

def _inplace_patterns(T, no_grad):
    """Each pattern returns x.grad, or raises; the same code runs in mylib and torch."""
    def w_plus_10():
        x, w = T([1.0, 2.0], requires_grad=True), T([3.0, 4.0], requires_grad=True)
        y = (x * w).sum()
        with no_grad():
            w += 10
        y.backward()
        return x.grad

    def setitem_under_no_grad():
        a, b = T([1.0, 2.0], requires_grad=True), T([3.0, 4.0], requires_grad=True)
        y = (a * b).sum()
        with no_grad():
            a[0] = 100.0
        y.backward()
        return b.grad

    def zero_output():
        x = T([1.0, -2.0], requires_grad=True)
        y = x.exp()
        with no_grad():
            y.zero_()
        y.sum().backward()
        return x.grad

    def detached_then_inplace():
        x = T([1.0, -2.0], requires_grad=True)
        y = x.tanh()
        d = y.detach()
        d *= 2
        y.sum().backward()
        return x.grad

    def matmul_input():
        a, b = T([[1.0, 2.0]]), T([[3.0], [4.0]], requires_grad=True)
        y = (a @ b).sum()
        a[0, 0] = 5.0
        y.backward()
        return b.grad

    def not_saved_add_input():
        x, b = T([1.0, 2.0], requires_grad=True), T([5.0, 5.0])
        y = (x + b).sum()
        b[0] = 100.0
        b += 1
        y.backward()
        return x.grad

    def not_saved_mul_leaf():  # Mul keeps w only for x's gradient: x needs none, so changing w is fine
        x, w = T([1.0, 2.0]), T([3.0, 4.0], requires_grad=True)
        y = (x * w).sum()
        with no_grad():
            w -= 1
        y.backward()
        return w.grad

    def training_updates():
        w = T([1.0, 2.0], requires_grad=True)
        for _ in range(3):
            ((w * w).exp().sum()).backward()
            with no_grad():
                w -= 0.01 * w.grad
                w.grad.zero_()
        return w.detach()

    return [w_plus_10, setitem_under_no_grad, zero_output, detached_then_inplace, matmul_input,
            not_saved_add_input, not_saved_mul_leaf, training_updates]


@pytest.mark.parametrize("k", range(8))
def test_inplace_change_of_a_saved_tensor_is_refused_like_torch(k):
    """Changing a tensor saved for backward in place is refused at backward, as in torch; other in-place changes keep working."""
    ours, theirs = _inplace_patterns(Tensor, no_grad)[k], _inplace_patterns(torch.tensor, torch.no_grad)[k]
    try:
        expected = theirs()
    except RuntimeError as error:
        assert "modified by an inplace operation" in str(error)
        with pytest.raises(RuntimeError, match="modified by an inplace operation.*is at version 1; expected version 0"):
            ours()
        return
    got = ours()
    assert_same(got.data, expected.to(torch.float32), f"pattern {ours.__name__}: the gradient or the result")


def test_zero_of_a_leaf_that_requires_grad_is_refused():
    """p.zero_() outside no_grad is refused (torch's message); inside no_grad it works."""
    torch_message = str(torch_error(lambda: torch.ones(2, requires_grad=True).zero_()))
    p = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(torch_message)):
        p.zero_()
    with no_grad():
        p.zero_()
    assert p.data.tolist() == [0.0, 0.0] and p._version == 1


def test_detach_shares_the_version_counter():
    """A detached tensor shares its data's version count: an in-place change of either bumps both (torch._version)."""
    x, x_t = Tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    for T in (x, x_t):
        d = T.detach()
        d += 1
        T[0] = 3.0
    assert (x._version, x.detach()._version) == (x_t._version, x_t.detach()._version) == (2, 2)


INDEXES = [(1, slice(None), [0, 1]), (slice(None), 1, [0, 2]), ([0, 1], slice(None), 1), (1, [0, 2], slice(None)),
           (0, slice(None), [[0, 1], [2, 3]]), (Ellipsis, 1, [0, 0]), (1, None, slice(None), [3, 1]),
           ((0, 0, 1),), (slice(None), (0, 0)), ([1, 0], 2, [3, 0]), (-1, slice(1, None), [-1])]


@pytest.mark.parametrize("index", INDEXES, ids=[str(i) for i in INDEXES])
def test_indexing_follows_torch(index):
    """t[index] of a (2, 3, 4) tensor, ints mixed with lists or tuples: torch's values, shape and gradient."""
    check_op(lambda t: t[index], make_inputs([(2, 3, 4)], seed=3), what=f"t[{index}] of a (2, 3, 4) tensor")


@pytest.mark.parametrize("shape", [(-2, 3), (-1, -1), (4, 2), (3, -3)])
def test_bad_reshape_is_refused(shape):
    """reshape with a size below -1, two -1s or the wrong number of elements raises RuntimeError, as in torch."""
    message = str(torch_error(lambda: torch.zeros(6).reshape(shape))).split(":")[0]
    with pytest.raises(RuntimeError, match=re.escape(message)) as info:
        Tensor(np.zeros(6)).reshape(shape)
    assert isinstance(info.value, ValueError)


def test_matmul_shape_error_is_a_runtime_error():
    """a @ b with shapes that do not fit raises RuntimeError (torch's type), still a ValueError."""
    assert isinstance(torch_error(lambda: torch.ones(2, 3) @ torch.ones(2, 3)), RuntimeError)
    with pytest.raises(RuntimeError, match="cannot be multiplied") as info:
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("call", ["sum(1.0)", "sum('a')", "max(0.0)", "sum([0.0])", "transpose(0.0, 1)", "size(0.0)"])
def test_a_float_dim_is_a_type_error(call):
    """A dim that is not an int raises TypeError naming its type, as in torch."""
    assert isinstance(torch_error(lambda: eval(f"t.{call}", {"t": torch.ones(2, 2)})), TypeError)
    with pytest.raises(TypeError, match="dim.*(float|str)"):
        eval(f"t.{call}", {"t": Tensor(np.ones((2, 2)))})


@pytest.mark.parametrize("call", ["max(0)", "argmax(0)", "max()", "argmax()"])
def test_largest_of_nothing_is_refused(call):
    """max/argmax over an empty dimension (or of an empty tensor without dim) raises torch's error type and message."""
    expected = torch_error(lambda: eval(f"t.{call}", {"t": torch.ones(0, 3)}))
    with pytest.raises(type(expected), match=re.escape(str(expected)[:40])):
        eval(f"t.{call}", {"t": Tensor(np.ones((0, 3)))})
    got = Tensor(np.ones((0, 3))).max(1)  # an empty result is fine, as in torch
    assert got.values.shape == tuple(torch.ones(0, 3).max(1).values.shape)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "argmax"])
def test_axis_is_an_alias_of_dim(name):
    """sum/mean/max/argmax accept axis= like torch."""
    x_np = make_inputs([(2, 3)], seed=4)[0]
    got, expected = getattr(Tensor(x_np), name)(axis=1), getattr(torch.tensor(x_np), name)(axis=1)
    got, expected = (got.values, expected.values) if name == "max" else (got, expected)
    assert_same(got.data, expected, f"{name}(axis=1)")


def test_sum_of_inf_and_minus_inf_is_nan_silently():
    """sum([inf, -inf]) is nan, without a numpy warning, as in torch."""
    import warnings
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        got = Tensor([np.inf, -np.inf]).sum()
    assert np.isnan(got.item()) and torch.tensor([np.inf, -np.inf]).sum().isnan()


# ---- issue 10, second round: torch's rules a torch user meets (Under the hood) ----

def test_setitem_refuses_none_and_names_shapes_like_torch():
    """x[0] = None raises TypeError; x[:2] = 3 values raises torch's RuntimeError and message."""
    torch_error(lambda: torch.tensor([1.0, 2.0]).__setitem__(0, None))
    with pytest.raises(TypeError, match="NoneType"):
        Tensor([1.0, 2.0])[0] = None
    for target, index, value in (((3,), slice(0, 2), (3,)), ((2, 3), slice(None), (2, 2))):
        expected = torch_error(lambda: torch.zeros(target).__setitem__(index, torch.ones(value)))
        with pytest.raises(RuntimeError, match=re.escape(str(expected))):
            Tensor(np.zeros(target))[index] = Tensor(np.ones(value))


@pytest.mark.parametrize("change", ["y += 1", "y -= 1", "y *= 2", "y /= 2", "y[0] = 5.0", "y.zero_()"])
def test_in_place_on_a_graph_node_is_refused(change):
    """An in-place change of a tensor inside a graph raises a RuntimeError saying how to write it; under no_grad it works."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"in-place operation.*y = y \+ 1"):
        exec(change, {"y": y})
    with no_grad():
        exec(change, {"y": y})
    assert y._version == 1, f"{change} under no_grad is counted: version {y._version}"


def test_reshape_of_nothing_with_minus_one_is_ambiguous():
    """zeros(0, 3).reshape(0, -1) raises torch's RuntimeError and message."""
    expected = torch_error(lambda: torch.zeros(0, 3).reshape(0, -1))
    with pytest.raises(RuntimeError, match=re.escape(str(expected))):
        Tensor(np.zeros((0, 3))).reshape(0, -1)


@pytest.mark.parametrize("call", ["var()", "std()", "var(correction=2)", "var(0, correction=3)", "std(unbiased=True)"])
def test_var_with_no_degrees_of_freedom_warns_like_torch(call):
    """var/std with N <= correction warn as torch does and give its nan or inf."""
    values = make_inputs([(2,)], seed=5)[0] if "correction" in call else np.array([1.5])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        got = eval(f"t.{call}", {"t": Tensor(values)})
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        expected = eval(f"t.{call}", {"t": torch.tensor(values)})
    assert_same(got.data, expected, f"{call} of {values}", equal_nan=True)


@pytest.mark.parametrize("mode", ["floor", "trunc", None])
def test_div_with_rounding_mode_is_torchs(mode):
    """div(..., rounding_mode) gives torch's values and dtypes, and torch's (zero) gradient for floor/trunc."""
    a, b = make_inputs([(2, 3), (3,)], seed=6, low=-6, high=6, away_from_zero=True)
    check_op(lambda x, y: x.div(y, rounding_mode=mode), [a, b], what=f"div(rounding_mode={mode!r})")
    ints, divisors = np.array([7, -7, 6, -6, 0]), np.array([2, 2, -4, -4, 3])
    got = Tensor(ints).div(Tensor(divisors), rounding_mode=mode)
    expected = torch.tensor(ints).div(torch.tensor(divisors), rounding_mode=mode)
    assert_same(got.data, expected, f"div of int64 tensors, rounding_mode={mode!r}")
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch."), f"dtype of int div ({mode!r})"


def test_div_rounding_mode_errors_are_torchs():
    """A bad rounding_mode, and integer division by zero with rounding, raise torch's RuntimeError."""
    for fn in (lambda T: T([7.0]).div(2.0, rounding_mode="round"), lambda T: T([7]).div(T([0]), rounding_mode="floor")):
        expected = torch_error(lambda: fn(torch.tensor))
        with pytest.raises(RuntimeError, match=re.escape(str(expected)[:40])):
            fn(Tensor)


def test_module_level_abs_is_torch_abs():
    """mylib.abs(x) is torch.abs(x) (values, dtype), and refuses a non-tensor as torch does."""
    x_np = np.array([-1, 2, -3])
    assert_same(mylib.abs(Tensor(x_np)).data, torch.abs(torch.tensor(x_np)), "mylib.abs of int64")
    torch_error(lambda: torch.abs(-3))
    with pytest.raises(TypeError, match="must be Tensor"):
        mylib.abs(-3)


@pytest.mark.parametrize("call", ["min(0)", "argmin(0)", "amax(0)", "amin(0)"])
def test_smallest_over_an_empty_dim_is_an_index_error(call):
    """min/argmin/amax/amin over an empty dimension raise torch's IndexError and message."""
    expected = torch_error(lambda: eval(f"t.{call}", {"t": torch.ones(0, 3)}))
    with pytest.raises(IndexError, match=re.escape(str(expected))):
        eval(f"t.{call}", {"t": Tensor(np.ones((0, 3)))})


@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.int64, np.float32)])
def test_matmul_of_two_dtypes_is_refused(dtypes):
    """a @ b with different dtypes raises a RuntimeError as in torch (matmul does not promote)."""
    a, b = (np.ones((2, 2), dtype=d) for d in dtypes)
    torch_error(lambda: torch.from_numpy(a) @ torch.from_numpy(b))
    with pytest.raises(RuntimeError, match="same dtype"):
        Tensor(a) @ Tensor(b)


def test_negative_step_is_refused():
    """x[::-1] raises ValueError 'step must be greater than zero', as in torch."""
    expected = torch_error(lambda: torch.tensor([1.0, 2.0])[::-1])
    with pytest.raises(ValueError, match=str(expected)):
        Tensor([1.0, 2.0])[::-1]



@pytest.mark.parametrize("expression", ["x.maximum(w)", "x.minimum(w)", "x.amax(0)", "x.amin()", "x.min()",
                                        "x.prod(0)", "x.logsumexp(0)", "x.var(0)", "x.std()",
                                        "x.div(w, rounding_mode='floor')"])
def test_changing_a_saved_input_is_caught(expression):
    """An input changed in place between forward and backward makes backward raise, as in torch."""
    def run(T, no_grad):
        x = T([[1.0, 3.0], [2.0, 0.5]], requires_grad=True)
        w = T([2.0, 1.0], requires_grad=True)
        y = eval(expression, {"x": x, "w": w})
        with no_grad():
            x += 1
        y.sum().backward()
    expected = torch_error(lambda: run(torch.tensor, torch.no_grad))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(Tensor, no_grad)
    assert "modified by an inplace operation" in str(expected)


def view_patterns(T, no_grad):
    """Changes through views of saved tensors (refused), and the usual updates after backward (fine)."""
    def exp_output(view):
        def run():
            x = T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
            y = x.exp()
            with no_grad():
                view(y)[0] = 0.0
            y.sum().backward()
        return run

    def update_after_backward():
        w = T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        x = T([[0.5, -1.0]])
        for _ in range(2):
            (x @ w.T).sum().backward()
            with no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        return w
    return {"reshape": exp_output(lambda y: y.reshape(-1)), "T": exp_output(lambda y: y.T),
            "slice": exp_output(lambda y: y[1:]), "view.flatten": exp_output(lambda y: y.view(4).flatten()),
            "update after backward": update_after_backward}


def test_views_share_the_version_counter():
    """A change through a view of a saved tensor is caught, and updates after backward work, as in torch."""
    for (name, ours), theirs in zip(view_patterns(Tensor, no_grad).items(),
                                    view_patterns(torch.tensor, torch.no_grad).values()):
        if name == "update after backward":
            assert_same(ours().data, theirs().detach(), name)
            continue
        assert "inplace" in str(torch_error(theirs))
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            ours()


def test_retained_grad_of_a_non_leaf_is_read_silently():
    """After retain_grad(), reading a non-leaf's .grad gives the gradient without torch's non-leaf warning."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None
        y.backward(np.ones(2, dtype=np.float32))
        assert_same(y.grad.data, torch.ones(2), "y.grad after retain_grad() and backward")


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
@settings(max_examples=20)
def test_floordiv_and_remainder_like_torch(shapes, seed):
    """a // b and a % b (floats: values; % also its gradients; ints: exact, Python's signs) as torch."""
    a, b = make_inputs(shapes.input_shapes, seed)
    b = np.where(np.abs(b) < 0.1, 0.5, b)
    check_op(lambda x, y: x % y, [a, b], lambda x, y: x % y, what="a % b")
    assert_same((Tensor(a) // Tensor(b)).data, torch.from_numpy(a) // torch.from_numpy(b), "a // b")
    ints = np.array([7, -7, 6, -6]), np.array([2, 2, -4, -4])
    for op in (lambda x, y: x // y, lambda x, y: x % y, lambda x, y: 7 % y, lambda x, y: x // 3):
        assert_same(op(Tensor(ints[0]), Tensor(ints[1])).data, op(torch.tensor(ints[0]), torch.tensor(ints[1])),
                    "integer // and %")


def test_floordiv_has_no_gradient_like_torch():
    """Backward through a // b is torch's RuntimeError (div(rounding_mode='floor') has the zero gradient)."""
    assert "not implemented" in str(torch_error(lambda: (torch.tensor([7.0], requires_grad=True) // 2).sum().backward()))
    with pytest.raises(RuntimeError, match="not implemented"):
        (Tensor([7.0], requires_grad=True) // 2).sum().backward()


def test_everyday_methods_like_torch():
    """tolist, clone (a copy in the graph), long, int, mylib.sum/mean/matmul, iter of 0-d, full(3, v), view of x.T."""
    x_np = np.array([[1.7, -1.7, 2.0], [0.5, 3.0, -2.5]])
    x, x_t = Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    assert x.tolist() == x_t.tolist() and Tensor(2.5).tolist() == 2.5
    for ours, theirs, what in ((x.long(), x_t.long(), "long()"), (x.int(), x_t.int(), "int()"),
                               (mylib.sum(x, 1), torch.sum(x_t, 1), "mylib.sum(x, 1)"),
                               (mylib.mean(x), torch.mean(x_t), "mylib.mean(x)"),
                               (mylib.matmul(x, x.T), torch.matmul(x_t, x_t.T), "mylib.matmul(x, x.T)")):
        assert_same(ours.data, theirs.detach(), what)
    assert not np.shares_memory(x.clone().data, x.data), "clone() must own its memory"
    (x.clone() * 2).sum().backward()
    (x_t.clone() * 2).sum().backward()
    assert_same(x.grad.data, x_t.grad, "gradient through clone()")
    for bad in (lambda T, lib: list(T(1.0)), lambda T, lib: lib.full(3, 1.0),
                lambda T, lib: T(np.ones((2, 3))).T.view(6)):
        expected = torch_error(lambda: bad(torch.tensor, torch))
        with pytest.raises(type(expected)):
            bad(Tensor, mylib)
    assert_same(Tensor(np.ones((2, 3))).view(3, 2).data, torch.ones(2, 3, dtype=torch.float64).view(3, 2), "view(3, 2)")


@pytest.mark.parametrize("op", ["*= 1.5", "/= 2", "+= (3, 2)"])
def test_inplace_refuses_what_torch_refuses(op):
    """x *= 1.5 and x /= 2 on an int tensor, and x += y that would grow x, are torch's RuntimeError."""
    def run(T, lib):
        x = T([2, 4]) if op in ("*= 1.5", "/= 2") else lib.zeros(2, dtype=lib.float64)
        if op == "*= 1.5":
            x *= 1.5
        elif op == "/= 2":
            x /= 2
        else:
            x += lib.ones(3, 2, dtype=lib.float64)
        return x
    lib = type("lib", (), {"zeros": mylib.zeros, "ones": mylib.ones, "float64": np.float64})
    expected = torch_error(lambda: run(torch.tensor, torch))
    with pytest.raises(RuntimeError) as info:
        run(Tensor, lib)
    assert "cast" in str(info.value) and "cast" in str(expected) or "broadcast shape" in str(info.value)


def test_clamp_with_tensor_bounds_like_torch():
    """clamp(min=tensor, max=tensor), broadcast: torch's values and gradients for x and both bounds (ties, low > high)."""
    x_np, low_np, high_np = np.array([0.0, 1.0, 2.0, 3.0, -1.0]), np.array([0.0, 2.0, 1.0, 3.0, 0.5]), np.array([1.0])
    check_op(lambda x, lo, hi: x.clamp(lo, hi), [x_np, low_np, high_np], lambda x, lo, hi: x.clamp(lo, hi),
             what="x.clamp(low, high)")
    check_op(lambda x, lo: x.clamp(min=lo), [x_np, low_np], lambda x, lo: x.clamp(min=lo), what="x.clamp(min=low)")
    check_op(lambda x, hi: x.clamp(max=hi), [x_np, high_np], lambda x, hi: x.clamp(max=hi), what="x.clamp(max=high)")


def test_gradients_at_special_values_like_torch():
    """std of a constant is 0-gradient; max over [nan, 1] and maximum(nan, 0) send the gradient as torch does."""
    nan = np.nan
    for fn, data in ((lambda x: x.std(), [2.0, 2.0, 2.0]), (lambda x: x.std(1).sum(), [[2.0, 2.0], [1.0, 3.0]]),
                     (lambda x: x.max(), [nan, 1.0]), (lambda x: x.min(), [nan, nan, 1.0])):
        ours, theirs = Tensor(np.array(data), requires_grad=True), torch.tensor(data, dtype=torch.float64, requires_grad=True)
        fn(ours).backward()
        fn(theirs).backward()
        assert_same(ours.grad.data, theirs.grad, "gradient at special values", equal_nan=True)
    for pick in ("maximum", "minimum"):
        a, b = np.array([nan, 1.0, nan, 0.0, 2.0]), np.array([0.0, nan, nan, 0.0, 1.0])
        check_op(lambda x, y: getattr(mylib, pick)(x, y), [a, b], lambda x, y: getattr(torch, pick)(x, y),
                 what=f"{pick} at nan")


def test_cat_skips_legacy_empty_tensors_like_torch():
    """cat([Tensor([]), x]) with a 2-d x skips the (0,)-shaped tensor, as torch does."""
    ours = mylib.cat([Tensor(np.zeros(0)), Tensor(np.ones((1, 2)))])
    assert_same(ours.data, torch.cat([torch.tensor([], dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64)]),
                "cat([Tensor([]), ones(1, 2)])")
