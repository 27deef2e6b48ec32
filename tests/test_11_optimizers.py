"""mylib.optim and mylib.lr_scheduler against torch.optim, float64.

Every optimizer × every option: the parameter trajectory over 20 steps on the same small tanh network
and data equals torch's (rtol 1e-7, atol 1e-9), and so does the optimizer state. torch runs its
single-tensor code path (`foreach=False`), the one mylib ports.

The network's loss has an L2 penalty. Without it, L-BFGS with a short history amplifies rounding so
much that torch does not even agree with itself when the start moves by 1e-16 (lesson 11 shows it);
with it, both stay within ~1e-13 of each other.
"""
import re

import numpy as np
import pytest
import torch

import mylib.optim as optim
from mylib import Tensor, lr_scheduler

RTOL, ATOL = 1e-7, 1e-9
STEPS = 20
L2 = 0.3

_rng = np.random.default_rng(0)
X, Y = _rng.normal(size=(8, 3)), _rng.normal(size=(8, 1))
START = [_rng.normal(size=(3, 4)) * 0.5, _rng.normal(size=4) * 0.1, _rng.normal(size=(4, 1)) * 0.5, np.zeros(1)]

CASES = [
    ("SGD", {}), ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)), ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.2)), ("SGD", dict(lr=0.0, momentum=0.9)),
    ("Adagrad", {}), ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)), ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3)),
    ("Adagrad", dict(lr=0.2, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-6)),
    ("RMSprop", {}), ("RMSprop", dict(alpha=0.9)), ("RMSprop", dict(eps=1e-3)), ("RMSprop", dict(weight_decay=0.1)),
    ("RMSprop", dict(momentum=0.9)), ("RMSprop", dict(centered=True)), ("RMSprop", dict(centered=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.003, alpha=0.8, eps=1e-6, weight_decay=0.1, momentum=0.9, centered=True)),
    ("Adam", {}), ("Adam", dict(lr=0.05)), ("Adam", dict(betas=(0.8, 0.99))), ("Adam", dict(lr=0.05, eps=1e-4)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)), ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.6), weight_decay=0.2, amsgrad=True)),
    ("AdamW", {}), ("AdamW", dict(lr=0.05, weight_decay=0.1)), ("AdamW", dict(lr=0.05, weight_decay=0)),
    ("AdamW", dict(lr=0.05, amsgrad=True)), ("AdamW", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, amsgrad=True)),
    ("Adamax", {}), ("Adamax", dict(lr=0.05)), ("Adamax", dict(betas=(0.5, 0.7))), ("Adamax", dict(eps=1e-3)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1)),
    ("ASGD", {}), ("ASGD", dict(lr=0.05)), ("ASGD", dict(lr=0.05, lambd=0.01)), ("ASGD", dict(lr=0.05, alpha=0.5)),
    ("ASGD", dict(lr=0.05, t0=5)), ("ASGD", dict(lr=0.05, weight_decay=0.1)),
    ("ASGD", dict(lr=0.1, lambd=0.05, alpha=0.6, t0=3, weight_decay=0.05)),
    ("Rprop", {}), ("Rprop", dict(lr=0.05)), ("Rprop", dict(etas=(0.3, 1.5))), ("Rprop", dict(step_sizes=(1e-3, 0.05))),
    ("Rprop", dict(lr=0.1, etas=(0.4, 1.1), step_sizes=(1e-2, 0.2))),
    ("LBFGS", {}), ("LBFGS", dict(line_search_fn="strong_wolfe")), ("LBFGS", dict(lr=0.5, max_iter=5)),
    ("LBFGS", dict(max_iter=3, history_size=2)), ("LBFGS", dict(max_iter=4, lr=0.3, history_size=2)),
    ("LBFGS", dict(max_iter=5, max_eval=4)), ("LBFGS", dict(tolerance_grad=1e-3)),
    ("LBFGS", dict(max_iter=3, history_size=2, tolerance_grad=1e-5, tolerance_change=1e-4)),
    ("LBFGS", dict(max_iter=3, max_eval=5, history_size=2, line_search_fn="strong_wolfe")),
    ("LBFGS", dict(max_iter=5, lr=0.5, history_size=3, line_search_fn="strong_wolfe")),
    ("LBFGS", dict(max_iter=3, history_size=4, tolerance_change=1e-3, line_search_fn="strong_wolfe")),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in options.items()) or 'defaults'}" for name, options in CASES]


