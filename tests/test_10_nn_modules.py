"""mylib.nn, mylib.nn.init and the losses of mylib.functional, as built in lesson 10, against PyTorch (float64).

The tests of the four build pieces come first, in the lesson's order — `Module.__setattr__`,
`Module.named_parameters`, `Linear`, `Sequential` — each testing only what it needs, so the first
failure names the first piece that is missing or wrong. Then the given parts: the rest of `Module`,
state_dict, activations, losses, init and seed 001's training run.
"""
import copy
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import mylib.nn as nn
from mylib import Tensor, no_grad
from mylib import functional as F
from mylib.nn import init
from tests.compare import assert_same

TIGHT = dict(rtol=1e-7, atol=1e-9)


def close(ours, theirs, what):
    """assert_same for a mylib Tensor/array and a torch tensor (shape and dtype checked too)."""
    assert_same(np.asarray(ours.data if isinstance(ours, Tensor) else ours), theirs, what)


def copy_weights(ours: nn.Module, theirs: torch.nn.Module) -> None:
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


def names(pairs):
    return [name for name, _ in pairs]


# ---- Parameter (given) ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameter_is_a_tensor_requiring_grad_and_keeps_dtype(dtype):
    """Parameter is a Tensor with requires_grad=True that keeps its dtype."""
    p = nn.Parameter(np.ones((2, 3), dtype=dtype))
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == dtype and p.shape == (2, 3)
    assert not nn.Parameter(Tensor(np.ones(2)), requires_grad=False).requires_grad
    assert type(p * 2) is Tensor  # results of ops are plain tensors, not parameters
    assert repr(p).startswith("Parameter containing:")


# ---- small models, built the same way in both libraries, without Linear or Sequential ----
class Scale(nn.Module):
    def __init__(self, values):
        super().__init__()
        self.weight = nn.Parameter(np.array(values, dtype=np.float64))
        self.note = "not a parameter"

    def forward(self, x):
        return x * self.weight


class TorchScale(torch.nn.Module):
    def __init__(self, values):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor(values, dtype=torch.float64))
        self.note = "not a parameter"

    def forward(self, x):
        return x * self.weight


class Pair(nn.Module):
    """A child assigned before the module's own parameter, and a plain Tensor that is not registered."""

    def __init__(self):
        super().__init__()
        self.inner = Scale([1.5, -2.0])
        self.scale = nn.Parameter(np.array([3.0]))
        self.cache = Tensor(np.zeros(2))

    def forward(self, x):
        return self.inner(x) * self.scale


