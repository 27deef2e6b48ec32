"""mylib.nn, mylib.nn.init and the losses of mylib.functional against PyTorch (float64)."""
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

TIGHT = dict(rtol=1e-7, atol=1e-9)


def close(ours, theirs):
    """assert_close between a mylib Tensor/array and a torch tensor (dtype checked too)."""
    ours = np.asarray(ours.data if isinstance(ours, Tensor) else ours)
    torch.testing.assert_close(torch.from_numpy(ours.copy()), theirs.detach(), **TIGHT)


def copy_weights(ours: nn.Module, theirs: torch.nn.Module) -> None:
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


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


def names(pairs):
    return [name for name, _ in pairs]


# ---- Parameter ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameter_is_a_tensor_requiring_grad_and_keeps_dtype(dtype):
    p = nn.Parameter(np.ones((2, 3), dtype=dtype))
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == dtype and p.shape == (2, 3)
    assert not nn.Parameter(Tensor(np.ones(2)), requires_grad=False).requires_grad
    assert type(p * 2) is Tensor  # results of ops are plain tensors, not parameters
    assert repr(p).startswith("Parameter containing:")


# ---- registration and walking the tree ------------------------------------------------
def test_named_parameters_modules_and_state_dict_keys_equal_torchs():
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
    outer = Outer()
    params = names(outer.named_parameters())
    assert params[0] == "bias" and "again.weight" not in params  # `again` is `first.0`
    assert "again.weight" in outer.state_dict()  # ... but state_dict lists every name, like torch
    assert len(list(outer.parameters())) == len({id(p) for p in outer.parameters()})


def test_attribute_assignment_registers_replaces_and_deletes():
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
    import copy
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
    with pytest.raises(TypeError, match="did you forget the"):
        nn.Sequential(nn.Linear(2, 3), nn.ReLU)
    with pytest.raises(TypeError, match="mylib.nn.Module instance expected"):
        nn.Module().add_module("x", 3)
    with pytest.raises(KeyError, match="without '.'"):
        nn.Module().add_module("a.b", nn.ReLU())


def test_train_and_eval_reach_every_module():
    net = Outer()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("yes")


def test_forward_is_required_and_call_passes_args_and_kwargs():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward"'):
        nn.Module()(1)

    class Echo(nn.Module):
        def forward(self, *args, **kwargs):
            return args, kwargs

    assert Echo()(1, 2, 4, 3, x=3, y=5) == ((1, 2, 4, 3), {"x": 3, "y": 5})


def test_repr_matches_torchs():
    assert repr(Net().body) == repr(TorchNet().body)
    assert repr(Outer()) == repr(TorchOuter()).replace("TorchOuter", "Outer").replace("TorchNet", "Net")
    assert repr(nn.MSELoss(reduction="sum")) == repr(torch.nn.MSELoss(reduction="sum")) == "MSELoss()"


# ---- outputs and gradients equal torch's ----------------------------------------------
def test_same_weights_give_same_outputs_and_gradients():
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
    close(loss, torch_loss)
    close(x_ours.grad, x_theirs.grad)
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, torch_params[name].grad)