def mylib_loss(params):
    W1, b1, W2, b2 = params
    out = (Tensor(X) @ W1 + b1).tanh() @ W2 + b2
    return ((out - Tensor(Y)) ** 2).mean() + L2 * ((W1 ** 2).sum() + (W2 ** 2).sum())


def torch_loss(params):
    W1, b1, W2, b2 = params
    out = torch.tanh(torch.tensor(X) @ W1 + b1) @ W2 + b2
    return ((out - torch.tensor(Y)) ** 2).mean() + L2 * ((W1 ** 2).sum() + (W2 ** 2).sum())


def make(name, options, params, framework):
    if framework == "torch":
        extra = {} if name == "LBFGS" else {"foreach": False}
        return getattr(torch.optim, name)(params, **options, **extra)
    return getattr(optim, name)(params, **options)


def new_params(framework, values=START):
    if framework == "torch":
        return [torch.tensor(v, requires_grad=True) for v in values]
    return [Tensor(np.array(v), requires_grad=True) for v in values]


def train(optimizer, params, framework, steps):
    """`steps` optimizer steps with a closure; the flat parameters after each."""
    loss_fn = torch_loss if framework == "torch" else mylib_loss

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(params)
        loss.backward()
        return loss

    rows = []
    for _ in range(steps):
        optimizer.step(closure)
        rows.append(np.concatenate([(p.detach().numpy() if framework == "torch" else p.data).ravel() for p in params]))
    return np.array(rows)


def run(name, options, framework, steps=STEPS):
    params = new_params(framework)
    optimizer = make(name, options, params, framework)
    return train(optimizer, params, framework, steps), optimizer, params


@pytest.mark.parametrize("name, options", CASES, ids=IDS)
def test_trajectory_and_state_match_torch(name, options):
    mine, my_opt, my_params = run(name, options, "mylib")
    theirs, their_opt, their_params = run(name, options, "torch")
    assert np.abs(mine[-1] - START_FLAT).max() > 0 or options.get("lr") == 0.0  # the run did move
    torch.testing.assert_close(mine, theirs, rtol=RTOL, atol=ATOL)
    # the state too: every numeric entry torch keeps (momentum buffers, averages, ax, eta, mu, step, …)
    for p, q in zip(my_params, their_params):
        for key, value in their_opt.state[q].items():
            if isinstance(value, torch.Tensor) or isinstance(value, (int, float)):
                expected = value.numpy() if isinstance(value, torch.Tensor) else value
                torch.testing.assert_close(np.asarray(my_opt.state[p][key], dtype=np.float64),
                                           np.asarray(expected, dtype=np.float64), rtol=RTOL, atol=ATOL)


START_FLAT = np.concatenate([v.ravel() for v in START])


@pytest.mark.parametrize("name, options", CASES, ids=IDS)
def test_state_dict_round_trip_resumes_identically(name, options):
    straight, _, _ = run(name, options, "mylib", steps=20)
    first_half, optimizer, params = run(name, options, "mylib", steps=10)
    checkpoint = {"params": [p.data.copy() for p in params], "optimizer": optimizer.state_dict()}
    train(optimizer, params, "mylib", steps=3)  # the saved snapshot must not follow later steps
    fresh = new_params("mylib", checkpoint["params"])
    resumed = make(name, options, fresh, "mylib")
    resumed.load_state_dict(checkpoint["optimizer"])
    second_half = train(resumed, fresh, "mylib", steps=10)
    np.testing.assert_array_equal(second_half[-1], straight[-1])