class TorchPair(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = TorchScale([1.5, -2.0])
        self.scale = torch.nn.Parameter(torch.tensor([3.0], dtype=torch.float64))
        self.cache = torch.zeros(2, dtype=torch.float64)

    def forward(self, x):
        return self.inner(x) * self.scale


class Tree(nn.Module):
    """Three levels, a child shared under two names, and an own parameter assigned last."""

    def __init__(self):
        super().__init__()
        self.left = Pair()
        self.right = Pair()
        self.again = self.left.inner
        self.offset = nn.Parameter(np.array([0.5, 0.25]))


class TorchTree(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.left = TorchPair()
        self.right = TorchPair()
        self.again = self.left.inner
        self.offset = torch.nn.Parameter(torch.tensor([0.5, 0.25], dtype=torch.float64))


# ---- build piece 1: Module.__setattr__ -------------------------------------------------
def test_assignment_registers_parameters_and_child_modules_as_torch_does():
    """self.name = Parameter(…) registers a parameter, self.name = Module() a child, anything else stays a plain attribute."""
    ours, theirs = Pair(), TorchPair()
    for a, b, where in ((ours, theirs, "Pair()"), (ours.inner, theirs.inner, "Pair().inner")):
        for registry in ("_parameters", "_modules"):
            got, expected = list(getattr(a, registry)), list(getattr(b, registry))
            assert got == expected, f"{where}.{registry}: expected {expected} (torch), got {got}"
    assert ours.scale is ours._parameters["scale"] and ours.inner is ours._modules["inner"], \
        "model.scale and model.inner must find the registered objects"
    assert "cache" in vars(ours) and isinstance(ours.cache, Tensor), \
        "a plain Tensor assigned as self.cache must stay an ordinary attribute (in vars(module))"
    assert vars(ours.inner)["note"] == "not a parameter", "a string attribute must stay an ordinary attribute"
    x = np.array([1.0, 3.0])
    assert_same(ours(Tensor(x)), theirs(torch.from_numpy(x)), "Pair()(x) = x * inner.weight * scale for x = [1, 3]")


def test_reassigning_a_parameter_or_a_child_keeps_one_entry_per_name():
    """Assigning to a name again replaces the registered value in place; a name lives in one registry only."""
    ours = Pair()
    ours.scale = nn.Parameter(np.array([4.0]))
    ours.inner = Scale([1.0, 1.0])
    assert list(ours._parameters) == ["scale"] and list(ours._modules) == ["inner"], \
        f"after re-assigning: _parameters {list(ours._parameters)}, _modules {list(ours._modules)}"
    assert ours.scale.data[0] == 4.0 and ours.inner.weight.data[0] == 1.0
    ours.cache = nn.Parameter(np.zeros(2))  # an ordinary attribute becomes a parameter
    assert "cache" not in vars(ours) and list(ours._parameters) == ["scale", "cache"]
    plain = nn.Module()
    plain.number = 3
    assert plain.number == 3 and "number" in vars(plain) and not plain._parameters and not plain._modules


# ---- build piece 2: Module.named_parameters --------------------------------------------
def test_named_parameters_gives_torchs_names_in_torchs_order():
    """named_parameters() yields (dotted name, parameter): each module's own parameters first, then its children's."""
    ours, theirs = Pair(), TorchPair()
    got, expected = names(ours.named_parameters()), names(theirs.named_parameters())
    assert got == expected, f"Pair().named_parameters(): expected {expected} (torch), got {got}"
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_same(p, q, f"Pair().named_parameters(): the parameter called {name}")
    assert names(ours.named_parameters(recurse=False)) == names(theirs.named_parameters(recurse=False)) == ["scale"]
    assert [p.shape for p in ours.parameters()] == [(1,), (2,)]


def test_named_parameters_of_a_tree_with_a_shared_child():
    """A parameter shared by two parents is yielded once, unless remove_duplicate=False, as in torch."""
    ours, theirs = Tree(), TorchTree()
    for remove_duplicate in (True, False):
        got = names(ours.named_parameters(remove_duplicate=remove_duplicate))
        expected = names(theirs.named_parameters(remove_duplicate=remove_duplicate))
        assert got == expected, \
            f"Tree().named_parameters(remove_duplicate={remove_duplicate}): expected {expected} (torch), got {got}"
    assert names(ours.named_parameters(prefix="model")) == names(theirs.named_parameters(prefix="model"))
    assert len(list(ours.parameters())) == len({id(p) for p in ours.parameters()}) == 5
    ours.left.scale = None  # declared but absent: skipped, like Linear(bias=False)'s bias
    assert "left.scale" not in names(ours.named_parameters())


def test_named_parameters_yields_a_tied_parameter_once():
    """A Parameter that two layers share (weight tying) is yielded once, unless remove_duplicate=False, as in torch."""
    ours, theirs = Tree(), TorchTree()
    ours.right.inner.weight = ours.left.inner.weight  # two different modules, one Parameter
    theirs.right.inner.weight = theirs.left.inner.weight
    for remove_duplicate in (True, False):
        got = names(ours.named_parameters(remove_duplicate=remove_duplicate))
        expected = names(theirs.named_parameters(remove_duplicate=remove_duplicate))
        assert got == expected, (f"Tree() with right.inner.weight = left.inner.weight: "
                                 f"named_parameters(remove_duplicate={remove_duplicate}) should be {expected} "
                                 f"(torch), got {got}")


# ---- build piece 3: Linear --------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_values_and_gradients_for_any_leading_shape(shape, bias):
    """Linear's output and gradients equal torch's (same weights) for inputs of shape (*, in_features)."""
    theirs = torch.nn.Linear(3, 2, bias=bias).double()
    ours = nn.Linear(3, 2, bias=bias, dtype=np.float64)
    copy_weights(ours, theirs)
    x = np.random.default_rng(1).standard_normal(shape)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    what = f"Linear(3, 2, bias={bias}) on an input of shape {shape}"
    out, tout = ours(x_ours), theirs(x_theirs)
    close(out, tout, what)
    g = np.random.default_rng(2).standard_normal(tout.shape)
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    close(x_ours.grad, x_theirs.grad, f"{what}: the gradient of the input")
    close(ours.weight.grad, theirs.weight.grad, f"{what}: the gradient of the weight")
    if bias:
        close(ours.bias.grad, theirs.bias.grad, f"{what}: the gradient of the bias")


def test_linear_shapes_dtype_and_default_initialisation():
    """Linear(in, out) has weight (out, in) and bias (out,), float32, drawn from U(±1/sqrt(in)) like torch's."""
    init.manual_seed(0)
    layer = nn.Linear(300, 200)
    assert layer.weight.shape == (200, 300) and layer.bias.shape == (200,)
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    assert names(layer.named_parameters()) == ["weight", "bias"]
    bound = 1 / math.sqrt(300)
    for name, n in (("weight", 60_000), ("bias", 200)):
        p = getattr(layer, name).data
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.95 * bound, \
            f"Linear(300, 200).{name}: expected values up to torch's bound 1/sqrt(300) = {bound:.5f}, " \
            f"got max |{name}| = {np.abs(p).max():.5f}"
        assert abs(p.std() - bound / math.sqrt(3)) < 5 * bound / math.sqrt(3) / math.sqrt(n), \
            f"Linear(300, 200).{name}: expected std {bound / math.sqrt(3):.5f} (U(±bound)), got {p.std():.5f}"
    torch_weight = torch.nn.Linear(300, 200).weight.detach().numpy()  # the same distribution
    assert np.abs(torch_weight).max() <= bound and abs(torch_weight.std() - layer.weight.data.std()) < 0.02 * bound
    assert layer.bias is not None and nn.Linear(2, 2, bias=False).bias is None
    assert repr(nn.Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))
    assert nn.Linear(0, 2).bias.shape == (2,)  # no inputs: bound 0, no error


def test_linear_is_reproducible_with_manual_seed():
    """init.manual_seed(s) makes the next Linear's weights reproducible."""
    init.manual_seed(42)
    a = nn.Linear(4, 3).state_dict()
    init.manual_seed(42)
    b = nn.Linear(4, 3).state_dict()
    c = nn.Linear(4, 3).state_dict()
    np.testing.assert_array_equal(a["weight"], b["weight"])
    assert not np.array_equal(b["weight"], c["weight"])


def test_linear_bad_input_errors_name_the_shapes_and_dtypes():
    """Linear refuses a wrong last dimension, a mixed dtype, a non-Tensor and bad sizes, naming them."""
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3, out_features=2\) expects input of shape "
                                         r"\(\*, 3\), got \(4, 5\)"):
        layer(Tensor(np.zeros((4, 5), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"got \(\)"):
        layer(Tensor(np.float32(1.0)))
    with pytest.raises(TypeError, match="input dtype float64 differs from weight dtype float32"):
        layer(Tensor(np.zeros((4, 3))))
    with pytest.raises(TypeError, match="must be a mylib Tensor, got ndarray"):
        layer(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="in_features must be a non-negative int"):
        nn.Linear(-1, 2)
    with pytest.raises(TypeError, match="out_features must be a non-negative int"):  # torch: TypeError
        nn.Linear(2, 2.5)
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 2, dtype=np.int64)


# ---- build piece 4: Sequential ----------------------------------------------------------
def test_sequential_equals_torchs_sequential():
    """Sequential names its children "0", "1", … and feeds each output to the next, as torch's Sequential."""
    ours = nn.Sequential(nn.Linear(4, 6, dtype=np.float64), nn.Tanh(), nn.Linear(6, 3, dtype=np.float64),
                         nn.ReLU(), nn.Linear(3, 2, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3), torch.nn.ReLU(),
                                 torch.nn.Linear(3, 2)).double()
    got, expected = names(ours.named_children()), names(theirs.named_children())
    assert got == expected, f"Sequential's children: expected the names {expected} (torch), got {got}"
    assert names(ours.named_parameters()) == names(theirs.named_parameters())
    copy_weights(ours, theirs)
    x = np.random.default_rng(3).standard_normal((5, 4))
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(x_ours), theirs(x_theirs)
    close(out, tout, "Sequential(Linear, Tanh, Linear, ReLU, Linear) on 5 inputs")
    out.sum().backward()
    tout.sum().backward()
    close(x_ours.grad, x_theirs.grad, "Sequential(Linear, Tanh, Linear, ReLU, Linear): the gradient of the input")
    assert len(ours) == 5 and list(ours) == list(ours.children())
    assert nn.Sequential()(5) == 5, "an empty Sequential returns its input"


# ---- models built the same way in both libraries --------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(),
                                  nn.Linear(8, 5, dtype=np.float64), nn.LeakyReLU(0.1),
                                  nn.Linear(5, 3, dtype=np.float64), nn.ReLU(), nn.Sigmoid())
        self.head = nn.Linear(3, 2, bias=False, dtype=np.float64)
        self.scale = nn.Parameter(np.array([1.5, -0.5]))  # assigned after the children

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 5),
                                        torch.nn.LeakyReLU(0.1), torch.nn.Linear(5, 3), torch.nn.ReLU(),
                                        torch.nn.Sigmoid())
        self.head = torch.nn.Linear(3, 2, bias=False)
        self.scale = torch.nn.Parameter(torch.tensor([1.5, -0.5]))

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


