"""mylib.scalar as built in lesson 05: topological_sort, Value.backward and every Value operation
against torch float64; the backward pass's bookkeeping (reused nodes, deep graphs, accumulation,
freeing); the errors; to_dot; and mylib.utils.patch. (The networks of lesson 06: test_06_scalar_networks.py.)

Ordered like the lesson, so that with the lesson's pieces unwritten the first failure is a stub.
"""
import builtins
import gc
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mylib.scalar import Value, topological_sort
from mylib.utils import patch
from tests.compare import assert_same

reals = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)
positives = st.floats(min_value=1e-3, max_value=50.0)
nonzero = reals.filter(lambda x: abs(x) > 0.1)
size = "a module-level name that patching a method called `size` must not replace"


def assert_same_as_torch(what, fn, *inputs):
    """fn built once from Values and once from float64 torch scalars: same output, same gradients."""
    values = [Value(x) for x in inputs]
    out = fn(*values)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out_t = fn(*tensors)
    out_t.backward()
    at = f"{what} at {', '.join(f'{x!r}' for x in inputs)}"
    assert isinstance(out, Value) and type(out.data) is float, f"{at}: expected a Value holding a float, got {out!r}"
    assert_same(out.data, out_t, f"value of {at}")
    for k, (v, t) in enumerate(zip(values, tensors)):
        expected = t.grad if t.grad is not None else torch.zeros((), dtype=torch.float64)
        assert_same(v.grad, expected, f"gradient of {at} with respect to input {k}")


# ---------------------------------------------------------------- patch (mylib.utils)

def test_patch_attaches_a_method_and_keeps_the_previous_name():
    """@patch(cls) attaches a function as a method and leaves the module's name as it was."""
    class Box:
        def __init__(self, x):
            self.x = x

    @patch(Box)
    def double(self):
        return Box(2 * self.x)

    @patch(Box)
    def size(self):
        return 1

    @patch(Box)
    def sum(self):
        return self.x

    assert Box(3).double().x == 6 and Box(3).size() == 1 and Box(5).sum() == 5
    assert Box.double.__qualname__.endswith("Box.double")
    assert double is None, "a name the module did not have before stays unbound (None)"
    assert size == globals()["size"], "the module's own `size` keeps its meaning"
    assert sum is builtins.sum, "a method called `sum` must not hide the builtin sum"


def test_patch_refuses_the_names_a_module_itself_looks_up():
    """@patch cannot attach __getattr__ or __dir__: bound at module level, they would hijack the module."""
    class Box:
        pass

    with pytest.raises(TypeError, match="define Box.__getattr__ inside the class body"):
        @patch(Box)
        def __getattr__(self, name):
            return 0
    assert "__getattr__" not in vars(Box), "a refused method must not be attached"


# ---------------------------------------------------------------- topological_sort and backward

def test_topological_sort_puts_every_parent_first():
    """topological_sort lists every node once, each after all of its parents, the root last."""
    x, y = Value(0.3), Value(-1.2)
    out = ((x * y + x) * (x - y) + y * y * 2.0).sigmoid() * x
    order = topological_sort(out)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order) == 11, f"expected the graph's 11 nodes once each, got {len(order)} entries"
    assert order[-1] is out, "the root must come last"
    late = [(p._op or "leaf", node._op) for node in order for p in node._parents if position[p] > position[node]]
    assert not late, f"a parent came after the node made from it: {late}"
    assert {x, y} <= set(order)


def test_topological_sort_of_a_100_000_deep_graph_needs_no_recursion():
    """topological_sort handles a chain 100 000 operations deep (no RecursionError)."""
    x = Value(1.0)
    v = x
    for _ in range(100_000):
        v = v + 1.0
    order = topological_sort(v)
    assert len(order) == 100_001 and order[0] is x and order[-1] is v


def test_backward_of_the_lessons_example_matches_torch():
    """backward() of L = (a*b + c)*f gives torch's gradients (6, -4, -2, 4)."""
    assert_same_as_torch("(a*b + c)*f", lambda a, b, c, f: (a * b + c) * f, 2.0, -3.0, 10.0, -2.0)