def test_zero_grad_sets_none_or_zeros():
    net = Net()
    net(Tensor(np.ones((2, 4)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ---- state_dict / load_state_dict -----------------------------------------------------
def test_state_dict_round_trips_through_torch_and_is_a_copy():
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
    state["bias"][...] = 99  # a snapshot: changing it does not touch the model
    assert not (ours.bias.data == 99).any()
    with no_grad():  # and training the model does not change an earlier snapshot
        ours.bias -= 1.0
    assert not (state["bias"] == -1).any()


def test_load_state_dict_accepts_torch_tensors_and_mylib_tensors_and_keeps_dtype_and_identity():
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
    net = Net()
    before = net.state_dict()
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
    net = Net()
    result = net.load_state_dict({"scale": np.array([2.0, 3.0]), "extra": np.zeros(1)}, strict=False)
    assert result.unexpected_keys == ["extra"] and "scale" not in result.missing_keys
    assert result.missing_keys == [n for n in net.state_dict() if n != "scale"]
    np.testing.assert_array_equal(net.scale.data, [2.0, 3.0])
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        net.load_state_dict({"scale": np.zeros(3)}, strict=False)
    with pytest.raises(RuntimeError):  # torch also refuses this
        TorchNet().load_state_dict({"scale": torch.zeros(3)}, strict=False)


# ---- Linear ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_values_and_gradients_for_any_leading_shape(shape, bias):
    theirs = torch.nn.Linear(3, 2, bias=bias).double()
    ours = nn.Linear(3, 2, bias=bias, dtype=np.float64)
    copy_weights(ours, theirs)
    x = np.random.default_rng(1).standard_normal(shape)
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(x_ours), theirs(x_theirs)
    assert out.shape == tuple(tout.shape) == shape[:-1] + (2,)
    close(out, tout)
    g = np.random.default_rng(2).standard_normal(tout.shape)
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    close(x_ours.grad, x_theirs.grad)
    close(ours.weight.grad, theirs.weight.grad)
    if bias:
        close(ours.bias.grad, theirs.bias.grad)


def test_linear_shapes_dtype_and_default_initialisation():
    init.manual_seed(0)
    layer = nn.Linear(300, 200)
    assert layer.weight.shape == (200, 300) and layer.bias.shape == (200,)
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    assert names(layer.named_parameters()) == ["weight", "bias"]
    bound = 1 / math.sqrt(300)
    for p, n in ((layer.weight.data, 60_000), (layer.bias.data, 200)):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.95 * bound
        assert abs(p.std() - bound / math.sqrt(3)) < 5 * bound / math.sqrt(3) / math.sqrt(n)
    torch_weight = torch.nn.Linear(300, 200).weight.detach().numpy()  # the same distribution
    assert np.abs(torch_weight).max() <= bound and abs(torch_weight.std() - layer.weight.data.std()) < 0.02 * bound
    assert layer.bias is not None and nn.Linear(2, 2, bias=False).bias is None
    assert repr(nn.Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))
    assert nn.Linear(0, 2).bias.shape == (2,)  # no inputs: bound 0, no error


def test_linear_is_reproducible_with_manual_seed():
    init.manual_seed(42)
    a = nn.Linear(4, 3).state_dict()
    init.manual_seed(42)
    b = nn.Linear(4, 3).state_dict()
    c = nn.Linear(4, 3).state_dict()
    np.testing.assert_array_equal(a["weight"], b["weight"])
    assert not np.array_equal(b["weight"], c["weight"])


def test_linear_bad_input_errors_name_the_shapes_and_dtypes():
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
    with pytest.raises(ValueError, match="out_features must be a non-negative int"):
        nn.Linear(2, 2.5)
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 2, dtype=np.int64)


# ---- Sequential and activations -------------------------------------------------------
@pytest.mark.parametrize("index", ["0", 1.0, None])
def test_sequential_index_that_is_not_an_integer_is_a_type_error(index):
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    with pytest.raises(TypeError, match=rf"^Sequential indices must be integers or slices, not {type(index).__name__}$"):
        seq[index]
    with pytest.raises(TypeError):  # torch: a TypeError too
        torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh())[index]
    assert seq[np.int64(1)] is seq[1]  # int-like numpy integers work, as in torch


def test_sequential_indexing_length_iteration_append_and_names():
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


ACTIVATIONS = [(nn.ReLU(), torch.nn.ReLU()), (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
               (nn.LeakyReLU(), torch.nn.LeakyReLU()), (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2))]


@pytest.mark.parametrize("ours, theirs", ACTIVATIONS, ids=lambda m: repr(m))
def test_activation_modules_values_and_gradients(ours, theirs):
    x = np.random.default_rng(0).standard_normal((4, 5)) * 3
    x_ours, x_theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(x_ours), theirs(x_theirs)
    close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    close(x_ours.grad, x_theirs.grad)
    assert repr(ours) == repr(theirs) and list(ours.parameters()) == []