def test_round_trip_would_fail_without_the_state():
    """The round-trip test can fail: a fresh Adam without the saved state takes other steps."""
    straight, _, _ = run("Adam", dict(lr=0.05), "mylib", steps=20)
    _, optimizer, params = run("Adam", dict(lr=0.05), "mylib", steps=10)
    fresh_optimizer = optim.Adam(params, lr=0.05)
    assert np.abs(train(fresh_optimizer, params, "mylib", steps=10)[-1] - straight[-1]).max() > 1e-3


def test_state_dict_layout_is_torchs():
    _, mine, _ = run("SGD", dict(lr=0.1, momentum=0.9), "mylib", steps=2)
    _, theirs, _ = run("SGD", dict(lr=0.1, momentum=0.9), "torch", steps=2)
    ours, torchs = mine.state_dict(), theirs.state_dict()
    assert ours["state"].keys() == torchs["state"].keys() == {0, 1, 2, 3}
    assert ours["param_groups"][0]["params"] == torchs["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert set(ours["param_groups"][0]) <= set(torchs["param_groups"][0])
    for i in range(4):
        np.testing.assert_allclose(ours["state"][i]["momentum_buffer"],
                                   torchs["state"][i]["momentum_buffer"].numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, options", [c for c in CASES if c[0] != "LBFGS"],
                         ids=[i for i, c in zip(IDS, CASES) if c[0] != "LBFGS"])
def test_step_leaves_grad_untouched(name, options):
    params = new_params("mylib")
    optimizer = make(name, options, params, "mylib")
    for _ in range(3):
        optimizer.zero_grad()
        mylib_loss(params).backward()
        grads = [p.grad for p in params]
        before = [g.data.copy() for g in grads]
        optimizer.step()
        for p, g, b in zip(params, grads, before):
            assert p.grad is g
            np.testing.assert_array_equal(g.data, b)


GROUP_CASES = [  # (optimizer, constructor options, options of group 0, options of group 1)
    ("Adam", dict(lr=0.05), dict(lr=0.02, betas=(0.5, 0.9)), dict(weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9), dict(momentum=0.5, dampening=0.2), dict(lr=0.05, nesterov=True)),
    # torch fills Adagrad's sums in __init__ with the constructor's value; a group's own is ignored
    ("Adagrad", dict(lr=0.1), dict(), dict(initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5), dict(initial_accumulator_value=0.0, lr_decay=0.1),
     dict(initial_accumulator_value=2.0, eps=1e-3)),
    ("RMSprop", dict(lr=0.01), dict(centered=True), dict(momentum=0.9, alpha=0.9)),
    ("ASGD", dict(lr=0.05), dict(t0=3), dict(lambd=0.01, alpha=0.5)),
    ("Rprop", dict(lr=0.05), dict(etas=(0.3, 1.5)), dict(step_sizes=(1e-3, 0.05))),
]


@pytest.mark.parametrize("name, options, first, second", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_param_groups_with_their_own_options_match_torch(name, options, first, second):
    results = []
    for framework in ("mylib", "torch"):
        params = new_params(framework)
        groups = [{"params": params[:2], **first}, {"params": params[2:], **second}]
        optimizer = make(name, options, groups, framework)
        results.append(train(optimizer, params, framework, STEPS))
        assert [g["lr"] for g in optimizer.param_groups] == [first.get("lr", options["lr"]),
                                                              second.get("lr", options["lr"])]
    torch.testing.assert_close(*results, rtol=RTOL, atol=ATOL)


def test_adagrad_ignores_a_groups_initial_accumulator_value_like_torch():
    """The repro of the bug: one step with a group-level value moved b by ~8e-4 more than torch."""
    results, sums = [], []
    for framework in ("mylib", "torch"):
        w, b = new_params(framework)[:2]
        optimizer = make("Adagrad", dict(lr=0.1), [{"params": [w]}, {"params": [b], "initial_accumulator_value": 0.1}],
                         framework)
        sums.append(np.asarray(optimizer.state[b]["sum"]).copy())  # filled before any step
        ((w * w).sum() + (b * b).sum()).backward()
        optimizer.step()
        results.append(np.asarray(b.detach().numpy() if framework == "torch" else b.data))
    np.testing.assert_array_equal(sums[0], np.zeros(4))
    np.testing.assert_array_equal(*sums)
    torch.testing.assert_close(*results, rtol=RTOL, atol=ATOL)


def test_adagrad_added_group_uses_the_constructors_value_like_torch():
    results = []
    for framework in ("mylib", "torch"):
        params = new_params(framework)
        optimizer = make("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3), params[:2], framework)
        optimizer.add_param_group({"params": params[2:], "initial_accumulator_value": 5.0})
        results.append(train(optimizer, params, framework, 5))
    torch.testing.assert_close(*results, rtol=RTOL, atol=ATOL)


def test_add_param_group_and_frozen_parameters():
    """A parameter without a gradient is skipped; a group added later trains from then on."""
    results = []
    for framework in ("mylib", "torch"):
        params = new_params(framework)
        optimizer = make("SGD", dict(lr=0.1, momentum=0.9), params[:3], framework)
        train(optimizer, params, framework, 5)  # params[3] gets grads but no updates
        optimizer.add_param_group({"params": [params[3]], "lr": 0.5})
        results.append(train(optimizer, params, framework, 5))
    torch.testing.assert_close(*results, rtol=RTOL, atol=ATOL)


def test_zero_grad_and_closure_value():
    params = new_params("mylib")
    optimizer = optim.SGD(params, lr=0.1)
    mylib_loss(params).backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in params)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)
    optimizer.step()  # no gradients: nothing moves, nothing breaks
    np.testing.assert_array_equal(params[0].data, START[0])

    def closure():
        optimizer.zero_grad()
        loss = mylib_loss(params)
        loss.backward()
        return loss

    expected = mylib_loss(params).item()
    assert optimizer.step(closure).item() == expected
    assert optimizer.step() is None


# ---- bad input: the same error, with torch's words ----
def test_single_tensor_is_rejected():
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of "
                                        "Tensors or dicts, but got"):
        optim.SGD(Tensor(np.zeros(2), requires_grad=True), lr=0.1)