def test_a_node_used_twice_gets_both_contributions():
    """A node used twice receives the gradient of both uses (b = a + a; c = b*b gives dc/da = 8a)."""
    a = Value(3.0)
    b = a + a
    c = b * b
    c.backward()
    assert a.grad == 8 * 3.0, f"dc/da for b = a + a, c = b*b at a = 3: expected 24 (8a), got {a.grad}"


@given(x=reals, y=reals)
def test_reused_and_shared_nodes_match_torch(x, y):
    """Gradients through nodes used several times equal torch's."""
    def fn(x, y):
        h = x * y + x
        return (h * h + h * x) * (h - y)
    assert_same_as_torch("(h*h + h*x)*(h - y) with h = x*y + x", fn, x, y)


def test_backward_of_a_100_000_deep_graph_works():
    """backward() through a graph 100 000 operations deep, with x used at every level."""
    x = Value(1.0)
    v = x
    for _ in range(100_000):
        v = v * 0.5 + x
    v.backward()
    assert math.isclose(v.data, 2.0) and math.isclose(x.grad, 2.0, rel_tol=1e-12), \
        f"v = v*0.5 + x, 100 000 times from x = 1: expected value 2 and dv/dx 2, got {v.data}, {x.grad}"


def test_a_retained_deep_graph_can_still_be_dropped():
    """A retained 100 000-deep graph is freed without overflowing the stack."""
    x = Value(1.0)
    v = x
    for _ in range(100_000):
        v = v + 1.0
    v.backward(retain_graph=True)
    assert x.grad == 1.0
    del v  # frees 100 000 nested nodes; must not overflow the C stack


# ---------------------------------------------------------------- each operation against torch

BINARY = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / b": lambda a, b: a / b,
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
    "tanh": (lambda a: a.tanh(), reals),
    "relu": (lambda a: a.relu(), reals),
    "log": (lambda a: a.log(), positives),
    "sigmoid": (lambda a: a.sigmoid(), reals),
}


@pytest.mark.parametrize("name", BINARY)
@given(a=reals, b=nonzero)
def test_binary_operators_match_torch(name, a, b):
    """+ - * / between two Values: values and gradients equal torch's."""
    assert_same_as_torch(name, BINARY[name], a, b)


@pytest.mark.parametrize("name", NUMBER_ON_EITHER_SIDE)
@given(a=nonzero)
def test_operators_with_a_plain_number_match_torch(name, a):
    """Operators with a plain number on either side equal torch's."""
    assert_same_as_torch(name, NUMBER_ON_EITHER_SIDE[name], a)


@given(base=st.floats(min_value=0.05, max_value=5.0), exponent=st.floats(min_value=-3.0, max_value=3.0))
def test_pow_with_any_real_exponent_matches_torch(base, exponent):
    """v ** n for a positive v and any real n: value and gradient n*v**(n-1) equal torch's."""
    assert_same_as_torch(f"v ** {exponent!r}", lambda a: a ** exponent, base)


@given(base=nonzero, exponent=st.integers(min_value=-3, max_value=4))
def test_pow_with_an_integer_exponent_and_a_negative_base_matches_torch(base, exponent):
    """v ** n for an integer n, also for a negative v, equals torch's."""
    assert_same_as_torch(f"v ** {exponent}", lambda a: a ** exponent, base)


@pytest.mark.parametrize("exponent", [0, 0.5, 1, 2, 3.5])
def test_pow_at_zero_has_torchs_gradient(exponent):
    """0 ** n has torch's slope: 0 for n = 0 or n > 1, 1 for n = 1, inf for 0 < n < 1."""
    assert_same_as_torch(f"v ** {exponent}", lambda a: a ** exponent, 0.0)


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_functions_match_torch(name, data):
    """exp, tanh, relu, log, sigmoid: values and gradients equal torch's."""
    fn, inputs = UNARY[name]
    assert_same_as_torch(f"{name}(v)", fn, data.draw(inputs))