# ---- losses ---------------------------------------------------------------------------
LOSSES = [(F.mse_loss, torch.nn.functional.mse_loss, nn.MSELoss, torch.nn.MSELoss),
          (F.l1_loss, torch.nn.functional.l1_loss, nn.L1Loss, torch.nn.L1Loss)]


@pytest.mark.parametrize("ours, theirs, _, __", LOSSES, ids=["mse", "l1"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@settings(max_examples=40)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), seed=st.integers(0, 2**16))
def test_loss_functions_values_and_gradients_of_input_and_target(ours, theirs, _, __, reduction, shape, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    xo, yo = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    out, tout = ours(xo, yo, reduction=reduction), theirs(xt, yt, reduction=reduction)
    assert out.shape == tuple(tout.shape)
    close(out, tout)
    g = rng.standard_normal(tout.shape)
    out.backward(g)
    tout.backward(torch.from_numpy(g))
    close(xo.grad, xt.grad)
    close(yo.grad, yt.grad)


@pytest.mark.parametrize("_, __, ours, theirs", LOSSES, ids=["mse", "l1"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_equal_torchs(_, __, ours, theirs, reduction):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    close(ours(reduction=reduction)(Tensor(x), Tensor(y)), theirs(reduction=reduction)(torch.from_numpy(x), torch.from_numpy(y)))
    assert ours().reduction == "mean" and ours(reduction).reduction == reduction


def test_loss_float32_stays_float32():
    x, y = Tensor(np.ones(3, dtype=np.float32)), Tensor(np.zeros(3, dtype=np.float32))
    assert F.mse_loss(x, y).dtype == F.l1_loss(x, y, reduction="sum").dtype == np.float32


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss])
def test_loss_errors(loss):
    name = loss.__name__
    with pytest.raises(ValueError, match=rf"{name}\(\): target shape \(3,\) must equal input shape \(3, 1\)"):
        loss(Tensor(np.zeros((3, 1))), Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction; use one of 'mean', 'sum', 'none'"):
        loss(Tensor(np.zeros(3)), Tensor(np.zeros(3)), reduction="avg")
    with pytest.raises(TypeError, match="must be mylib Tensors, got Tensor and ndarray"):
        loss(Tensor(np.zeros(3)), np.zeros(3))


def test_loss_modules_refuse_an_unknown_reduction_when_built():
    for loss in (nn.MSELoss, nn.L1Loss):
        with pytest.raises(ValueError, match="not a valid value for reduction"):
            loss(reduction="elementwise_mean")
    with pytest.raises(TypeError):  # the deprecated torch arguments do not exist in mylib
        nn.MSELoss(size_average=False)


def test_functional_reuses_lesson_01_reduction_helpers_on_tensors():
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
    assert init.calculate_gain(nonlinearity) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity), rel=1e-15)


def test_calculate_gain_leaky_relu_param_and_errors():
    for slope in (0, 0.2, 1, 3.5):
        assert init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")


@pytest.mark.parametrize("shape", [(3, 5), (7, 2, 3), (4, 3, 2, 5), (1, 1)])
def test_fans_equal_torchs(shape):
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_fans_need_two_dimensions_and_a_valid_mode():
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
    layer = nn.Linear(5, 4)
    weight, data = layer.weight, layer.weight.data
    init.xavier_normal_(layer.weight)
    assert layer.weight is weight and layer.weight.data is data and data.dtype == np.float32
    assert layer.weight.is_leaf and layer.weight.requires_grad


def test_init_is_reproducible_with_a_generator_or_manual_seed_and_refuses_other_generators():
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
    empty = Tensor(np.zeros((0, 3)))
    assert init.kaiming_uniform_(empty) is empty and init.kaiming_normal_(empty) is empty


def test_mylib_nn_init_is_the_init_module():
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
    torch.testing.assert_close(torch.tensor(losses), torch.tensor(torch_losses), **TIGHT)
    for name, value in model.state_dict().items():
        close(value, torch_model.state_dict()[name])
    if loss_name == "MSELoss" and reduction == "sum":  # the seed's run converges towards w=2, b=0
        assert losses[-1] < 0.01 and abs(model(Tensor(np.array([[4.0]]))).item() - 8) < 0.2
