"""Lesson 13: mylib's binary cross-entropy losses against torch.

`F.binary_cross_entropy`, `F.binary_cross_entropy_with_logits`, `nn.BCELoss` and
`nn.BCEWithLogitsLoss`: values and gradients (input and target) in float64 for random shapes,
every reduction, `weight` and `pos_weight`; extreme logits without warnings; probabilities of
exactly 0 and 1 (torch's clamp); float32; the error messages; short training runs vs torch.
"""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import mylib.functional as F
from mylib import Tensor, gradcheck, nn, optim
from mylib.nn import Linear, Module

RTOL, ATOL = 1e-7, 1e-9  # DESIGN §6: float64, the same maths
REDUCTIONS = ("mean", "sum", "none")
examples = settings(max_examples=60)


def assert_same(ours, theirs, tight=True):
    """assert_close of a mylib array and a torch tensor: rtol 1e-7, atol 1e-9, or torch's defaults (float32)."""
    tolerance = {"rtol": RTOL, "atol": ATOL} if tight else {}
    torch.testing.assert_close(torch.from_numpy(np.asarray(ours)), theirs.detach(), **tolerance)


def broadcastable_shape(draw, shape):
    """A shape that broadcasts to `shape` without enlarging it: a suffix, some sizes set to 1."""
    start = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else n for n in shape[start:])


@st.composite
def loss_cases(draw, logits: bool):
    """(input, target, kwargs) arrays for one call; logits or probabilities, soft or hard targets."""
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if logits:
        x = rng.normal(scale=draw(st.sampled_from([1.0, 10.0, 100.0])), size=shape)
    else:
        x = rng.uniform(0, 1, size=shape)
        if draw(st.booleans()):  # exact 0s and 1s: torch's clamp at -100 and its 1e-12 floor
            x = np.where(rng.uniform(size=shape) < 0.3, rng.integers(0, 2, size=shape), x).astype(np.float64)
    target = rng.uniform(size=shape) if draw(st.booleans()) else rng.integers(0, 2, size=shape).astype(np.float64)
    kwargs = {"reduction": draw(st.sampled_from(REDUCTIONS))}
    if draw(st.booleans()):
        kwargs["weight"] = rng.uniform(0.1, 3, size=broadcastable_shape(draw, shape))
    if logits and draw(st.booleans()):
        kwargs["pos_weight"] = rng.uniform(0.1, 5, size=broadcastable_shape(draw, shape))
    return np.asarray(x, dtype=np.float64), np.asarray(target, dtype=np.float64), kwargs