TINY_CASES = {
    "v / v": lambda a: a / a,  # value 1, gradient 1/v - v/v² = 0
    "1 / v": lambda a: 1 / a,  # value 1e200, gradient -inf
    "v ** -1": lambda a: a ** -1,  # value 1e200, gradient -inf
    "v ** -1.5": lambda a: a ** -1.5,
    "-v / 3v": lambda a: -a / (3 * a),
}


@pytest.mark.parametrize("name", TINY_CASES)
@pytest.mark.parametrize("x", [1e-200, -1e-200, 1e-100])
def test_tiny_numbers_follow_ieee_like_torch(name, x):
    """A slope too big for a float is ±inf, as in torch, without warnings or ZeroDivisionError."""
    if x < 0 and "1.5" in name:
        return  # a negative base needs an integer exponent
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning escapes
        assert_same_as_torch(name, TINY_CASES[name], x)


def test_relu_at_zero_has_gradient_zero_like_torch():
    """relu's slope at 0 is 0, torch's choice."""
    assert_same_as_torch("relu(v)", lambda a: a.relu(), 0.0)


@pytest.mark.parametrize("x", [-1e4, -800.0, -40.0, 40.0, 800.0, 1e4])
def test_sigmoid_is_finite_and_warning_free_for_huge_inputs(x):
    """sigmoid stays finite and warning-free up to ±1e4, and equals torch's."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = Value(x).sigmoid()
    assert math.isfinite(s.data) and 0.0 <= s.data <= 1.0
    assert_same_as_torch("sigmoid(v)", lambda a: a.sigmoid(), x)


@given(x=reals, y=nonzero, z=positives)
def test_composite_expressions_match_torch(x, y, z):
    """A composite of every operation equals torch's, value and gradients."""
    assert_same_as_torch("((x*y).tanh() + z.log()*x) / (1 + (x-y).sigmoid()) - (y**2).exp()*0.1 + (z-x).relu()**1.5",
                         lambda x, y, z: ((x * y).tanh() + z.log() * x) / (1 + (x - y).sigmoid())
                         - (y ** 2).exp() * 0.1 + (z - x).relu() ** 1.5, x, y, z)


def test_numpy_scalars_are_plain_constants():
    """numpy numbers mixed in are constants, and a float32 one is not rounded to float32."""
    v = Value(2.0)
    for out in (np.float64(3.0) * v, v * np.float32(0.1), np.int64(4) - v):
        assert isinstance(out, Value) and type(out.data) is float
    assert (v * np.float32(0.1)).data == 2.0 * float(np.float32(0.1))  # no rounding to float32


# ---------------------------------------------------------------- accumulation and freeing the graph

def test_gradients_accumulate_over_two_backward_calls_like_torch():
    """Two backward() calls add up in the leaves' grad, as in torch."""
    w, w_t = Value(1.5), torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    for _ in range(2):
        ((w * 3.0 - 6.0) ** 2).backward()
        ((w_t * 3.0 - 6.0) ** 2).backward()
    assert_same(w.grad, w_t.grad, "w.grad after two backward() calls of (3w - 6)**2 at w = 1.5")
    assert w.grad == 2 * (2 * 3 * (1.5 * 3 - 6))


def test_retain_graph_accumulates_in_leaves_only_like_torch():
    """With retain_graph, a second backward() doubles the leaves' grad; interior nodes hold one call's."""
    x, x_t = Value(0.7), torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    h, h_t = x * x, x_t * x_t
    h_t.retain_grad()
    out, out_t = h.tanh() * x, h_t.tanh() * x_t
    for _ in range(2):
        out.backward(retain_graph=True)
        out_t.backward(retain_graph=True)
    assert_same(x.grad, x_t.grad, "x.grad after two backward(retain_graph=True) calls of tanh(x*x)*x")
    single = Value(0.7)
    ((single * single).tanh() * single).backward()
    assert math.isclose(x.grad, 2 * single.grad), "two calls must give twice one call's gradient"
    expected = (1 - math.tanh(0.49) ** 2) * 0.7
    assert math.isclose(h.grad, expected), \
        f"an interior node holds this call's gradient only: expected {expected}, got {h.grad}"


