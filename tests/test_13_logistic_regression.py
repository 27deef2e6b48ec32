"""Lesson 13: mylib's binary cross-entropy losses against torch.

In the order of the lesson's build pieces: `BinaryCrossEntropy.forward` (the clamp at -100),
`_log_sigmoid`, `BinaryCrossEntropyWithLogits.forward` and `.backward` (with `pos_weight`); then
the given code around them: `weight`, every reduction, gradients with respect to the target,
`nn.BCELoss` / `nn.BCEWithLogitsLoss`, float32, extreme values, the error messages, and whole
training runs against torch. Float64 comparisons are tight (rtol 1e-7, atol 1e-9).
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
from mylib.functional import _log_sigmoid
from mylib.nn import Linear, Module
from tests.compare import FLOAT32, assert_same

REDUCTIONS = ("mean", "sum", "none")
examples = settings(max_examples=60, deadline=None)


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


def describe(name, x, kwargs):
    args = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k} of shape {np.shape(v)}" for k, v in kwargs.items())
    return f"{name}(input, target{', ' + args if args else ''}) on inputs of shape {np.shape(x)}"


def torch_kwargs(kwargs):
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def run_both(mylib_fn, torch_fn, x, y, kwargs, what, input_grad=True, target_grad=False):
    """Forward (and backward with one random upstream gradient) in mylib and torch; compare."""
    mx, my = Tensor(x, requires_grad=input_grad), Tensor(y, requires_grad=target_grad)
    tx, ty = torch.tensor(x, requires_grad=input_grad), torch.tensor(y, requires_grad=target_grad)
    ours, theirs = mylib_fn(mx, my, **kwargs), torch_fn(tx, ty, **torch_kwargs(kwargs))
    assert_same(ours, theirs, what)
    if not (input_grad or target_grad):
        return
    upstream = np.random.default_rng(1).normal(size=ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    if input_grad:
        assert_same(mx.grad, tx.grad, f"the gradient of {what} with respect to the input")
    if target_grad:
        assert_same(my.grad, ty.grad, f"the gradient of {what} with respect to the target")


# ---- build piece 1: BinaryCrossEntropy.forward ----------------------------------------------

def test_bce_on_the_seed_example():
    """binary_cross_entropy on seed 002's three predictions equals torch's, for every reduction."""
    p, y = np.array([[0.2], [0.4], [0.7]]), np.array([[0.0], [0.0], [1.0]])
    for reduction in REDUCTIONS:
        ours = F.binary_cross_entropy(Tensor(p), Tensor(y), reduction=reduction)
        theirs = torch_F.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction=reduction)
        assert_same(ours, theirs, f"binary_cross_entropy(p=[0.2, 0.4, 0.7], y=[0, 0, 1], reduction={reduction!r})")


def test_bce_clamps_log_zero_at_minus_100_like_torch():
    """binary_cross_entropy at probabilities of exactly 0 and 1 gives torch's clamped values, without warnings."""
    p = np.array([0.0, 1e-300, 1e-30, 0.5, 1 - 1e-16, 1.0])
    for target_value in (0.0, 1.0):
        y = np.full_like(p, target_value)
        mp = Tensor(p, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy's divide-by-zero warning fails the test
            ours = F.binary_cross_entropy(mp, Tensor(y), reduction="none")
            ours.sum().backward()
        tp = torch.tensor(p, requires_grad=True)
        theirs = torch_F.binary_cross_entropy(tp, torch.tensor(y), reduction="none")
        theirs.sum().backward()
        what = f"binary_cross_entropy(p, y, reduction='none') for p = {p} and y = {target_value}"
        assert_same(ours, theirs, what)
        assert_same(mp.grad, tp.grad, f"the gradient of {what}")
    one = F.binary_cross_entropy(Tensor(np.array([0.0])), Tensor(np.array([1.0]))).item()
    assert one == 100.0, f"binary_cross_entropy(p=0, y=1) must be exactly 100 (torch's clamp), got {one}"


@examples
@given(loss_cases(logits=False))
def test_bce_equals_torch_on_random_inputs(case):
    """binary_cross_entropy equals torch's on random shapes, every reduction, with weight, gradients included."""
    x, y, kwargs = case
    # the target's gradient log(1-p) - log(p) is ±inf at p = 0 or 1 in both libraries; compare it elsewhere
    inside = bool(np.all((x > 0) & (x < 1)))
    run_both(F.binary_cross_entropy, torch_F.binary_cross_entropy, x, y, kwargs,
             describe("binary_cross_entropy", x, kwargs), target_grad=inside)


# ---- build piece 2: _log_sigmoid -------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_sigmoid_equals_torch_logsigmoid(dtype):
    """_log_sigmoid(x) equals torch's F.logsigmoid from -1e4 to 1e4, keeps the dtype, and never warns."""
    x = np.array([-1e4, -800.0, -40.0, -3.0, -1e-3, 0.0, 1e-3, 3.0, 40.0, 800.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow in exp is a failure
        ours = _log_sigmoid(x)
    tolerance = {} if dtype == np.float64 else FLOAT32
    assert_same(ours, torch_F.logsigmoid(torch.from_numpy(x)), f"_log_sigmoid(x) for {np.dtype(dtype).name} x = {x}",
                **tolerance)


# ---- build pieces 3 and 4: BinaryCrossEntropyWithLogits ------------------------------------

def test_bce_with_logits_values_equal_torch():
    """binary_cross_entropy_with_logits equals torch's, with and without pos_weight, for every reduction."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(scale=4, size=(5, 3)), rng.uniform(size=(5, 3))
    for pos_weight in (None, np.array([0.5, 1.0, 3.0])):
        for reduction in REDUCTIONS:
            kwargs = {"reduction": reduction} if pos_weight is None else {"reduction": reduction, "pos_weight": pos_weight}
            run_both(F.binary_cross_entropy_with_logits, torch_F.binary_cross_entropy_with_logits, x, y, kwargs,
                     describe("binary_cross_entropy_with_logits", x, kwargs), input_grad=False)


def test_bce_with_logits_gradient_equals_torch():
    """The gradient of binary_cross_entropy_with_logits (σ(x) - y, or with pos_weight) equals torch's."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(scale=4, size=(5, 3)), rng.integers(0, 2, size=(5, 3)).astype(np.float64)
    for pos_weight in (None, np.array([0.5, 1.0, 3.0]), np.array([[2.0]])):
        kwargs = {"reduction": "sum"} if pos_weight is None else {"reduction": "sum", "pos_weight": pos_weight}
        run_both(F.binary_cross_entropy_with_logits, torch_F.binary_cross_entropy_with_logits, x, y, kwargs,
                 describe("binary_cross_entropy_with_logits", x, kwargs))


def test_gradient_is_sigmoid_minus_target():
    """Without pos_weight, the gradient of the summed BCE-with-logits is σ(x) - y."""
    x = np.linspace(-30, 30, 13)
    y = np.random.default_rng(2).uniform(size=13)
    mx = Tensor(x, requires_grad=True)
    F.binary_cross_entropy_with_logits(mx, Tensor(y), reduction="sum").backward()
    assert_same(mx.grad, torch.sigmoid(torch.from_numpy(x)) - torch.from_numpy(y),
                "the gradient of binary_cross_entropy_with_logits(x, y, reduction='sum'), σ(x) - y, for x from -30 to 30")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_are_finite_exact_and_warning_free(dtype):
    """BCE-with-logits at logits up to ±1e4 is finite, warning-free and equal to torch's, in float32 and float64."""
    x = np.array([-1e4, -1e3, -100.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 100.0, 1e3, 1e4], dtype=dtype)
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    tolerance = {} if dtype == np.float64 else FLOAT32
    for target_value in (0.0, 1.0, 0.5):
        y = np.full_like(x, target_value)
        for pos_weight in (None, np.array([3.0], dtype=dtype)):
            what = (f"binary_cross_entropy_with_logits(x, y={target_value}, pos_weight={pos_weight}) "
                    f"for {np.dtype(dtype).name} x = {x}")
            mx = Tensor(x, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # numpy's overflow/divide/invalid warnings fail the test
                ours = F.binary_cross_entropy_with_logits(mx, Tensor(y), reduction="none", pos_weight=pos_weight)
                ours.sum().backward()
            assert ours.dtype == dtype and mx.grad.dtype == dtype, f"{what}: the result must stay {np.dtype(dtype).name}"
            tx = torch.tensor(x, requires_grad=True)
            theirs = torch_F.binary_cross_entropy_with_logits(
                tx, torch.tensor(y), reduction="none",
                pos_weight=None if pos_weight is None else torch.tensor(pos_weight, dtype=torch_dtype))
            theirs.sum().backward()
            assert_same(ours, theirs, what, **tolerance)
            assert_same(mx.grad, tx.grad, f"the gradient of {what}", **tolerance)


@examples
@given(loss_cases(logits=True))
def test_bce_with_logits_equals_torch_on_random_inputs(case):
    """binary_cross_entropy_with_logits equals torch's on random shapes, weight and pos_weight, both gradients."""
    x, y, kwargs = case
    run_both(F.binary_cross_entropy_with_logits, torch_F.binary_cross_entropy_with_logits, x, y, kwargs,
             describe("binary_cross_entropy_with_logits", x, kwargs), target_grad=True)


def test_gradcheck_finite_differences():
    """Finite differences agree with both backward formulas (input and target): an independent second check."""
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    p = Tensor(rng.uniform(0.05, 0.95, size=(3, 2)), requires_grad=True)
    y = Tensor(rng.uniform(0.1, 0.9, size=(3, 2)), requires_grad=True)
    pos_weight, weight = np.array([2.0, 0.5]), rng.uniform(0.5, 2, size=(3, 1))
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=weight, pos_weight=pos_weight,
                                                                      reduction="none"), (x, y))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=weight, reduction="sum"), (p, y))