class Outer(nn.Module):
    """Deeper nesting, a shared layer and a Sequential inside a Sequential."""

    def __init__(self):
        super().__init__()
        shared = nn.Linear(3, 3, dtype=np.float64)
        self.first = nn.Sequential(shared, nn.ReLU(), nn.Sequential(nn.Linear(3, 3, dtype=np.float64)))
        self.inner = Net()
        self.again = shared
        self.bias = nn.Parameter(np.zeros(3))


class TorchOuter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        shared = torch.nn.Linear(3, 3)
        self.first = torch.nn.Sequential(shared, torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(3, 3)))
        self.inner = TorchNet()
        self.again = shared
        self.bias = torch.nn.Parameter(torch.zeros(3))


# ---- registration and walking the tree ------------------------------------------------
def test_named_parameters_modules_and_state_dict_keys_equal_torchs():
    """Deeper models (Sequential in Sequential, a shared layer) have torch's parameter, module and state_dict names."""
    for ours, theirs in ((Net(), TorchNet()), (Outer(), TorchOuter())):
        assert names(ours.named_parameters()) == names(theirs.named_parameters())
        assert names(ours.named_modules()) == names(theirs.named_modules())
        assert names(ours.named_children()) == names(theirs.named_children())
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
        assert len(list(ours.modules())) == len(list(theirs.modules()))
        assert len(list(ours.children())) == len(list(theirs.children()))
    assert names(Net().named_parameters(recurse=False)) == ["scale"]


def test_own_parameters_come_before_the_childrens_and_shared_ones_appear_once():
    """A shared layer's parameters appear once in parameters() but under every name in state_dict()."""
    outer = Outer()
    params = names(outer.named_parameters())
    assert params[0] == "bias" and "again.weight" not in params  # `again` is `first.0`
    assert "again.weight" in outer.state_dict()  # ... but state_dict lists every name, like torch
    assert len(list(outer.parameters())) == len({id(p) for p in outer.parameters()})


def test_attribute_assignment_registers_replaces_and_deletes():
    """Assigning registers, re-assigning keeps the position, del removes, a missing name is an AttributeError."""
    m = nn.Module()
    m.a = nn.Parameter(np.zeros(1))
    m.child = nn.Linear(1, 1)
    m.b = nn.Parameter(np.zeros(2))
    m.plain = Tensor(np.zeros(3))  # not registered
    m.number = 3
    assert list(m._parameters) == ["a", "b"] and list(m._modules) == ["child"]
    assert m.plain.shape == (3,) and m.number == 3 and m.a.shape == (1,)
    m.a = nn.Parameter(np.ones(4))  # replacing keeps the position
    assert names(m.named_parameters())[:2] == ["a", "b"] and m.a.shape == (4,)
    m.child = nn.Parameter(np.zeros(1))  # a name lives in exactly one registry
    assert "child" not in m._modules and "child" in m._parameters
    del m.b
    assert names(m.named_parameters()) == ["a", "child"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        m.missing


def test_in_place_updates_keep_parameter_order_and_deepcopy_keeps_everything():
    """In-place updates keep the parameter order; copy.deepcopy copies every parameter."""
    net = Net()
    order = names(net.named_parameters())
    with no_grad():
        net.scale -= 1.0  # __isub__ then __setattr__ with the same Parameter
        net.head.weight *= 2.0
    assert names(net.named_parameters()) == order
    twin = copy.deepcopy(net)
    assert names(twin.named_parameters()) == order
    assert all(type(p) is nn.Parameter and p.requires_grad for p in twin.parameters())
    assert not any(p is q for p, q in zip(twin.parameters(), net.parameters()))
    x = Tensor(np.ones((2, 4)))
    np.testing.assert_array_equal(twin(x).data, net(x).data)


def test_assigning_a_plain_tensor_to_a_parameter_name_or_before_init_is_an_error():
    """A plain Tensor over a parameter, or a Parameter before super().__init__(), is refused; None is allowed."""
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        layer.weight = Tensor(np.zeros((2, 3)))
    layer.bias = None  # None is allowed: the parameter is declared but absent
    assert names(layer.named_parameters()) == ["weight"]

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Forgot()


def test_children_must_be_module_instances():
    """A child must be a Module instance with a name without dots (the message says what is wrong)."""
    with pytest.raises(TypeError, match="did you forget the"):
        nn.Sequential(nn.Linear(2, 3), nn.ReLU)
    with pytest.raises(TypeError, match="mylib.nn.Module instance expected"):
        nn.Module().add_module("x", 3)
    with pytest.raises(KeyError, match="without '.'"):
        nn.Module().add_module("a.b", nn.ReLU())


def test_train_and_eval_reach_every_module():
    """train() and eval() set the training flag on every module of the tree."""
    net = Outer()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("yes")


def test_forward_is_required_and_call_passes_args_and_kwargs():
    """module(*args, **kwargs) calls forward(*args, **kwargs); a Module without forward says so."""
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward"'):
        nn.Module()(1)

    class Echo(nn.Module):
        def forward(self, *args, **kwargs):
            return args, kwargs

    assert Echo()(1, 2, 4, 3, x=3, y=5) == ((1, 2, 4, 3), {"x": 3, "y": 5})


def test_repr_matches_torchs():
    """print(model) shows the tree exactly as torch prints it."""
    assert repr(Net().body) == repr(TorchNet().body)
    assert repr(Outer()) == repr(TorchOuter()).replace("TorchOuter", "Outer").replace("TorchNet", "Net")
    assert repr(nn.MSELoss(reduction="sum")) == repr(torch.nn.MSELoss(reduction="sum")) == "MSELoss()"


# ---- outputs and gradients equal torch's ----------------------------------------------
def test_same_weights_give_same_outputs_and_gradients():
    """A nested model with torch's weights gives torch's loss and gradients."""
    torch.manual_seed(0)
    ours, theirs = Net(), TorchNet().double()
    copy_weights(ours, theirs)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 4)), rng.standard_normal((7, 2))
    x_ours = Tensor(x, requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    loss = nn.MSELoss()(ours(x_ours), Tensor(y))
    torch_loss = torch.nn.MSELoss()(theirs(x_theirs), torch.from_numpy(y))
    loss.backward()
    torch_loss.backward()
    close(loss, torch_loss, "MSELoss of Net with torch's weights on 7 inputs")
    close(x_ours.grad, x_theirs.grad, "Net: the gradient of the input")
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, torch_params[name].grad, f"Net: the gradient of {name}")