@pytest.mark.parametrize("params, error, message", [
    ([], ValueError, "optimizer got an empty parameter list"),
    ({Tensor(np.zeros(1))}, TypeError, "ordered collections"),  # torch lets this one through
    ([{"params": {Tensor(np.zeros(1))}}], TypeError, "ordered collections"),
    ([Tensor(np.zeros(1)), 3.0], TypeError, "optimizer can only optimize Tensors, but one of the params is float"),
])
def test_bad_params(params, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


def test_parameter_in_two_groups():
    p = Tensor(np.zeros(1), requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p], "lr": 1.0}], lr=0.1)


BAD_OPTIONS = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1.0)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adagrad", dict(lr=-1.0)), ("Adagrad", dict(lr_decay=-1.0)), ("Adagrad", dict(weight_decay=-1.0)),
    ("Adagrad", dict(initial_accumulator_value=-1.0)), ("Adagrad", dict(eps=-1.0)),
    ("RMSprop", dict(lr=-1.0)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-1.0)),
    ("RMSprop", dict(weight_decay=-1.0)), ("RMSprop", dict(alpha=-1.0)),
    ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1.0)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("Adamax", dict(lr=-1.0)), ("Adamax", dict(eps=-1.0)), ("Adamax", dict(betas=(-0.1, 0.9))),
    ("Adamax", dict(weight_decay=-1.0)),
    ("ASGD", dict(lr=-1.0)), ("ASGD", dict(weight_decay=-1.0)),
    ("Rprop", dict(lr=-1.0)), ("Rprop", dict(etas=(1.5, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("LBFGS", dict(lr=-1.0)),
]


@pytest.mark.parametrize("name, options", BAD_OPTIONS, ids=[f"{n}-{o}" for n, o in BAD_OPTIONS])
def test_invalid_options_raise_torchs_value_error(name, options):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=f"^{re.escape(str(theirs.value))}$"):
        getattr(optim, name)([Tensor(np.zeros(1), requires_grad=True)], **options)


def test_lbfgs_needs_one_group_a_known_line_search_and_a_closure():
    p, q = (Tensor(np.zeros(1), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(TypeError, match="needs a closure"):
        optim.LBFGS([p]).step(None)


@pytest.mark.parametrize("name, options", CASES, ids=IDS)
def test_torch_state_dict_loads_and_resumes_like_torch(name, options):
    """torch trains 10 steps; a mylib optimizer loads torch's state_dict (tensors inside) and does the next 10."""
    straight, _, _ = run(name, options, "torch", steps=20)
    _, their_opt, their_params = run(name, options, "torch", steps=10)
    params = new_params("mylib", [q.detach().numpy().copy() for q in their_params])
    optimizer = make(name, options, params, "mylib")
    saved = their_opt.state_dict()  # shares its tensors with their_opt
    before = {i: {k: v.clone() for k, v in st.items() if isinstance(v, torch.Tensor)} for i, st in saved["state"].items()}
    optimizer.load_state_dict(saved)
    for state in optimizer.state.values():  # no torch tensor survives the load
        assert not any(isinstance(v, torch.Tensor) for v in state.values())
    resumed = train(optimizer, params, "mylib", steps=10)
    torch.testing.assert_close(resumed[-1], straight[-1], rtol=RTOL, atol=ATOL)
    for i, tensors in before.items():  # our steps must not write into torch's tensors
        for key, value in tensors.items():
            assert torch.equal(their_opt.state[their_params[i]][key], value), key


def test_torch_state_dict_with_maximize_is_refused():
    q = torch.zeros(1, requires_grad=True)
    saved = torch.optim.SGD([q], lr=0.1, maximize=True).state_dict()
    with pytest.raises(ValueError, match="maximize=True"):
        optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1).load_state_dict(saved)


def test_load_state_dict_checks_the_layout():
    params = new_params("mylib")
    saved = optim.SGD(params[:2], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD(params, lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1).load_state_dict(saved)


# ---- learning-rate schedulers ----
SCHEDULES = [
    ("StepLR", dict(step_size=7)), ("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)), ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("CosineAnnealingLR", dict(T_max=1)),
]


def lr_sequence(framework, name, options, epochs=40):
    if framework == "torch":
        params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
        opt = torch.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
        scheduler = getattr(torch.optim.lr_scheduler, name)(opt, **options)
    else:
        params = [Tensor(np.zeros(1), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)]
        opt = optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
        scheduler = getattr(optim.lr_scheduler, name)(opt, **options)  # reachable as in torch
    rates = []
    for _ in range(epochs):
        rates.append(scheduler.get_last_lr())
        assert rates[-1] == [g["lr"] for g in opt.param_groups]
        opt.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize("name, options", SCHEDULES, ids=[f"{n}-{o}" for n, o in SCHEDULES])
def test_scheduler_rates_equal_torchs_exactly(name, options):
    assert lr_sequence("mylib", name, options) == lr_sequence("torch", name, options)


def test_scheduler_drives_training_like_torchs():
    results = []
    for framework, lib in (("mylib", optim), ("torch", torch.optim)):
        params = new_params(framework)
        optimizer = make("SGD", dict(lr=0.2, momentum=0.9), params, framework)
        scheduler = lib.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.01)
        rows = []
        for _ in range(STEPS):
            rows.append(train(optimizer, params, framework, 1)[0])
            scheduler.step()
        results.append(np.array(rows))
    torch.testing.assert_close(*results, rtol=RTOL, atol=ATOL)


def test_scheduler_rejects_non_optimizer_and_resumes():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)
    opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        scheduler.step()
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3
    other = lr_scheduler.ExponentialLR(optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1), gamma=0.5)
    other.load_state_dict(state)
    assert other.get_last_lr() == [0.1 * 0.5 ** 3]