def run_both(mylib_fn, torch_fn, x, y, kwargs, target_grad=True):
    """Forward and backward (same random upstream gradient) in mylib and torch; compare all."""
    mx, my = Tensor(x, requires_grad=True), Tensor(y, requires_grad=target_grad)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=target_grad)
    torch_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours, theirs = mylib_fn(mx, my, **kwargs), torch_fn(tx, ty, **torch_kwargs)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.float64
    assert_same(ours.data, theirs)
    upstream = np.random.default_rng(1).normal(size=ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    assert_same(mx.grad.data, tx.grad)
    if target_grad:
        assert_same(my.grad.data, ty.grad)


@examples
@given(loss_cases(logits=True))
def test_bce_with_logits_matches_torch(case):
    x, y, kwargs = case
    run_both(F.binary_cross_entropy_with_logits, torch_F.binary_cross_entropy_with_logits, x, y, kwargs)


@examples
@given(loss_cases(logits=False))
def test_bce_matches_torch(case):
    x, y, kwargs = case
    # the target's gradient log(1-p) - log(p) is ±inf at p = 0 or 1 in both libraries; compare it elsewhere
    inside = bool(np.all((x > 0) & (x < 1)))
    run_both(F.binary_cross_entropy, torch_F.binary_cross_entropy, x, y, kwargs, target_grad=inside)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_modules_match_torch(reduction):
    rng = np.random.default_rng(0)
    x, y = rng.normal(scale=3, size=(5, 3)), rng.integers(0, 2, size=(5, 3)).astype(np.float64)
    weight, pos_weight = rng.uniform(0.5, 2, size=(5, 1)), np.array([0.5, 1.0, 4.0])
    pairs = [
        (nn.BCELoss(weight=weight, reduction=reduction),
         torch.nn.BCELoss(weight=torch.tensor(weight), reduction=reduction), 1 / (1 + np.exp(-x))),
        (nn.BCEWithLogitsLoss(weight=Tensor(weight), reduction=reduction, pos_weight=Tensor(pos_weight)),
         torch.nn.BCEWithLogitsLoss(weight=torch.tensor(weight), reduction=reduction,
                                    pos_weight=torch.tensor(pos_weight)), x),
    ]
    for ours, theirs, inputs in pairs:
        assert isinstance(ours, Module) and list(ours.parameters()) == []
        assert ours.reduction == reduction
        run_both(ours, theirs, inputs, y, {})


def test_gradient_is_sigmoid_minus_target():
    x = np.linspace(-30, 30, 13)
    y = np.random.default_rng(2).uniform(size=13)
    mx = Tensor(x, requires_grad=True)
    F.binary_cross_entropy_with_logits(mx, Tensor(y), reduction="sum").backward()
    np.testing.assert_allclose(mx.grad.data, 1 / (1 + np.exp(-x)) - y, rtol=1e-12, atol=1e-15)


def test_gradcheck_finite_differences():
    """An independent second check of both backward formulas (inputs and targets)."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    p = Tensor(rng.uniform(0.05, 0.95, size=(3, 2)), requires_grad=True)
    y = Tensor(rng.uniform(0.1, 0.9, size=(3, 2)), requires_grad=True)
    pos_weight, weight = np.array([2.0, 0.5]), rng.uniform(0.5, 2, size=(3, 1))
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=weight, pos_weight=pos_weight,
                                                                      reduction="none"), (x, y))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=weight, reduction="sum"), (p, y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_are_finite_exact_and_warning_free(dtype):
    x = np.array([-1e4, -1e3, -100.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 100.0, 1e3, 1e4], dtype=dtype)
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    for target_value in (0.0, 1.0, 0.5):
        y = np.full_like(x, target_value)
        for pos_weight in (None, np.array([3.0], dtype=dtype)):
            mx = Tensor(x, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # numpy's overflow/divide/invalid warnings fail the test
                ours = F.binary_cross_entropy_with_logits(mx, Tensor(y), reduction="none", pos_weight=pos_weight)
                ours.sum().backward()
            assert ours.dtype == dtype and mx.grad.dtype == dtype
            assert np.all(np.isfinite(ours.data)) and np.all(np.isfinite(mx.grad.data))
            tx = torch.tensor(x, requires_grad=True)
            theirs = torch_F.binary_cross_entropy_with_logits(
                tx, torch.tensor(y), reduction="none",
                pos_weight=None if pos_weight is None else torch.tensor(pos_weight, dtype=torch_dtype))
            theirs.sum().backward()
            assert_same(ours.data, theirs, tight=dtype == np.float64)
            assert_same(mx.grad.data, tx.grad, tight=dtype == np.float64)


def test_bce_at_zero_and_one_matches_torch_clamp():
    p = np.array([0.0, 1e-300, 1e-30, 0.5, 1 - 1e-16, 1.0])
    for target_value in (0.0, 1.0):
        y = np.full_like(p, target_value)
        mp = Tensor(p, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = F.binary_cross_entropy(mp, Tensor(y), reduction="none")
            ours.sum().backward()
        tp = torch.tensor(p, requires_grad=True)
        theirs = torch_F.binary_cross_entropy(tp, torch.tensor(y), reduction="none")
        theirs.sum().backward()
        assert_same(ours.data, theirs)
        assert_same(mp.grad.data, tp.grad)
    assert F.binary_cross_entropy(Tensor(np.array([0.0])), Tensor(np.array([1.0]))).item() == 100.0


def test_float32_keeps_dtype_and_matches_torch():
    rng = np.random.default_rng(4)
    x = rng.normal(scale=5, size=(6, 2)).astype(np.float32)
    y = rng.integers(0, 2, size=(6, 2)).astype(np.float32)
    for ours_fn, torch_fn, inputs in ((F.binary_cross_entropy_with_logits, torch_F.binary_cross_entropy_with_logits, x),
                                      (F.binary_cross_entropy, torch_F.binary_cross_entropy,
                                       torch.sigmoid(torch.tensor(x)).numpy())):
        mx = Tensor(inputs, requires_grad=True)
        ours = ours_fn(mx, Tensor(y), weight=np.array([2.0, 0.5]))  # a float64 weight must not promote
        ours.backward()
        tx = torch.tensor(inputs, requires_grad=True)
        theirs = torch_fn(tx, torch.tensor(y), weight=torch.tensor([2.0, 0.5]))
        theirs.backward()
        assert ours.dtype == np.float32 and mx.grad.dtype == np.float32
        assert_same(ours.data, theirs, tight=False)  # torch's float32 tolerances
        assert_same(mx.grad.data, tx.grad, tight=False)


# ---- errors ---------------------------------------------------------------------------------

LOSSES = [F.binary_cross_entropy, F.binary_cross_entropy_with_logits]


@pytest.mark.parametrize("loss", LOSSES)
def test_target_shape_must_equal_input_shape(loss):
    with pytest.raises(ValueError, match=r"target shape \(3,\) must equal input shape \(3, 1\)"):
        loss(Tensor(np.full((3, 1), 0.5)), Tensor(np.zeros(3)))


@pytest.mark.parametrize("loss", LOSSES)
def test_unknown_reduction_lists_the_valid_ones(loss):
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction.*'mean', 'sum', 'none'"):
        loss(Tensor(np.full(2, 0.5)), Tensor(np.zeros(2)), reduction="avg")


@pytest.mark.parametrize("module", [nn.BCELoss, nn.BCEWithLogitsLoss])
def test_module_checks_reduction_when_built(module):
    with pytest.raises(ValueError, match="'elementwise_mean' is not a valid value for reduction"):
        module(reduction="elementwise_mean")


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
def test_bce_input_outside_zero_one(bad):
    with pytest.raises(ValueError, match="all elements of input should be between 0 and 1.*sigmoid"):
        F.binary_cross_entropy(Tensor(np.array([0.5, bad])), Tensor(np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(Tensor(np.array([0.5, 0.5])), Tensor(np.array([0.0, bad])))


@pytest.mark.parametrize("loss", LOSSES)
def test_dtype_and_type_errors(loss):
    with pytest.raises(TypeError, match="same floating dtype, got input float64 and target float32"):
        loss(Tensor(np.full(2, 0.5)), Tensor(np.zeros(2, dtype=np.float32)))
    with pytest.raises(TypeError, match="got input float64 and target int64"):
        loss(Tensor(np.full(2, 0.5)), Tensor(np.array([0, 1])))
    with pytest.raises(TypeError, match="must be mylib Tensors, got ndarray and Tensor"):
        loss(np.full(2, 0.5), Tensor(np.zeros(2)))


@pytest.mark.parametrize("loss", LOSSES)
def test_weight_must_broadcast_to_input(loss):
    x, y = Tensor(np.full((4, 3), 0.5)), Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) cannot be broadcast to the input shape \(4, 3\)"):
        loss(x, y, weight=np.ones(4))
    with pytest.raises(ValueError, match=r"weight of shape \(2, 4, 3\) cannot be broadcast"):
        loss(x, y, weight=np.ones((2, 4, 3)))  # would enlarge the loss: torch refuses too
    with pytest.raises(RuntimeError, match="'weight' must not require grad"):
        loss(x, y, weight=Tensor(np.ones(3), requires_grad=True))


def test_pos_weight_must_broadcast_to_input():
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) cannot be broadcast to the input shape \(4, 3\)"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros((4, 3))), Tensor(np.zeros((4, 3))), pos_weight=np.ones(2))


# ---- training runs --------------------------------------------------------------------------

def test_seed_002_training_run_matches_torch():
    """Seed 002: Linear(1, 1) + sigmoid, BCELoss(sum), SGD lr 0.01 — 300 epochs, loss for loss."""
    torch.manual_seed(0)
    torch_linear = torch.nn.Linear(1, 1).double()
    linear = Linear(1, 1, dtype=np.float64)
    linear.load_state_dict({k: v.numpy() for k, v in torch_linear.state_dict().items()})
    x, y = np.array([[1.0], [2.0], [3.0]]), np.array([[0.0], [0.0], [1.0]])
    criterion, torch_criterion = nn.BCELoss(reduction="sum"), torch.nn.BCELoss(reduction="sum")
    optimizer = optim.SGD(linear.parameters(), lr=0.01)
    torch_optimizer = torch.optim.SGD(torch_linear.parameters(), lr=0.01)
    for _ in range(300):
        loss = criterion(F.sigmoid(linear(Tensor(x))), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch_loss = torch_criterion(torch.sigmoid(torch_linear(torch.tensor(x))), torch.tensor(y))
        torch_optimizer.zero_grad()
        torch_loss.backward()
        torch_optimizer.step()
        assert_same(loss.data, torch_loss)
    for name, value in torch_linear.state_dict().items():
        assert_same(linear.state_dict()[name], value)


def test_bce_with_logits_training_run_matches_torch():
    """Two features, BCEWithLogitsLoss with weight and pos_weight, SGD with momentum: 50 epochs."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(-1, 1, size=(30, 2)), rng.normal(1.5, 1, size=(10, 2))])
    y = np.concatenate([np.zeros(30), np.ones(10)]).reshape(-1, 1)
    weight = rng.uniform(0.5, 1.5, size=(40, 1))
    torch.manual_seed(1)
    torch_linear = torch.nn.Linear(2, 1).double()
    linear = Linear(2, 1, dtype=np.float64)
    linear.load_state_dict({k: v.numpy() for k, v in torch_linear.state_dict().items()})
    criterion = nn.BCEWithLogitsLoss(weight=weight, pos_weight=np.array([3.0]))
    torch_criterion = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(weight), pos_weight=torch.tensor([3.0]))
    optimizer = optim.SGD(linear.parameters(), lr=0.1, momentum=0.9)
    torch_optimizer = torch.optim.SGD(torch_linear.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(50):
        loss = criterion(linear(Tensor(x)), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch_loss = torch_criterion(torch_linear(torch.tensor(x)), torch.tensor(y))
        torch_optimizer.zero_grad()
        torch_loss.backward()
        torch_optimizer.step()
        assert_same(loss.data, torch_loss)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]  # it learned something
    for name, value in torch_linear.state_dict().items():
        assert_same(linear.state_dict()[name], value)


def test_the_bce_losses_are_nn_losses():
    """BCELoss and BCEWithLogitsLoss build on lesson 10's nn.Loss."""
    assert issubclass(nn.BCELoss, nn.Loss) and issubclass(nn.BCEWithLogitsLoss, nn.Loss)
