"""mylib.scalar (lesson 05): every Value operation against torch float64, the backward pass's
bookkeeping (reused nodes, deep graphs, accumulation, freeing), errors, and the small MLP."""
import gc
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import make_moons as sklearn_make_moons
from torch.testing import assert_close

from mylib.datasets import make_moons
from mylib.scalar import MLP, Layer, Neuron, Value, topological_sort

TIGHT = {"rtol": 1e-7, "atol": 1e-9}
reals = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)
positives = st.floats(min_value=1e-3, max_value=50.0)
nonzero = reals.filter(lambda x: abs(x) > 0.1)


def assert_same_as_torch(fn, *inputs):
    """fn built once from Values and once from float64 torch scalars: same output, same gradients."""
    values = [Value(x) for x in inputs]
    out = fn(*values)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out_t = fn(*tensors)
    out_t.backward()
    assert isinstance(out, Value) and type(out.data) is float
    assert_close(torch.tensor(out.data, dtype=torch.float64), out_t.detach(), **TIGHT)
    for v, t in zip(values, tensors):
        expected = t.grad if t.grad is not None else torch.zeros((), dtype=torch.float64)
        assert_close(torch.tensor(v.grad, dtype=torch.float64), expected, **TIGHT)


# ---------------------------------------------------------------- each operation against torch

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b,
}
NUMBER_ON_EITHER_SIDE = {
    "v + 2.5": lambda a: a + 2.5, "2.5 + v": lambda a: 2.5 + a,
    "v - 2.5": lambda a: a - 2.5, "2.5 - v": lambda a: 2.5 - a,
    "v * 2.5": lambda a: a * 2.5, "2.5 * v": lambda a: 2.5 * a,
    "v / 2.5": lambda a: a / 2.5, "2.5 / v": lambda a: 2.5 / a,
    "-v": lambda a: -a, "int 3 - v": lambda a: 3 - a,
}
UNARY = {
    "exp": (lambda a: a.exp(), reals),
    "log": (lambda a: a.log(), positives),
    "tanh": (lambda a: a.tanh(), reals),
    "relu": (lambda a: a.relu(), reals),
    "sigmoid": (lambda a: a.sigmoid(), reals),
}


@pytest.mark.parametrize("name", BINARY)
@given(a=reals, b=nonzero)
def test_binary_operators_match_torch(name, a, b):
    assert_same_as_torch(BINARY[name], a, b)


@pytest.mark.parametrize("name", NUMBER_ON_EITHER_SIDE)
@given(a=nonzero)
def test_operators_with_a_plain_number_match_torch(name, a):
    assert_same_as_torch(NUMBER_ON_EITHER_SIDE[name], a)


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_functions_match_torch(name, data):
    fn, inputs = UNARY[name]
    assert_same_as_torch(fn, data.draw(inputs))


@given(base=st.floats(min_value=0.05, max_value=5.0), exponent=st.floats(min_value=-3.0, max_value=3.0))
def test_pow_with_any_real_exponent_matches_torch(base, exponent):
    assert_same_as_torch(lambda a: a ** exponent, base)


@given(base=nonzero, exponent=st.integers(min_value=-3, max_value=4))
def test_pow_with_an_integer_exponent_and_a_negative_base_matches_torch(base, exponent):
    assert_same_as_torch(lambda a: a ** exponent, base)


@pytest.mark.parametrize("exponent", [0, 0.5, 1, 2, 3.5])
def test_pow_at_zero_has_torchs_gradient(exponent):
    assert_same_as_torch(lambda a: a ** exponent, 0.0)  # 0, inf, 1, 0, 0


TINY_CASES = {
    "v / v": lambda a: a / a,  # value 1, gradient 1/v - v/v² = 0
    "1 / v": lambda a: 1 / a,  # value 1e200, gradient -inf
    "v ** -1": lambda a: a ** -1,  # value 1e200, gradient -inf
    "v ** -1.5 (1e-100)": lambda a: a ** -1.5,
    "-v / 3v": lambda a: -a / (3 * a),
}


@pytest.mark.parametrize("name", TINY_CASES)
@pytest.mark.parametrize("x", [1e-200, -1e-200, 1e-100])
def test_tiny_numbers_follow_ieee_like_torch(name, x):
    """A local derivative too big for a float becomes ±inf, as in torch; nothing underflows to a
    division by zero (y * y for |y| < 1e-154 would)."""
    if x < 0 and "1.5" in name:
        return  # a negative base needs an integer exponent
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning escapes
        assert_same_as_torch(TINY_CASES[name], x)


def test_relu_at_zero_has_gradient_zero_like_torch():
    assert_same_as_torch(lambda a: a.relu(), 0.0)