def test_zero_grad_sets_none_or_zeros():
    """zero_grad() sets every .grad to None, or to zeros with set_to_none=False."""
    net = Net()
    net(Tensor(np.ones((2, 4)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ---- state_dict / load_state_dict -----------------------------------------------------
def test_state_dict_round_trips_through_torch_and_shares_the_parameters_arrays():
    """state_dict() loads into torch and back, and shares the parameters' memory as torch's does."""
    init.manual_seed(3)
    ours, theirs = Outer(), TorchOuter().double()
    state = ours.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    back = Outer()
    result = back.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for name, value in back.state_dict().items():
        np.testing.assert_array_equal(value, state[name])
    torch_state, snapshot = theirs.state_dict(), copy.deepcopy(state)
    with no_grad(), torch.no_grad():  # an update after state_dict() shows in it, in both libraries
        ours.bias -= 1.0
        theirs.bias -= 1.0
    assert_same(state["bias"], torch_state["bias"], "state_dict()['bias'] after bias -= 1")
    assert_same(snapshot["bias"], torch_state["bias"] + 1.0, "copy.deepcopy(state_dict())['bias'] after bias -= 1")


def test_load_state_dict_accepts_torch_tensors_and_mylib_tensors_and_keeps_dtype_and_identity():
    """load_state_dict accepts torch and mylib tensors and copies in place, keeping each parameter's dtype."""
    layer = nn.Linear(3, 2)  # float32
    weight = layer.weight
    torch_layer = torch.nn.Linear(3, 2).double()
    layer.load_state_dict(torch_layer.state_dict())  # torch tensors directly (np.asarray works)
    assert layer.weight is weight and layer.weight.dtype == np.float32
    np.testing.assert_allclose(layer.weight.data, torch_layer.weight.detach().numpy(), rtol=1e-6)
    other = nn.Linear(3, 2)
    layer.load_state_dict(dict(other.named_parameters()))
    np.testing.assert_array_equal(layer.bias.data, other.bias.data)


def test_load_state_dict_lists_missing_unexpected_and_mismatched_in_one_error_and_copies_nothing():
    """load_state_dict reports missing, unexpected and mis-shaped keys in one RuntimeError and copies nothing."""
    net = Net()
    before = copy.deepcopy(net.state_dict())  # a snapshot: state_dict() shares the parameters' arrays
    bad = dict(before)
    del bad["head.weight"], bad["body.0.bias"]
    bad["body.9.weight"] = np.zeros(1)
    bad["body.2.weight"] = np.zeros((8, 5))
    bad["scale"] = np.ones(2)  # valid: must not be copied either
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(bad)
    message = str(error.value)
    assert message.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "body.0.bias", "head.weight".' in message
    assert 'Unexpected key(s) in state_dict: "body.9.weight".' in message
    assert "size mismatch for body.2.weight: copying a param with shape (8, 5) from checkpoint, " \
           "the shape in current model is (5, 8)." in message
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_reports_keys_but_still_refuses_wrong_shapes():
    """load_state_dict(strict=False) returns the skipped keys but still refuses a wrong shape."""
    net = Net()
    result = net.load_state_dict({"scale": np.array([2.0, 3.0]), "extra": np.zeros(1)}, strict=False)
    assert result.unexpected_keys == ["extra"] and "scale" not in result.missing_keys
    assert result.missing_keys == [n for n in net.state_dict() if n != "scale"]
    np.testing.assert_array_equal(net.scale.data, [2.0, 3.0])
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        net.load_state_dict({"scale": np.zeros(3)}, strict=False)
    with pytest.raises(RuntimeError):  # torch also refuses this
        TorchNet().load_state_dict({"scale": torch.zeros(3)}, strict=False)


# ---- Sequential's indexing (Under the hood) and the activation modules ---------------------
@pytest.mark.parametrize("index", ["0", 1.0, None])
def test_sequential_index_that_is_not_an_integer_is_a_type_error(index):
    """Indexing a Sequential with something that is not an integer is a TypeError, as in torch."""
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    with pytest.raises(TypeError, match=rf"^Sequential indices must be integers or slices, not {type(index).__name__}$"):
        seq[index]
    with pytest.raises(TypeError):  # torch: a TypeError too
        torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh())[index]
    assert seq[np.int64(1)] is seq[1]  # int-like numpy integers work, as in torch


def test_sequential_indexing_length_iteration_append_and_names():
    """A Sequential can be indexed, sliced (keeping names), iterated and appended to; the dict form keeps its names."""
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2] and seq[-3] is layers[0]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
    assert names(tail.named_children()) == ["1", "2"]  # slices keep the names, as in torch
    for index in (3, -4):
        with pytest.raises(IndexError, match="out of range for a Sequential of length 3"):
            seq[index]
    seq.append(nn.Sigmoid())
    assert names(seq.named_children()) == ["0", "1", "2", "3"]
    named = nn.Sequential({"fc": nn.Linear(2, 2), "act": nn.Tanh()})
    assert names(named.named_parameters()) == ["fc.weight", "fc.bias"]
    assert nn.Sequential()(5) == 5


ACTIVATIONS = [("ReLU", ()), ("Sigmoid", ()), ("Tanh", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2,))]


@pytest.mark.parametrize("name, args", ACTIVATIONS, ids=lambda value: str(value))
def test_activation_modules_values_and_gradients(name, args):
    """ReLU, Sigmoid, Tanh and LeakyReLU modules equal torch's, values and gradients."""
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)  # built in the test, not at import
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(x_ours), theirs(x_theirs)
    close(out, tout, f"{ours!r} on a (4, 5) input")
    out.sum().backward()
    tout.sum().backward()
    close(x_ours.grad, x_theirs.grad, f"{ours!r}: the gradient of the input")
    assert repr(ours) == repr(theirs) and list(ours.parameters()) == []


# ---- losses ---------------------------------------------------------------------------
LOSSES = [(F.mse_loss, torch.nn.functional.mse_loss, nn.MSELoss, torch.nn.MSELoss),
          (F.l1_loss, torch.nn.functional.l1_loss, nn.L1Loss, torch.nn.L1Loss)]


@pytest.mark.parametrize("ours, theirs, _, __", LOSSES, ids=["mse", "l1"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@settings(max_examples=40)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), seed=st.integers(0, 2**16))
def test_loss_functions_values_and_gradients_of_input_and_target(ours, theirs, _, __, reduction, shape, seed):
    """mse_loss and l1_loss equal torch's for every reduction, values and gradients of both inputs."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    xo, yo = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    out, tout = ours(xo, yo, reduction=reduction), theirs(xt, yt, reduction=reduction)
    assert out.shape == tuple(tout.shape)
    what = f"{ours.__name__}(reduction={reduction!r}) on inputs of shape {tuple(shape)}"
    close(out, tout, what)
    g = rng.standard_normal(tout.shape)
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    close(xo.grad, xt.grad, f"{what}: the gradient of the input")
    close(yo.grad, yt.grad, f"{what}: the gradient of the target")


@pytest.mark.parametrize("_, __, ours, theirs", LOSSES, ids=["mse", "l1"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_equal_torchs(_, __, ours, theirs, reduction):
    """MSELoss and L1Loss equal torch's modules for every reduction."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    close(ours(reduction=reduction)(Tensor(x), Tensor(y)), theirs(reduction=reduction)(torch.from_numpy(x), torch.from_numpy(y)),
          f"{ours.__name__}(reduction={reduction!r}) on (3, 2) inputs")
    assert ours().reduction == "mean" and ours(reduction).reduction == reduction