# ---- the given code: modules, float32 -----------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_modules_match_torch(reduction):
    """nn.BCELoss and nn.BCEWithLogitsLoss (with weight and pos_weight) equal torch's modules."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(scale=3, size=(5, 3)), rng.integers(0, 2, size=(5, 3)).astype(np.float64)
    weight, pos_weight = rng.uniform(0.5, 2, size=(5, 1)), np.array([0.5, 1.0, 4.0])
    pairs = [
        ("BCELoss", nn.BCELoss(weight=weight, reduction=reduction),
         torch.nn.BCELoss(weight=torch.tensor(weight), reduction=reduction), 1 / (1 + np.exp(-x))),
        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(weight=Tensor(weight), reduction=reduction,
                                                   pos_weight=Tensor(pos_weight)),
         torch.nn.BCEWithLogitsLoss(weight=torch.tensor(weight), reduction=reduction,
                                    pos_weight=torch.tensor(pos_weight)), x),
    ]
    for name, ours, theirs, inputs in pairs:
        assert isinstance(ours, Module) and list(ours.parameters()) == [], f"{name} is a Module without parameters"
        assert ours.reduction == reduction
        run_both(ours, theirs, inputs, y, {}, f"{name}(weight, reduction={reduction!r}) on shape (5, 3)", target_grad=True)


def test_float32_keeps_dtype_and_matches_torch():
    """The losses keep float32 (a float64 weight does not promote them) and match torch within float32 tolerances."""
    rng = np.random.default_rng(4)
    x = rng.normal(scale=5, size=(6, 2)).astype(np.float32)
    y = rng.integers(0, 2, size=(6, 2)).astype(np.float32)
    for ours_fn, torch_fn, inputs in ((F.binary_cross_entropy_with_logits, torch_F.binary_cross_entropy_with_logits, x),
                                      (F.binary_cross_entropy, torch_F.binary_cross_entropy,
                                       torch.sigmoid(torch.tensor(x)).numpy())):
        what = f"{ours_fn.__name__}(float32 input, weight=[2.0, 0.5])"
        mx = Tensor(inputs, requires_grad=True)
        ours = ours_fn(mx, Tensor(y), weight=np.array([2.0, 0.5]))  # a float64 weight must not promote
        ours.backward()
        tx = torch.tensor(inputs, requires_grad=True)
        theirs = torch_fn(tx, torch.tensor(y), weight=torch.tensor([2.0, 0.5]))
        theirs.backward()
        assert ours.dtype == np.float32 and mx.grad.dtype == np.float32, f"{what} must stay float32"
        assert_same(ours, theirs, what, **FLOAT32)
        assert_same(mx.grad, tx.grad, f"the gradient of {what}", **FLOAT32)


def test_the_bce_losses_are_nn_losses():
    """BCELoss and BCEWithLogitsLoss build on lesson 10's nn.Loss."""
    assert issubclass(nn.BCELoss, nn.Loss) and issubclass(nn.BCEWithLogitsLoss, nn.Loss)