@pytest.mark.parametrize("x", [-1e4, -800.0, -40.0, 40.0, 800.0, 1e4])
def test_sigmoid_is_finite_and_warning_free_for_huge_inputs(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = Value(x).sigmoid()
    assert math.isfinite(s.data) and 0.0 <= s.data <= 1.0
    assert_same_as_torch(lambda a: a.sigmoid(), x)


@given(x=reals, y=nonzero, z=positives)
def test_composite_expressions_match_torch(x, y, z):
    assert_same_as_torch(lambda x, y, z: ((x * y).tanh() + z.log() * x) / (1 + (x - y).sigmoid())
                         - (y ** 2).exp() * 0.1 + (z - x).relu() ** 1.5, x, y, z)


def test_numpy_scalars_are_plain_constants():
    v = Value(2.0)
    for out in (np.float64(3.0) * v, v * np.float32(0.1), np.int64(4) - v):
        assert isinstance(out, Value) and type(out.data) is float
    assert (v * np.float32(0.1)).data == 2.0 * float(np.float32(0.1))  # no rounding to float32


# ---------------------------------------------------------------- the backward pass

def test_a_node_used_twice_gets_both_contributions():
    a = Value(3.0)
    b = a + a
    c = b * b
    c.backward()
    assert a.grad == 8 * 3.0  # dc/da = 2b * (1 + 1); with '=' instead of '+=' it would be 12


@given(x=reals, y=reals)
def test_reused_and_shared_nodes_match_torch(x, y):
    def fn(x, y):
        h = x * y + x
        return (h * h + h.tanh() * x) * (h - y)
    assert_same_as_torch(fn, x, y)


def test_a_100_000_deep_graph_works():
    x = Value(1.0)
    v = x
    for _ in range(100_000):
        v = v * 0.5 + x  # x is used at every level: deep and reused at once
    v.backward()
    assert math.isclose(v.data, 2.0) and math.isclose(x.grad, 2.0, rel_tol=1e-12)  # 0.5^n + (1 - 0.5^n)/0.5


def test_a_retained_deep_graph_can_still_be_dropped():
    x = Value(1.0)
    v = x
    for _ in range(100_000):
        v = v + 1.0
    v.backward(retain_graph=True)
    assert x.grad == 1.0
    del v  # frees 100 000 nested nodes; must not overflow the C stack


def test_topological_sort_puts_every_parent_first():
    x, y = Value(0.3), Value(-1.2)
    out = ((x * y + x) * (x - y) + y.exp()).tanh() * x
    order = topological_sort(out)
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] is out and len(position) == len(order)
    assert all(position[p] < position[node] for node in order for p in node._parents)
    assert {x, y} <= set(order)


def test_gradients_accumulate_over_two_backward_calls_like_torch():
    w, w_t = Value(1.5), torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    for _ in range(2):
        ((w * 3.0 - 6.0) ** 2).backward()
        ((w_t * 3.0 - 6.0) ** 2).backward()
    assert w.grad == w_t.grad.item() == 2 * (2 * 3 * (1.5 * 3 - 6))


def test_retain_graph_accumulates_in_leaves_only_like_torch():
    x, x_t = Value(0.7), torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    h, h_t = x * x, x_t * x_t
    h_t.retain_grad()
    out, out_t = h.tanh() * x, h_t.tanh() * x_t
    for _ in range(2):
        out.backward(retain_graph=True)
        out_t.backward(retain_graph=True)
    assert_close(torch.tensor(x.grad, dtype=torch.float64), x_t.grad, **TIGHT)  # twice the gradient
    single = Value(0.7)
    ((single * single).tanh() * single).backward()
    assert math.isclose(x.grad, 2 * single.grad)
    assert math.isclose(h.grad, (1 - math.tanh(0.49) ** 2) * 0.7)  # this call's gradient, not twice it


def test_backward_frees_the_graph():
    gc.collect()
    before = sum(type(o) is Value for o in gc.get_objects())
    w = Value(0.8)
    loss = ((w * 2.0 - 1.0).tanh() * 3.0) ** 2 + w.exp()
    loss.backward()
    alive = sum(type(o) is Value for o in gc.get_objects()) - before
    assert alive == 2, "only w and loss may survive backward() while we hold them"
    assert loss._parents is None and w._parents == ()


def test_a_training_step_leaves_no_garbage_for_the_cyclic_collector():
    model = MLP([2, 4, 1], rng=np.random.default_rng(0))
    gc.collect()
    gc.disable()
    try:
        loss = sum((1 - model(p)[0]).relu() for p in ([0.5, -1.0], [1.0, 2.0]))
        loss.backward()
        del loss
        assert gc.collect() == 0  # no reference cycles: reference counting freed everything
    finally:
        gc.enable()