def test_loss_float32_stays_float32():
    """A float32 loss stays float32."""
    x, y = Tensor(np.ones(3, dtype=np.float32)), Tensor(np.zeros(3, dtype=np.float32))
    assert F.mse_loss(x, y).dtype == F.l1_loss(x, y, reduction="sum").dtype == np.float32


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss])
def test_loss_errors(loss):
    """The losses refuse mismatched shapes, an unknown reduction and non-Tensors, naming the loss."""
    name = loss.__name__
    with pytest.raises(ValueError, match=rf"{name}\(\): target shape \(3,\) must equal input shape \(3, 1\)"):
        loss(Tensor(np.zeros((3, 1))), Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction; use one of 'mean', 'sum', 'none'"):
        loss(Tensor(np.zeros(3)), Tensor(np.zeros(3)), reduction="avg")
    with pytest.raises(TypeError, match="must be mylib Tensors, got Tensor and ndarray"):
        loss(Tensor(np.zeros(3)), np.zeros(3))


def test_loss_modules_refuse_an_unknown_reduction_when_built():
    """A loss module refuses an unknown reduction when it is built; size_average does not exist."""
    for loss in (nn.MSELoss, nn.L1Loss):
        with pytest.raises(ValueError, match="not a valid value for reduction"):
            loss(reduction="elementwise_mean")
    with pytest.raises(TypeError):  # the deprecated torch arguments do not exist in mylib
        nn.MSELoss(size_average=False)


def test_functional_reuses_lesson_01_reduction_helpers_on_tensors():
    """F's reduction helpers are lesson 01's, and they work on Tensors with gradients."""
    import mylib.manual as manual

    assert F.check_reduction is manual.check_reduction and F.apply_reduction is manual.apply_reduction
    assert F.REDUCTIONS == manual.REDUCTIONS == ("mean", "sum", "none")
    x_np = np.random.default_rng(0).standard_normal((3, 2))
    for reduction in F.REDUCTIONS:
        x, tx = Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
        out = F.apply_reduction(x * x, reduction)
        tout = torch.nn.functional.mse_loss(tx, torch.zeros_like(tx), reduction=reduction)
        assert isinstance(out, Tensor)
        torch.testing.assert_close(torch.from_numpy(np.asarray(out.data)), tout.detach(), rtol=1e-7, atol=1e-9)
        out.sum().backward()
        tout.sum().backward()
        torch.testing.assert_close(torch.from_numpy(x.grad.data), tx.grad, rtol=1e-7, atol=1e-9)


def test_loss_base_class_and_helpers_serve_a_new_loss():
    """Lesson 13 and later build their losses on nn.Loss and F's public helpers."""

    class HalfSquared(nn.Loss):
        def forward(self, input, target):
            F.check_loss_inputs("half_squared", input, target)
            return F.apply_reduction(0.5 * (input - target) ** 2, self.reduction)

    x, y = np.arange(4.0), np.ones(4)
    assert HalfSquared()(Tensor(x), Tensor(y)).item() == pytest.approx(np.mean(0.5 * (x - y) ** 2), rel=1e-12)
    np.testing.assert_array_equal(HalfSquared("none")(Tensor(x), Tensor(y)).data, 0.5 * (x - y) ** 2)
    assert HalfSquared("sum").reduction == F.check_reduction("sum") == "sum"
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        HalfSquared("avg")
    with pytest.raises(ValueError, match=r"half_squared\(\): target shape \(4,\) must equal input shape \(4, 1\)"):
        HalfSquared()(Tensor(x.reshape(4, 1)), Tensor(y))


# ---- init -----------------------------------------------------------------------------
NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_equals_torchs(nonlinearity):
    """init.calculate_gain equals torch's for every nonlinearity."""
    assert init.calculate_gain(nonlinearity) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity), rel=1e-15)


def test_calculate_gain_leaky_relu_param_and_errors():
    """calculate_gain('leaky_relu', slope) equals torch's; a bad slope or an unknown name is refused."""
    for slope in (0, 0.2, 1, 3.5):
        assert init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")


@pytest.mark.parametrize("shape", [(3, 5), (7, 2, 3), (4, 3, 2, 5), (1, 1)])
def test_fans_equal_torchs(shape):
    """The fans of a weight (convolutions too) equal torch's."""
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_fans_need_two_dimensions_and_a_valid_mode():
    """Fans need at least 2 dimensions, and mode is 'fan_in' or 'fan_out'."""
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(got shape \(5,\)\)"):
        init.xavier_uniform_(Tensor(np.zeros(5)))
    with pytest.raises(ValueError, match="Mode 'fan_avg' not supported"):
        init.kaiming_normal_(Tensor(np.zeros((2, 2))), mode="fan_avg")


SHAPE = (300, 200, 3)  # fan_in 600, fan_out 900; 180 000 draws: sample std within ~0.3 %


def expected_std(name, kwargs):
    fan_in, fan_out = 600, 900
    if name.startswith("xavier"):
        return kwargs.get("gain", 1.0) * math.sqrt(2 / (fan_in + fan_out))
    fan = fan_out if kwargs.get("mode") == "fan_out" else fan_in
    gain = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
    return gain / math.sqrt(fan)