def test_backward_on_a_leaf_adds_one_to_its_gradient():
    """backward() on a leaf adds 1 to its grad each time, as in torch."""
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0, f"two backward() calls on a leaf: expected grad 2 (1 each time), got {x.grad}"


def test_backward_frees_the_graph():
    """After backward() only the Values we hold survive: the graph is freed."""
    gc.collect()
    before = sum(type(o) is Value for o in gc.get_objects())
    w = Value(0.8)
    loss = ((w * 2.0 - 1.0).tanh() * 3.0) ** 2 + w.exp()
    loss.backward()
    alive = sum(type(o) is Value for o in gc.get_objects()) - before
    assert alive == 2, f"only w and loss may survive backward() while we hold them; {alive} Values are alive"
    assert loss._parents is None and w._parents == ()


def test_a_backward_pass_leaves_no_garbage_for_the_cyclic_collector():
    """No reference cycles: reference counting frees a whole graph after backward()."""
    gc.collect()
    gc.disable()
    try:
        w, b = Value(0.3), Value(-0.2)
        loss = sum((x * w + b - y) * (x * w + b - y) for x, y in ((0.5, 1.0), (1.5, -1.0), (2.0, 0.5)))
        loss.backward()
        del loss
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_second_backward_through_a_freed_graph_raises():
    """A second backward() through a freed graph raises RuntimeError, as in torch."""
    x = Value(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="freed by an earlier backward"):
        y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (y * 3.0).backward()  # a new graph built on a freed node cannot reach x either


# ---------------------------------------------------------------- errors

def test_value_pow_value_is_a_type_error_with_a_clear_message():
    """Value ** Value is refused with a TypeError that says what to do."""
    with pytest.raises(TypeError, match=r"Value \*\* Value is not supported: the exponent must be a plain number"):
        Value(2.0) ** Value(3.0)


def test_pow_of_a_negative_base_with_a_fractional_exponent_is_a_value_error():
    """(-8) ** (1/3) is refused with a ValueError."""
    with pytest.raises(ValueError, match="negative base needs an integer exponent"):
        Value(-8.0) ** (1 / 3)


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_a_non_positive_number_is_a_value_error_like_math_log(x):
    """log of a number <= 0 raises ValueError, like math.log."""
    with pytest.raises(ValueError, match=f"log needs a positive number, got {x!r}"):
        Value(x).log()
    with pytest.raises(ValueError):
        math.log(x)


def test_exp_overflow_is_an_overflow_error_naming_the_input():
    """exp(1000) raises OverflowError naming the input."""
    with pytest.raises(OverflowError, match=r"exp\(1000.0\) overflows"):
        Value(1000.0).exp()


def test_division_by_zero_raises_like_python():
    """Division by zero raises ZeroDivisionError, like Python."""
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        2.0 / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1


@pytest.mark.parametrize("bad", ["1.5", None, [1.0], 1 + 2j])
def test_value_of_a_non_number_is_a_type_error(bad):
    """Value(data) refuses anything but a real number."""
    with pytest.raises(TypeError, match="Value\\(data\\) needs a real number"):
        Value(bad)


def test_operators_with_unsupported_types_raise_type_error():
    """Operators with strings (or a Value exponent of a number) raise TypeError."""
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * Value(1.0)
    with pytest.raises(TypeError):
        2 ** Value(1.0)
    with pytest.raises(TypeError):
        Value(1.0) ** "2"


# ---------------------------------------------------------------- to_dot

def test_to_dot_lists_every_node_and_edge_with_its_local_derivative():
    """to_dot() lists every node (value and grad) and every edge (its local derivative)."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    c.label = "c"
    c.backward(retain_graph=True)
    dot = c.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count("[label=") == 8 and dot.count("->") == 4
    assert "{ a | data 2 | grad -2 }" in dot and "{ c (+) | data -4 | grad 1 }" in dot
    assert '[label="-3"];' in dot and '[label="2"];' in dot  # a*b: d/da = b = -3, d/db = a = 2