def test_a_second_backward_through_a_freed_graph_raises():
    x = Value(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (y * 3.0).backward()  # a new graph built on a freed node cannot reach x either


def test_backward_on_a_leaf_sets_its_gradient_to_one():
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0  # torch: a leaf's backward() accumulates 1 each time


# ---------------------------------------------------------------- errors

def test_value_pow_value_is_a_type_error_with_a_clear_message():
    with pytest.raises(TypeError, match=r"Value \*\* Value is not supported: the exponent must be a plain number"):
        Value(2.0) ** Value(3.0)


def test_pow_of_a_negative_base_with_a_fractional_exponent_is_a_value_error():
    with pytest.raises(ValueError, match="negative base needs an integer exponent"):
        Value(-8.0) ** (1 / 3)


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_a_non_positive_number_is_a_value_error_like_math_log(x):
    with pytest.raises(ValueError, match=f"log needs a positive number, got {x!r}"):
        Value(x).log()
    with pytest.raises(ValueError):
        math.log(x)


def test_exp_overflow_is_an_overflow_error_naming_the_input():
    with pytest.raises(OverflowError, match=r"exp\(1000.0\) overflows"):
        Value(1000.0).exp()


def test_division_by_zero_raises_like_python():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        2.0 / Value(0.0)


@pytest.mark.parametrize("bad", ["1.5", None, [1.0], 1 + 2j])
def test_value_of_a_non_number_is_a_type_error(bad):
    with pytest.raises(TypeError, match="Value\\(data\\) needs a real number"):
        Value(bad)


def test_operators_with_unsupported_types_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * Value(1.0)
    with pytest.raises(TypeError):
        2 ** Value(1.0)


# ---------------------------------------------------------------- to_dot

def test_to_dot_lists_every_node_and_edge():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    c.label = "c"
    c.backward(retain_graph=True)
    dot = c.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("[label=") == 4 and dot.count("->") == 4
    assert "{ a | data 2 | grad -2 }" in dot and "{ c (+) | data -4 | grad 1 }" in dot


# ---------------------------------------------------------------- the MLP and its data

def torch_copy(model):
    layers = [torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
              for layer in model.layers]
    with torch.no_grad():
        for linear, layer in zip(layers, model.layers):
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
    return layers


def torch_forward(layers, X, activation):
    h = X
    for k, linear in enumerate(layers):
        h = linear(h)
        if k < len(layers) - 1:
            h = getattr(torch, activation)(h)
    return h[:, 0]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_training_run_matches_torch(activation):
    rng = np.random.default_rng(3)
    X, y = make_moons(20, noise=0.1, rng=rng)
    targets = 2.0 * y - 1.0
    model = MLP([2, 8, 8, 1], activation=activation, rng=rng)
    layers = torch_copy(model)
    params_t = [p for linear in layers for p in (linear.weight, linear.bias)]
    X_t, t_t = torch.tensor(X), torch.tensor(targets)
    for step in range(10):
        batch = [(step * 4 + k) % 20 for k in range(4)]
        loss = sum((1 - targets[i] * model(X[i].tolist())[0]).relu() for i in batch) / len(batch)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.2 * p.grad
        loss_t = torch.relu(1 - t_t[batch] * torch_forward(layers, X_t[batch], activation)).mean()
        for p in params_t:
            p.grad = None
        loss_t.backward()
        with torch.no_grad():
            for p in params_t:
                p -= 0.2 * p.grad
        assert_close(torch.tensor(loss.data, dtype=torch.float64), loss_t.detach(), **TIGHT)
    for linear, layer in zip(layers, model.layers):
        assert_close(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64),
                     linear.weight.detach(), **TIGHT)
        assert_close(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64),
                     linear.bias.detach(), **TIGHT)


def test_mlp_structure_parameters_and_zero_grad():
    model = MLP([2, 16, 16, 1], rng=np.random.default_rng(0))
    assert len(model.parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "relu", None]
    bound = 1 / math.sqrt(16)  # torch.nn.Linear's initialisation range for 16 inputs
    assert all(abs(p.data) <= bound for p in model.layers[1].parameters())
    model(([0.3, -0.2]))[0].backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_model_building_errors_are_clear():
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        Layer(2, 4, rng=np.random.default_rng(0))([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        Neuron(2, activation="gelu")
    with pytest.raises(ValueError, match="at least an input and an output size"):
        MLP([2])


def test_make_moons_matches_sklearn_without_noise():
    X, y = make_moons(101, noise=0.0, rng=np.random.default_rng(0))
    X_ref, y_ref = sklearn_make_moons(101, shuffle=False, noise=None)
    np.testing.assert_allclose(X, X_ref, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(y, y_ref)
    assert X.dtype == np.float64 and y.dtype == np.int64 and X.shape == (101, 2)


def test_make_moons_is_reproducible_and_checks_its_arguments():
    first = make_moons(50, noise=0.1, rng=np.random.default_rng(7))
    second = make_moons(50, noise=0.1, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], make_moons(50, noise=0.0)[0])
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        make_moons(1)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        make_moons(10, noise=-0.1)