SCHEMES = [("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 5 / 3}), ("xavier_normal_", {}),
           ("xavier_normal_", {"gain": 2.0}), ("kaiming_uniform_", {}),
           ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
           ("kaiming_normal_", {}), ("kaiming_normal_", {"nonlinearity": "tanh"}),
           ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"})]


@pytest.mark.parametrize("name, kwargs", SCHEMES)
def test_init_distributions_match_the_formulas_like_torchs(name, kwargs):
    """Xavier and Kaiming draw from the distributions torch's do (std, bounds, shape)."""
    ours = getattr(init, name)(Tensor(np.zeros(SHAPE)), **kwargs, generator=np.random.default_rng(0)).data
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.zeros(SHAPE, dtype=torch.float64), **kwargs).numpy()
    std = expected_std(name, kwargs)
    for sample in (ours, theirs):
        assert abs(sample.mean()) < 0.01 * std
        assert sample.std() == pytest.approx(std, rel=0.01)
        if name.endswith("uniform_"):
            bound = math.sqrt(3) * std
            assert np.abs(sample).max() <= bound and np.abs(sample).max() > 0.999 * bound
            # uniform: a quarter of the values beyond each of ±bound/2
            assert np.mean(sample > bound / 2) == pytest.approx(0.25, abs=0.005)
        else:
            assert np.mean(np.abs(sample) < std) == pytest.approx(0.6827, abs=0.005)


def test_uniform_normal_constant_zeros_ones():
    """uniform_, normal_, constant_, zeros_ and ones_ fill in place with the right values."""
    rng = np.random.default_rng(0)
    t = Tensor(np.zeros((100, 1000), dtype=np.float32))
    assert init.uniform_(t, -2.0, 3.0, generator=rng) is t and t.dtype == np.float32
    assert t.data.min() >= -2 and t.data.max() <= 3 and t.data.mean() == pytest.approx(0.5, abs=0.02)
    init.normal_(t, 1.0, 0.5, generator=rng)
    assert t.data.mean() == pytest.approx(1.0, abs=0.01) and t.data.std() == pytest.approx(0.5, rel=0.01)
    assert (init.zeros_(t).data == 0).all() and (init.ones_(t).data == 1).all()
    assert (init.constant_(t, 0.25).data == 0.25).all()
    default = init.uniform_(Tensor(np.zeros(10)))  # defaults U(0, 1) like torch
    assert 0 <= default.data.min() and default.data.max() <= 1
    array = np.zeros((3, 4))  # plain arrays are accepted too
    assert init.ones_(array) is array and (array == 1).all()


def test_init_fills_in_place_keeps_identity_and_dtype_and_builds_no_graph():
    """init fills a parameter in place: same object, same dtype, still a leaf."""
    layer = nn.Linear(5, 4)
    weight, data = layer.weight, layer.weight.data
    init.xavier_normal_(layer.weight)
    assert layer.weight is weight and layer.weight.data is data and data.dtype == np.float32
    assert layer.weight.is_leaf and layer.weight.requires_grad


def test_init_is_reproducible_with_a_generator_or_manual_seed_and_refuses_other_generators():
    """A generator or init.manual_seed makes init reproducible; other generators are refused."""
    a = init.kaiming_uniform_(Tensor(np.zeros((4, 4))), generator=np.random.default_rng(7)).data
    b = init.kaiming_uniform_(Tensor(np.zeros((4, 4))), generator=np.random.default_rng(7)).data
    np.testing.assert_array_equal(a, b)
    init.manual_seed(7)
    c = init.normal_(Tensor(np.zeros(5))).data
    init.manual_seed(7)
    np.testing.assert_array_equal(c, init.normal_(Tensor(np.zeros(5))).data)
    with pytest.raises(TypeError, match="numpy Generator"):
        init.normal_(Tensor(np.zeros(5)), generator=torch.Generator())
    with pytest.raises(TypeError, match="expected a mylib Tensor or numpy array, got list"):
        init.zeros_([1.0, 2.0])


def test_init_of_an_empty_tensor_is_a_no_op():
    """Initialising an empty tensor does nothing, as in torch."""
    empty = Tensor(np.zeros((0, 3)))
    assert init.kaiming_uniform_(empty) is empty and init.kaiming_normal_(empty) is empty


def test_mylib_nn_init_is_the_init_module():
    """mylib.nn.init is the module mylib.init."""
    import mylib.init
    assert nn.init is mylib.init and nn.init.xavier_uniform_ is mylib.init.xavier_uniform_


# ---- seed 001's training run ----------------------------------------------------------
class LinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1, dtype=np.float64)

    def forward(self, x):
        return self.linear(x)


class TorchLinearModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("loss_name", ["MSELoss", "L1Loss"])
def test_seed_001_training_run_equals_torch_loss_for_loss(reduction, loss_name):
    """Seed 001's 100-epoch run equals torch's loss for loss, for MSE and L1 with 'sum' and 'mean'."""
    x, y = np.array([[1.0], [2.0], [3.0]]), np.array([[2.0], [4.0], [6.0]])
    init.manual_seed(0)
    model = LinearModel()
    torch_model = TorchLinearModel().double()
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    criterion = getattr(nn, loss_name)(reduction=reduction)
    torch_criterion = getattr(torch.nn, loss_name)(reduction=reduction)
    optimizer = torch.optim.SGD(torch_model.parameters(), lr=0.01)
    losses, torch_losses = [], []
    for _ in range(100):
        loss = criterion(model(Tensor(x)), Tensor(y))
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with no_grad():
            for p in model.parameters():
                p -= 0.01 * p.grad
        torch_loss = torch_criterion(torch_model(torch.from_numpy(x)), torch.from_numpy(y))
        torch_losses.append(torch_loss.item())
        optimizer.zero_grad()
        torch_loss.backward()
        optimizer.step()
    assert_same(np.array(losses), torch.tensor(torch_losses, dtype=torch.float64),
                f"the 100 losses of seed 001's run with {loss_name}(reduction={reduction!r})")
    for name, value in model.state_dict().items():
        close(value, torch_model.state_dict()[name], f"{name} after 100 epochs with {loss_name}(reduction={reduction!r})")
    if loss_name == "MSELoss" and reduction == "sum":  # the seed's run converges towards w=2, b=0
        assert losses[-1] < 0.01 and abs(model(Tensor(np.array([[4.0]]))).item() - 8) < 0.2


# ---- issue 10: what a torch user types (Under the hood) --------------------------------
import warnings  # noqa: E402


def strict_numpy():
    """A context in which any numpy warning or floating point error fails the test."""
    class Strict:
        def __enter__(self):
            self.w, self.e = warnings.catch_warnings(), np.errstate(all="raise")
            self.w.__enter__()
            warnings.simplefilter("error")
            self.e.__enter__()

        def __exit__(self, *exc):
            self.e.__exit__(*exc)
            return self.w.__exit__(*exc)
    return Strict()


LAYERS = [
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.Softmax(-1), lambda: torch.nn.Softmax(-1)),
    (lambda: nn.LogSoftmax(dim=0), lambda: torch.nn.LogSoftmax(dim=0)),
    (lambda: nn.LogSoftmax(2), lambda: torch.nn.LogSoftmax(2)),
    (lambda: nn.Flatten(), lambda: torch.nn.Flatten()),
    (lambda: nn.Flatten(0, 1), lambda: torch.nn.Flatten(0, 1)),
    (lambda: nn.Flatten(start_dim=-2), lambda: torch.nn.Flatten(start_dim=-2)),
    (lambda: nn.Identity(3, bias=False), lambda: torch.nn.Identity(3, bias=False)),
]


@pytest.mark.parametrize("ours, theirs", LAYERS)
def test_softmax_logsoftmax_flatten_identity_equal_torchs(ours, theirs):
    """nn.Softmax/LogSoftmax/Flatten/Identity: torch's repr, values and gradients on a (2, 3, 4) input."""
    ours, theirs = ours(), theirs()
    assert repr(ours) == repr(theirs), f"repr: torch {theirs!r}, yours {ours!r}"
    x_np = np.random.default_rng(0).standard_normal((2, 3, 4))
    w_np = np.random.default_rng(1).standard_normal(theirs(torch.zeros(2, 3, 4)).shape)
    x, tx = Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    close(out, tout, f"{theirs!r} on shape (2, 3, 4)")
    (out * Tensor(w_np)).sum().backward()
    (tout * torch.from_numpy(w_np)).sum().backward()
    close(x.grad, tx.grad, f"{theirs!r}: the gradient of the input")