# ---- errors ---------------------------------------------------------------------------------

LOSSES = [F.binary_cross_entropy, F.binary_cross_entropy_with_logits]


@pytest.mark.parametrize("loss", LOSSES)
def test_target_shape_must_equal_input_shape(loss):
    """A target whose shape differs from the input's is a ValueError naming both shapes."""
    with pytest.raises(ValueError, match=r"target shape \(3,\) must equal input shape \(3, 1\)"):
        loss(Tensor(np.full((3, 1), 0.5)), Tensor(np.zeros(3)))


@pytest.mark.parametrize("loss", LOSSES)
def test_unknown_reduction_lists_the_valid_ones(loss):
    """An unknown reduction is a ValueError listing 'mean', 'sum', 'none'."""
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction.*'mean', 'sum', 'none'"):
        loss(Tensor(np.full(2, 0.5)), Tensor(np.zeros(2)), reduction="avg")


@pytest.mark.parametrize("module", [nn.BCELoss, nn.BCEWithLogitsLoss])
def test_module_checks_reduction_when_built(module):
    """A loss module with an unknown reduction fails when it is built, not when it is called."""
    with pytest.raises(ValueError, match="'elementwise_mean' is not a valid value for reduction"):
        module(reduction="elementwise_mean")


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
def test_bce_input_outside_zero_one(bad):
    """binary_cross_entropy refuses probabilities or targets outside [0, 1] (and nan) with torch's message."""
    with pytest.raises(ValueError, match="all elements of input should be between 0 and 1.*sigmoid"):
        F.binary_cross_entropy(Tensor(np.array([0.5, bad])), Tensor(np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(Tensor(np.array([0.5, 0.5])), Tensor(np.array([0.0, bad])))


@pytest.mark.parametrize("loss", LOSSES)
def test_dtype_and_type_errors(loss):
    """Input and target of different dtypes are a TypeError; so is an input that is not a Tensor."""
    with pytest.raises(TypeError, match="same floating dtype, got input float64 and target float32"):
        loss(Tensor(np.full(2, 0.5)), Tensor(np.zeros(2, dtype=np.float32)))
    with pytest.raises(TypeError, match="got input float64 and target int64"):
        loss(Tensor(np.full(2, 0.5)), Tensor(np.array([0, 1])))
    with pytest.raises(TypeError, match="must be mylib Tensors, got ndarray and Tensor"):
        loss(np.full(2, 0.5), Tensor(np.zeros(2)))


@pytest.mark.parametrize("loss", LOSSES)
def test_weight_must_broadcast_to_input(loss):
    """A weight that does not broadcast to the input's shape, or requires grad, is refused."""
    x, y = Tensor(np.full((4, 3), 0.5)), Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) cannot be broadcast to the input shape \(4, 3\)"):
        loss(x, y, weight=np.ones(4))
    with pytest.raises(ValueError, match=r"weight of shape \(2, 4, 3\) cannot be broadcast"):
        loss(x, y, weight=np.ones((2, 4, 3)))  # would enlarge the loss: torch refuses too
    with pytest.raises(RuntimeError, match="'weight' must not require grad"):
        loss(x, y, weight=Tensor(np.ones(3), requires_grad=True))


def test_pos_weight_must_broadcast_to_input():
    """A pos_weight that does not broadcast to the input's shape is a ValueError."""
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) cannot be broadcast to the input shape \(4, 3\)"):
        F.binary_cross_entropy_with_logits(Tensor(np.zeros((4, 3))), Tensor(np.zeros((4, 3))), pos_weight=np.ones(2))