def test_softmax_without_dim_warns_and_picks_torchs_dimension():
    """nn.Softmax() without dim warns like torch and picks torch's legacy dimension."""
    for shape in [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x_np = np.random.default_rng(0).standard_normal(shape)
        for ours, theirs in ((nn.Softmax(), torch.nn.Softmax()), (nn.LogSoftmax(), torch.nn.LogSoftmax())):
            with pytest.warns(UserWarning, match="Implicit dimension choice"):
                out = ours(Tensor(x_np))
            with pytest.warns(UserWarning):
                expected = theirs(torch.from_numpy(x_np))
            close(out, expected, f"{theirs!r} without dim on shape {shape}")


def test_new_layers_refuse_what_torch_refuses():
    """Flatten and Softmax refuse a bad dim and a non-Tensor with torch's exception types."""
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="start_dim' must be int, not float"):
        nn.Flatten(1.0)(x)
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.Flatten()(Tensor(np.ones(3)))
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        nn.Flatten()([1.0])
    with pytest.raises(TypeError, match="'dim' must be int, not float"):
        nn.Softmax(1.0)(x)
    with pytest.raises(IndexError, match="Dimension out of range"):
        nn.LogSoftmax(2)(x)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_x_over_1_minus_p_exactly_as_torch_and_the_gradient_follows_the_mask(p, dtype):
    """Dropout(p) in training: each output is 0 or torch's x/(1-p) bit for bit; the gradient follows the mask."""
    x_np = np.random.default_rng(0).standard_normal((40, 50)).astype(dtype)
    x = Tensor(x_np, requires_grad=True)
    out = nn.Dropout(p, generator=0)(x)
    torch.manual_seed(0)
    tx = torch.tensor(x_np, requires_grad=True)
    tout = torch.nn.Dropout(p)(tx)
    kept, torch_kept = out.data != 0, tout.detach().numpy() != 0
    assert out.dtype == dtype and out.shape == x_np.shape
    assert abs(kept.mean() - (1 - p)) < 0.05, f"Dropout({p}) kept {kept.mean():.3f} of the elements, expected {1 - p}"
    both = torch.from_numpy(kept & torch_kept)
    assert both.any()
    assert_same(out.data[both.numpy()], tout.detach()[both], f"Dropout({p}) on {np.dtype(dtype)}: the kept values")
    assert not out.data[~kept].any()
    (out * 3.0).sum().backward()
    (tout * 3.0).sum().backward()
    assert_same(x.grad.data[both.numpy()], tx.grad[both], f"Dropout({p}): the gradient where both keep")
    assert not x.grad.data[~kept].any(), f"Dropout({p}): the gradient must be 0 where the element was dropped"


def test_dropout_eval_p0_p1_empty_repr_and_seeds():
    """Dropout: eval, p=0 and empty inputs give the input itself; p=1 gives x*0 (as torch); seeds reproduce."""
    x_np = np.array([[1.0, -2.0, np.inf], [0.5, np.nan, 3.0]])
    x = Tensor(x_np, requires_grad=True)
    assert nn.Dropout(0.5).eval()(x) is x and nn.Dropout(0.0)(x) is x
    empty = Tensor(np.ones((0, 3)))
    assert nn.Dropout(0.5)(empty) is empty
    with strict_numpy():
        out = nn.Dropout(1.0)(x)
    assert_same(out.data, torch.nn.Dropout(1.0)(torch.from_numpy(x_np)), "Dropout(1.0) on [[1, -2, inf], [0.5, nan, 3]]",
                **TIGHT, equal_nan=True)
    out.sum().backward()
    assert not x.grad.data.any()
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"
    net = nn.Sequential(nn.Identity(), nn.Dropout(0.5))
    assert net.training and net[1].training and not net.eval()[1].training
    big = Tensor(np.ones((10, 10)))
    np.testing.assert_array_equal(nn.Dropout(0.5, generator=3)(big).data, nn.Dropout(0.5, generator=3)(big).data)
    init.manual_seed(7)
    first = nn.Dropout(0.5)(big).data
    init.manual_seed(7)
    np.testing.assert_array_equal(nn.Dropout(0.5)(big).data, first)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_dropout_refuses_a_bad_p_a_bad_generator_and_integer_input(p):
    """Dropout refuses p outside [0, 1], a non-number p, a bad generator and an integer input in training."""
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
        nn.Dropout(p)
    with pytest.raises((ValueError, RuntimeError), match="between 0 and 1"):  # torch: nan at forward
        torch.nn.Dropout(p)(torch.ones(2))
    with pytest.raises(TypeError, match="number"):
        nn.Dropout("0.5")
    with pytest.raises(TypeError, match="numpy Generator"):
        nn.Dropout(0.5, generator="seed")
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Dropout(0.5)(Tensor(np.ones(3, dtype=np.int64)))
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        nn.Dropout(0.5)([1.0])


@pytest.mark.parametrize("bad", [[("weight", np.zeros((2, 3)))], None, "weight", "module"])
def test_load_state_dict_refuses_what_is_not_dict_like_as_torch(bad):
    """load_state_dict of a list, None, a string or a Module is torch's TypeError 'Expected state_dict to be dict-like'."""
    layer = nn.Linear(3, 2, dtype=np.float64)
    bad = nn.Linear(3, 2) if bad == "module" else bad
    with pytest.raises(TypeError, match=rf"Expected state_dict to be dict-like, got <class '.*{type(bad).__name__}'>\."):
        layer.load_state_dict(bad)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        torch.nn.Linear(3, 2).load_state_dict(torch.nn.Linear(3, 2) if isinstance(bad, nn.Module) else bad)


@pytest.mark.parametrize("value", ["abc", None, object(), [[1.0, 2.0, 3.0], [4.0]], np.array(["1.0"] * 6).reshape(2, 3)])
def test_load_state_dict_refuses_values_that_are_not_numbers_and_copies_nothing(value):
    """load_state_dict of a string, None or a ragged list names the parameter (a TypeError and a RuntimeError)."""
    layer = nn.Linear(3, 2, dtype=np.float64)
    before = copy.deepcopy(layer.state_dict())
    with pytest.raises(TypeError, match='While copying the parameter named "weight", expected an array') as info:
        layer.load_state_dict({"weight": value, "bias": np.zeros(2)})
    assert isinstance(info.value, RuntimeError), "torch raises RuntimeError here: code catching it must catch ours"
    assert "size mismatch" not in str(info.value)
    np.testing.assert_array_equal(layer.weight.data, before["weight"])
    np.testing.assert_array_equal(layer.bias.data, before["bias"])


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_at_float32_overflow_and_inf_give_torchs_values_without_warnings(loss, reduction):
    """mse_loss/l1_loss at ±1e30, ±3e38 and inf in float32: torch's values and gradients, no numpy warning."""
    x_np = np.array([1e30, -1e30, 3e38, np.inf, np.inf, -np.inf, 1.0, np.nan], dtype=np.float32)
    y_np = np.array([0.0, 1e30, -3e38, 0.0, np.inf, 2.0, 1.0, 0.0], dtype=np.float32)
    x, y = Tensor(x_np, requires_grad=True), Tensor(y_np, requires_grad=True)
    tx, ty = torch.tensor(x_np, requires_grad=True), torch.tensor(y_np, requires_grad=True)
    with strict_numpy():
        out = getattr(F, loss)(x, y, reduction=reduction)
        out.sum().backward()
    tout = getattr(torch.nn.functional, loss)(tx, ty, reduction=reduction)
    tout.sum().backward()
    what = f"{loss}(reduction={reduction!r}) at float32's edge"
    assert_same(out.data, tout.detach(), what, **TIGHT, equal_nan=True)
    assert_same(x.grad.data, tx.grad, f"{what}: the gradient of the input", **TIGHT, equal_nan=True)
    assert_same(y.grad.data, ty.grad, f"{what}: the gradient of the target", **TIGHT, equal_nan=True)


def test_loss_errors_are_torchs_types_and_mse_refuses_integers():
    """A shape mismatch is also a RuntimeError (torch's); mse_loss of integers is refused as in torch."""
    with pytest.raises(RuntimeError, match="must equal input shape"):
        F.mse_loss(Tensor(np.ones(3)), Tensor(np.ones(4)))
    ints = Tensor(np.array([1, 2, 3]))
    for reduction in ("mean", "sum", "none"):
        with pytest.raises(RuntimeError, match="mse_loss"):
            F.mse_loss(ints, ints, reduction=reduction)
        with pytest.raises(RuntimeError):
            torch.nn.functional.mse_loss(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 3]), reduction=reduction)
    mixed = F.mse_loss(Tensor(np.ones(3) * 1.5), ints)  # a float input and an int target: torch computes
    close(mixed, torch.nn.functional.mse_loss(torch.ones(3, dtype=torch.float64) * 1.5, torch.tensor([1, 2, 3])),
          "mse_loss of float64 and int64")
    close(F.l1_loss(ints, ints * 2, reduction="sum"), torch.nn.functional.l1_loss(
        torch.tensor([1, 2, 3]), torch.tensor([2, 4, 6]), reduction="sum"), "l1_loss of int64 (sum)")


def test_linear_errors_carry_torchs_exception_types():
    """Linear's errors are caught by torch's except clauses: RuntimeError for shapes and dtypes, TypeError for sizes."""
    layer = nn.Linear(3, 2)
    for bad in (Tensor(np.zeros((4, 5), dtype=np.float32)), Tensor(np.float32(1)), Tensor(np.zeros((4, 3)))):
        with pytest.raises(RuntimeError):
            layer(bad)
    with pytest.raises(TypeError):
        nn.Linear(2.5, 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        nn.Linear(-1, 3)
    with pytest.raises(RuntimeError, match="floating"):
        nn.Linear(3, 2, dtype=np.int32)


def test_module_names_are_checked_as_torch_does():
    """register_parameter/add_module: a non-string name is a TypeError, a taken attribute a KeyError."""
    module = nn.Module()
    with pytest.raises(TypeError, match="parameter name should be a string. Got int"):
        module.register_parameter(1, None)
    with pytest.raises(TypeError, match="module name should be a string. Got int"):
        module.add_module(1, None)
    for register, value in ((module.register_parameter, nn.Parameter(np.ones(1))), (module.add_module, nn.ReLU())):
        for name in ("training", "train", "forward"):
            with pytest.raises(KeyError, match=f"attribute '{name}' already exists"):
                register(name, value)
    assert module.training is True and list(module._parameters) == list(module._modules) == []
    module.note = 3
    with pytest.raises(KeyError, match="attribute 'note' already exists"):
        module.register_parameter("note", None)
    module.note = nn.Parameter(np.ones(1))  # assignment replaces, as in torch
    assert names(module.named_parameters()) == ["note"] and "note" not in vars(module)


def test_init_refuses_what_torch_refuses():
    """init: integer tensors, from > to, a negative std and non-number values are refused as in torch."""
    ints = Tensor(np.zeros(3, dtype=np.int64))
    for fill in (init.uniform_, init.normal_):
        with pytest.raises(RuntimeError, match="not implemented for dtype int64"):
            fill(ints)
    with pytest.raises(RuntimeError, match=r"from=1 > to=0"):
        init.uniform_(Tensor(np.zeros(3)), 1, 0)
    with pytest.raises(RuntimeError, match="finite"):
        init.uniform_(Tensor(np.zeros(3, dtype=np.float32)), 0, 1e39)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        init.normal_(Tensor(np.zeros(3)), 0, -1)
    for value in (None, "1"):
        with pytest.raises(TypeError, match="must be a number"):
            init.constant_(Tensor(np.zeros(3)), value)
        with pytest.raises(TypeError):
            torch.nn.init.constant_(torch.zeros(3), value)
    with pytest.raises(TypeError, match="argument 'a' must be float, not str"):
        init.uniform_(Tensor(np.zeros(3)), "0")
    assert init.uniform_(Tensor(np.zeros(3)), 2, 2).data.tolist() == [2.0, 2.0, 2.0]


def test_module_double_float_and_requires_grad_work_in_place_as_torchs():
    """Module.double()/float()/requires_grad_() return the module and change every parameter as torch does."""
    init.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    weight = net[0].weight
    net(Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    theirs(torch.ones(1, 2)).sum().backward()
    assert net.double() is net and theirs.double() is theirs
    assert net[0].weight is weight, "double() must keep the Parameter objects (an optimizer holds them)"
    for (name, p), q in zip(net.named_parameters(), theirs.parameters()):
        assert_same(p, q, f"{name} after double()")
        assert_same(p.grad, q.grad, f"{name}.grad after double()")
    assert net.requires_grad_(False) is net and theirs.requires_grad_(False) is theirs
    assert [p.requires_grad for p in net.parameters()] == [p.requires_grad for p in theirs.parameters()] == [False] * 4
    net[2].requires_grad_()
    theirs[2].requires_grad_()
    assert [p.requires_grad for p in net.parameters()] == [p.requires_grad for p in theirs.parameters()]
    assert net.float() is net and [str(p.dtype) for p in net.parameters()] == ["float32"] * 4
    assert [str(p.grad.dtype) for p in net.parameters()] == ["float32"] * 4
    for wrong in ("yes", 1):
        with pytest.raises(TypeError, match="must be bool"):
            net.requires_grad_(wrong)
        with pytest.raises(TypeError, match="must be bool"):
            theirs.requires_grad_(wrong)