# ---- training runs --------------------------------------------------------------------------

def test_seed_002_training_run_matches_torch():
    """Seed 002 (Linear(1, 1) + sigmoid, BCELoss(sum), SGD lr 0.01): 300 epochs equal torch's, loss for loss."""
    torch.manual_seed(0)
    torch_linear = torch.nn.Linear(1, 1).double()
    linear = Linear(1, 1, dtype=np.float64)
    linear.load_state_dict({k: v.numpy() for k, v in torch_linear.state_dict().items()})
    x, y = np.array([[1.0], [2.0], [3.0]]), np.array([[0.0], [0.0], [1.0]])
    criterion, torch_criterion = nn.BCELoss(reduction="sum"), torch.nn.BCELoss(reduction="sum")
    optimizer = optim.SGD(linear.parameters(), lr=0.01)
    torch_optimizer = torch.optim.SGD(torch_linear.parameters(), lr=0.01)
    for epoch in range(300):
        loss = criterion(F.sigmoid(linear(Tensor(x))), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch_loss = torch_criterion(torch.sigmoid(torch_linear(torch.tensor(x))), torch.tensor(y))
        torch_optimizer.zero_grad()
        torch_loss.backward()
        torch_optimizer.step()
        assert_same(loss, torch_loss, f"seed 002's BCELoss(reduction='sum') at epoch {epoch}")
    for name, value in torch_linear.state_dict().items():
        assert_same(linear.state_dict()[name], value, f"seed 002's {name} after 300 epochs")


def test_bce_with_logits_training_run_matches_torch():
    """Two features, BCEWithLogitsLoss with weight and pos_weight, SGD with momentum: 50 epochs equal torch's."""
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
    for epoch in range(50):
        loss = criterion(linear(Tensor(x)), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch_loss = torch_criterion(torch_linear(torch.tensor(x)), torch.tensor(y))
        torch_optimizer.zero_grad()
        torch_loss.backward()
        torch_optimizer.step()
        assert_same(loss, torch_loss, f"BCEWithLogitsLoss(weight, pos_weight=3) at epoch {epoch}")
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], f"the loss should at least halve in 50 epochs: {losses[0]} -> {losses[-1]}"
    for name, value in torch_linear.state_dict().items():
        assert_same(linear.state_dict()[name], value, f"the {name} after 50 epochs")


# ---------------------------------------------------------------- under the hood: ±inf logits, no warnings

def silent_loss_and_grads(fn, x, y, **kwargs):
    """The loss and both gradients, failing on any numpy warning or FloatingPointError (underflow too)."""
    tx, ty = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        loss = fn(tx, ty, **kwargs)
        loss.backward(np.ones(loss.shape, dtype=x.dtype))
    return loss, tx.grad, ty.grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", [{}, {"weight": [0.0, 2.0, 1.0, 0.5]}, {"pos_weight": [3.0, 0.0, 1e30, 1.0]},
                                    {"weight": [0.0, 1.0, 2.0, 1.0], "pos_weight": [2.0, 2.0, 0.5, 1.0]}], ids=str)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits_at_inf_nan_and_subnormals_is_torchs_without_a_warning(kwargs, reduction, dtype):
    """BCE-with-logits at ±1e30, ±inf, nan, 0 and subnormal logits: torch's loss and gradients, silently."""
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.array([1e30, -1e30, np.inf, -np.inf, np.nan, 0.0, tiny, -tiny], dtype=dtype).reshape(2, 4)
    for y in (np.zeros_like(x), np.ones_like(x), np.full_like(x, 0.5)):
        extra = {k: np.array(v, dtype=dtype) for k, v in kwargs.items()}
        loss, gx, gy = silent_loss_and_grads(F.binary_cross_entropy_with_logits, x, y, reduction=reduction, **extra)
        tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        theirs = torch_F.binary_cross_entropy_with_logits(tx, ty, reduction=reduction,
                                                          **{k: torch.from_numpy(v) for k, v in extra.items()})
        theirs.backward(torch.ones_like(theirs))
        what = f"binary_cross_entropy_with_logits({x.tolist()}, target {y[0, 0]}, {kwargs}, reduction={reduction!r})"
        tol = dict(rtol=1e-7, atol=1e-30) if dtype == np.float64 else dict(rtol=1.3e-6, atol=1e-30)
        assert_same(loss, theirs, what, equal_nan=True, **tol)
        for mine, grad in ((gx, tx.grad), (gy, ty.grad)):
            finite = torch.isfinite(grad)
            assert_same(mine.data[finite.numpy()], grad[finite], f"a gradient of {what} where torch's is finite", **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_at_zero_one_and_subnormal_probabilities_is_torchs_without_a_warning(dtype):
    """binary_cross_entropy at p = 0, 1, subnormal and 1 - ε: torch's loss and gradient (its 1e-12 floor), silently."""
    tiny, eps = np.finfo(dtype).smallest_subnormal, np.finfo(dtype).epsneg
    p = np.array([0.0, 1.0, tiny, 1 - eps, 0.5, 0.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.5, 1.0, tiny, 0.0], dtype=dtype)
    for weight in (None, np.array(2.0, dtype=dtype)):
        loss, gp, _ = silent_loss_and_grads(F.binary_cross_entropy, p, y, weight=weight, reduction="none")
        tp = torch.tensor(p, requires_grad=True)
        theirs = torch_F.binary_cross_entropy(tp, torch.tensor(y), reduction="none",
                                              weight=None if weight is None else torch.tensor(weight))
        theirs.backward(torch.ones_like(theirs))
        assert_same(loss, theirs, f"binary_cross_entropy({p}, {y}, weight={weight})")
        assert_same(gp, tp.grad, f"the gradient of binary_cross_entropy({p}, {y}, weight={weight})")


@pytest.mark.parametrize("call, torch_call", [
    (lambda: F.binary_cross_entropy(Tensor(np.array([0.5])), Tensor(np.array([2.0]))),
     lambda: torch_F.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([2.0]))),
    (lambda: F.binary_cross_entropy(Tensor(np.array([1.5])), Tensor(np.array([1.0]))),
     lambda: torch_F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))),
    (lambda: F.binary_cross_entropy(Tensor(np.array([0.5, 0.5])), Tensor(np.ones(2)), weight=np.ones(3)),
     lambda: torch_F.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.ones(2), weight=torch.ones(3))),
    (lambda: F.binary_cross_entropy_with_logits(Tensor(np.zeros(2)), Tensor(np.ones(2)), pos_weight=np.ones(3)),
     lambda: torch_F.binary_cross_entropy_with_logits(torch.zeros(2), torch.ones(2), pos_weight=torch.ones(3))),
    (lambda: F.binary_cross_entropy(Tensor(np.array([0.5, 0.5])), Tensor(np.array([0, 1]))),
     lambda: torch_F.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([0, 1]))),
], ids=["target 2", "input 1.5", "weight (3,)", "pos_weight (3,)", "int target"])
def test_errors_torch_raises_as_runtime_error_are_runtime_errors(call, torch_call):
    """Where torch raises RuntimeError (target outside [0, 1], weight of a bad shape, int target), so does mylib."""
    with pytest.raises(RuntimeError):
        torch_call()
    with pytest.raises(RuntimeError, match="binary_cross_entropy"):
        call()


def test_a_weight_that_is_not_numbers_is_a_type_error():
    """A string as weight is a TypeError naming the argument, not numpy's 'could not convert string'."""
    with pytest.raises(TypeError, match="argument 'weight' must be a Tensor of numbers, not str"):
        F.binary_cross_entropy(Tensor(np.array([0.5])), Tensor(np.array([1.0])), weight="a")
