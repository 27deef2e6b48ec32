"""mylib.optim as built in lesson 11 (the Optimizer base class, SGD) and mylib.lr_scheduler, against torch.

Every SGD option: the parameter trajectory over 20 steps on a small tanh network (tests/optim_problem.py)
equals torch's (rtol 1e-7, atol 1e-9), and so does the optimizer state. torch runs its single-tensor code
path (`foreach=False`), the one mylib ports. Then parameter groups, zero_grad, state_dict (ours and
torch's), torch's error messages, and the schedulers' learning rates.
"""
import re
import warnings

import numpy as np
import pytest
import torch

import mylib.optim as optim
from mylib import Tensor, lr_scheduler
from tests.compare import assert_same
from tests.optim_problem import (START, START_FLAT, STEPS, assert_duplicate_steps_like_torch, assert_float32_steps_like_torch,
                                 assert_resumes_from_torch_state_dict,
                                 assert_round_trip_resumes_identically, assert_same_path, assert_same_state,
                                 assert_step_leaves_grad_untouched, call, gradient_sequence, ids, make,
                                 mylib_loss, new_params, run, steps_on_given_gradients, train)

SGD_CASES = [
    ("SGD", {}), ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)), ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.2)), ("SGD", dict(lr=0.0, momentum=0.9)),
]


# ---- the pieces one by one, on gradients given by hand (no autograd needed) ----
def test_step_moves_the_parameters_like_torchs_sgd():
    """Optimizer.step with SGD(lr=0.1) on gradients given by hand moves the parameters like torch's."""
    gradients = gradient_sequence()
    mine = steps_on_given_gradients("SGD", dict(lr=0.1), "mylib", gradients)
    theirs = steps_on_given_gradients("SGD", dict(lr=0.1), "torch", gradients)
    assert_same_path(mine, theirs, "SGD(lr=0.1) on given gradients", start=np.concatenate([v.ravel() for v in START[:2]]))


def test_zero_grad_sets_none_or_zeros_and_step_skips_parameters_without_grad():
    """zero_grad() sets .grad to None, zero_grad(set_to_none=False) to zeros; step skips a parameter without .grad."""
    p, q = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    optimizer = optim.SGD([p, q], lr=0.5)
    p.grad = Tensor(np.array([1.0, -2.0]))
    optimizer.step()
    assert_same(p.data, torch.tensor([0.5, 2.0], dtype=torch.float64), "p after one step of lr 0.5 with p.grad = [1, -2]")
    assert_same(q.data, torch.ones(2, dtype=torch.float64), "q (no gradient) after one step: it must not move")
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is not None, "zero_grad(set_to_none=False) must keep .grad and fill it with zeros, got None"
    assert_same(p.grad.data, torch.zeros(2, dtype=torch.float64), "p.grad after zero_grad(set_to_none=False)")
    optimizer.zero_grad()
    assert p.grad is None and q.grad is None, f"zero_grad() must set every .grad to None, got {p.grad}, {q.grad}"
    optimizer.step()  # no gradients: nothing moves, nothing breaks
    assert_same(p.data, torch.tensor([0.5, 2.0], dtype=torch.float64), "p after a step without gradients")


@pytest.mark.parametrize("options", [dict(lr=0.1, weight_decay=0.1), dict(lr=0.1, momentum=0.9),
                                     dict(lr=0.1, momentum=0.9, dampening=0.5),
                                     dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1)],
                         ids=lambda o: call("SGD", o))
def test_sgd_options_on_given_gradients_match_torch(options):
    """SGD._update with weight decay, momentum, dampening and Nesterov, on gradients given by hand, as torch's."""
    gradients = gradient_sequence()
    mine = steps_on_given_gradients("SGD", options, "mylib", gradients)
    theirs = steps_on_given_gradients("SGD", options, "torch", gradients)
    assert_same_path(mine, theirs, f"{call('SGD', options)} on given gradients",
                     start=np.concatenate([v.ravel() for v in START[:2]]))


# ---- whole trajectories with autograd, and the state ----
@pytest.mark.parametrize("name, options", SGD_CASES, ids=ids(SGD_CASES))
def test_trajectory_and_state_match_torch(name, options):
    """20 steps of SGD on a small tanh network: the parameters and the momentum buffers equal torch's."""
    mine, my_opt, my_params = run(name, options, "mylib")
    theirs, their_opt, their_params = run(name, options, "torch")
    if options.get("lr") == 0.0:
        np.testing.assert_array_equal(mine[-1], START_FLAT)
    else:
        assert_same_path(mine, theirs, f"{call(name, options)} on a small tanh network")
    assert_same_state(my_opt, my_params, their_opt, their_params, call(name, options))


@pytest.mark.parametrize("name, options", SGD_CASES, ids=ids(SGD_CASES))
def test_step_leaves_grad_untouched(name, options):
    """step() only reads .grad: the gradient arrays are the same objects, with the same values, afterwards."""
    assert_step_leaves_grad_untouched(name, options, hint=" and start the buffer with grad.copy()")


def test_param_groups_with_their_own_options_match_torch():
    """Two parameter groups with their own lr, momentum, dampening and nesterov train like torch's."""
    results = []
    for framework in ("mylib", "torch"):
        params = new_params(framework)
        groups = [{"params": params[:2], "momentum": 0.5, "dampening": 0.2},
                  {"params": params[2:], "lr": 0.05, "nesterov": True}]
        optimizer = make("SGD", dict(lr=0.1, momentum=0.9), groups, framework)
        results.append(train(optimizer, params, framework, STEPS))
        assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.05]
    assert_same_path(*results, "SGD with two parameter groups")


def test_add_param_group_and_frozen_parameters():
    """A parameter without a gradient is skipped; a group added later trains from then on."""
    results = []
    for framework in ("mylib", "torch"):
        params = new_params(framework)
        optimizer = make("SGD", dict(lr=0.1, momentum=0.9), params[:3], framework)
        train(optimizer, params, framework, 5)  # params[3] gets grads but no updates
        optimizer.add_param_group({"params": [params[3]], "lr": 0.5})
        results.append(train(optimizer, params, framework, 5))
    assert_same_path(*results, "SGD with a group added after 5 steps")


def test_step_returns_the_closures_loss():
    """step(closure) returns what the closure returns; step() returns None."""
    params = new_params("mylib")
    optimizer = optim.SGD(params, lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = mylib_loss(params)
        loss.backward()
        return loss

    expected = mylib_loss(params).item()
    assert optimizer.step(closure).item() == expected
    assert optimizer.step() is None


# ---- state_dict: save, resume, and torch's ----
@pytest.mark.parametrize("name, options", SGD_CASES, ids=ids(SGD_CASES))
def test_state_dict_round_trip_resumes_identically(name, options):
    """10 steps, state_dict, a new optimizer loads it, 10 more steps: bit for bit the same as 20 steps."""
    assert_round_trip_resumes_identically(name, options)


def test_round_trip_would_fail_without_the_state():
    """The round-trip test can fail: a fresh SGD(momentum) without the saved buffers takes other steps."""
    straight, _, _ = run("SGD", dict(lr=0.1, momentum=0.9), "mylib", steps=20)
    _, optimizer, params = run("SGD", dict(lr=0.1, momentum=0.9), "mylib", steps=10)
    fresh_optimizer = optim.SGD(params, lr=0.1, momentum=0.9)
    assert np.abs(train(fresh_optimizer, params, "mylib", steps=10)[-1] - straight[-1]).max() > 1e-3


def test_state_dict_layout_is_torchs():
    """state_dict() has torch's layout: parameters by index, the momentum buffers under the same keys."""
    _, mine, _ = run("SGD", dict(lr=0.1, momentum=0.9), "mylib", steps=2)
    _, theirs, _ = run("SGD", dict(lr=0.1, momentum=0.9), "torch", steps=2)
    ours, torchs = mine.state_dict(), theirs.state_dict()
    assert ours["state"].keys() == torchs["state"].keys() == {0, 1, 2, 3}
    assert ours["param_groups"][0]["params"] == torchs["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert set(ours["param_groups"][0]) <= set(torchs["param_groups"][0])
    for i in range(4):
        assert_same(ours["state"][i]["momentum_buffer"], torchs["state"][i]["momentum_buffer"],
                    f"state_dict()['state'][{i}]['momentum_buffer']")


@pytest.mark.parametrize("name, options", SGD_CASES, ids=ids(SGD_CASES))
def test_torch_state_dict_loads_and_resumes_like_torch(name, options):
    """torch trains 10 steps; a mylib optimizer loads torch's state_dict (tensors inside) and does the next 10."""
    assert_resumes_from_torch_state_dict(name, options)


def test_torch_state_dict_with_maximize_is_refused():
    """A torch state_dict with maximize=True is refused (mylib's optimizers only minimize)."""
    q = torch.zeros(1, requires_grad=True)
    saved = torch.optim.SGD([q], lr=0.1, maximize=True).state_dict()
    with pytest.raises(ValueError, match="maximize=True"):
        optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1).load_state_dict(saved)


def test_load_state_dict_checks_the_layout():
    """load_state_dict refuses a snapshot whose groups do not fit the optimizer's."""
    params = new_params("mylib")
    saved = optim.SGD(params[:2], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD(params, lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1).load_state_dict(saved)


# ---- bad input: the same error, with torch's words ----
def test_single_tensor_is_rejected():
    """One tensor instead of a list of tensors: torch's TypeError."""
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of "
                                        "Tensors or dicts, but got"):
        optim.SGD(Tensor(np.zeros(2), requires_grad=True), lr=0.1)


@pytest.mark.parametrize("kind", ["empty", "set", "set in a group", "not a tensor"])
def test_bad_params(kind):
    """Empty, unordered or non-tensor parameters are refused with torch's words."""
    params, error, message = {
        "empty": ([], ValueError, "optimizer got an empty parameter list"),
        "set": ({Tensor(np.zeros(1))}, TypeError, "ordered collections"),  # torch lets this one through
        "set in a group": ([{"params": {Tensor(np.zeros(1))}}], TypeError, "ordered collections"),
        "not a tensor": ([Tensor(np.zeros(1)), 3.0], TypeError,
                         "optimizer can only optimize Tensors, but one of the params is float"),
    }[kind]
    with pytest.raises(error, match=message):
        optim.SGD(params, lr=0.1)


def test_parameter_in_two_groups():
    """A parameter in two groups is refused."""
    p = Tensor(np.zeros(1), requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p], "lr": 1.0}], lr=0.1)


BAD_OPTIONS = [("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1.0)),
               ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True))]


@pytest.mark.parametrize("name, options", BAD_OPTIONS, ids=[f"{n}-{o}" for n, o in BAD_OPTIONS])
def test_invalid_options_raise_torchs_value_error(name, options):
    """An invalid hyper-parameter raises torch's ValueError with torch's message."""
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=f"^{re.escape(str(theirs.value))}$"):
        getattr(optim, name)([Tensor(np.zeros(1), requires_grad=True)], **options)


# ---- learning-rate schedulers ----
SCHEDULES = [
    ("StepLR", dict(step_size=7)), ("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)), ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("CosineAnnealingLR", dict(T_max=1)),
]


def lr_sequence(framework, name, options, epochs=40):
    """The rates of two groups (lr 0.1 and 0.3) over `epochs` epochs; get_last_lr() must be the groups' lr."""
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
    return np.array(rates)


@pytest.mark.parametrize("name, options", SCHEDULES, ids=[call(n, o) for n, o in SCHEDULES])
def test_scheduler_rates_equal_torchs(name, options):
    """The learning rates of two groups over 40 epochs equal torch's (to rounding)."""
    mine, theirs = lr_sequence("mylib", name, options), lr_sequence("torch", name, options)
    for epoch, (row, their_row) in enumerate(zip(mine, theirs)):
        assert_same(row, torch.from_numpy(their_row), f"{call(name, options)}.get_last_lr() at epoch {epoch} "
                    "(two groups, lr 0.1 and 0.3)", rtol=1e-12, atol=0.0)


def test_steplr_continues_from_the_current_lr_so_schedules_compose():
    """StepLR multiplies each group's current lr (torch's recursive rule), so it composes with ExponentialLR."""
    rates = []
    for framework, lib in (("mylib", optim), ("torch", torch.optim)):
        params = new_params(framework)
        opt = lib.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
        schedulers = [lib.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), lib.lr_scheduler.ExponentialLR(opt, gamma=0.9)]
        rows = []
        for _ in range(12):
            rows.append([g["lr"] for g in opt.param_groups])
            opt.step()
            for scheduler in schedulers:
                scheduler.step()
        rates.append(np.array(rows))
    for epoch, (row, their_row) in enumerate(zip(*rates)):
        assert_same(row, torch.from_numpy(their_row), f"StepLR(step_size=3, gamma=0.5) and ExponentialLR(gamma=0.9) "
                    f"on one optimizer, lr at epoch {epoch} (StepLR must multiply the group's current lr, not "
                    "recompute it from base_lrs)", rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("name, options", SCHEDULES[2:], ids=[call(n, o) for n, o in SCHEDULES[2:]])
def test_given_schedulers_equal_torchs_exactly(name, options):
    """ExponentialLR and CosineAnnealingLR follow torch's recursion: their rates equal torch's bit for bit."""
    np.testing.assert_array_equal(lr_sequence("mylib", name, options), lr_sequence("torch", name, options))


def test_scheduler_drives_training_like_torchs():
    """SGD(momentum) with CosineAnnealingLR trains like torch's, epoch by epoch."""
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
    assert_same_path(*results, "SGD(lr=0.2, momentum=0.9) with CosineAnnealingLR(T_max=8, eta_min=0.01)")


def test_scheduler_rejects_non_optimizer_and_resumes():
    """A scheduler refuses a non-optimizer, needs initial_lr to resume, and round-trips its state_dict."""
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)
    opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        opt.step()  # no gradient, nothing moves; a scheduler steps after its optimizer
        scheduler.step()
    state = scheduler.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3
    other = lr_scheduler.ExponentialLR(optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1), gamma=0.5)
    other.load_state_dict(state)
    assert other.get_last_lr() == [0.1 * 0.5 ** 3]


# ---- what a torch user may type by mistake (issue 10) ----
def _mine(values=(1.0, -2.0), dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def _theirs(values=(1.0, -2.0), dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def test_non_leaf_tensor_is_refused_but_a_retained_one_is_not():
    """SGD([w * 2]) raises torch's "can't optimize a non-leaf Tensor"; after retain_grad() it is accepted."""
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        torch.optim.SGD([_theirs() * 2], lr=0.1)
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        optim.SGD([_mine() * 2], lr=0.1)
    retained = _mine() * 2
    retained.retain_grad()
    assert optim.SGD([retained], lr=0.1).param_groups[0]["params"] == [retained]


BAD_CALLS = {  # case: (mylib call, torch call, words mylib's message must contain)
    "lr='0.1'": (lambda: optim.SGD([_mine()], lr="0.1"), lambda: torch.optim.SGD([_theirs()], lr="0.1"), "lr should be a float"),
    "lr=None": (lambda: optim.SGD([_mine()], lr=None), lambda: torch.optim.SGD([_theirs()], lr=None), "got NoneType"),
    "lr=-0.1": (lambda: optim.SGD([_mine()], lr=-0.1), lambda: torch.optim.SGD([_theirs()], lr=-0.1), "Invalid learning rate: -0.1"),
    "lr=2-element tensor": (lambda: optim.SGD([_mine()], lr=Tensor(np.array([0.1, 0.2]))),
                            lambda: torch.optim.SGD([_theirs()], lr=torch.tensor([0.1, 0.2])), "Tensor lr must be 1-element"),
    "params=3": (lambda: optim.SGD(3, lr=0.1), lambda: torch.optim.SGD(3, lr=0.1), "should be an iterable of Tensors or dicts, but got int"),
    "params=None": (lambda: optim.SGD(None, lr=0.1), lambda: torch.optim.SGD(None, lr=0.1), "but got NoneType"),
    "params=[]": (lambda: optim.SGD([], lr=0.1), lambda: torch.optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
    "StepLR(step_size=0).step()": (lambda: lr_scheduler.StepLR(optim.SGD([_mine()], lr=0.1), step_size=0).step(),
                                   lambda: torch.optim.lr_scheduler.StepLR(torch.optim.SGD([_theirs()], lr=0.1), step_size=0).step(),
                                   "step_size=0"),
    "CosineAnnealingLR(T_max=0).step()": (
        lambda: lr_scheduler.CosineAnnealingLR(optim.SGD([_mine()], lr=0.1), T_max=0).step(),
        lambda: torch.optim.lr_scheduler.CosineAnnealingLR(torch.optim.SGD([_theirs()], lr=0.1), T_max=0).step(), "T_max=0"),
}


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")  # torch's, not ours
@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_arguments_raise_torchs_exception_type_with_a_clear_message(case):
    """A bad lr, params or scheduler period raises the exception type torch raises, with a message naming the problem."""
    mine, theirs, words = BAD_CALLS[case]
    with pytest.raises(Exception) as their_error:
        theirs()
    with pytest.raises(type(their_error.value), match=re.escape(words)):
        mine()


def test_lr_as_a_tensor_and_nan_lr_behave_like_torch():
    """lr given as a 0-d tensor steps like torch; SGD accepts lr=nan like torch (and gets nan), Adam refuses it."""
    p, q = _mine(), _theirs()
    mine, theirs = optim.SGD([p], lr=Tensor(np.array(0.1)), momentum=0.9), torch.optim.SGD([q], lr=torch.tensor(0.1), momentum=0.9)
    for g in ([1.0, -2.0], [0.5, 3.0]):
        p.grad, q.grad = Tensor(np.array(g)), torch.tensor(g, dtype=torch.float64)
        mine.step()
        theirs.step()
    assert_same(p, q, "SGD(lr=tensor(0.1), momentum=0.9) after 2 steps")
    p, q = _mine(), _theirs()
    mine, theirs = optim.SGD([p], lr=float("nan")), torch.optim.SGD([q], lr=float("nan"))
    p.grad, q.grad = Tensor(np.ones(2)), torch.ones(2, dtype=torch.float64)
    mine.step()
    theirs.step()
    assert_same(p, q, "SGD(lr=nan) after 1 step", rtol=0, atol=0, equal_nan=True)


DUPLICATE_CASES = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
                   ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
                   ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3))]


@pytest.mark.parametrize("name, options", DUPLICATE_CASES, ids=ids(DUPLICATE_CASES))
def test_a_parameter_listed_twice_warns_and_steps_like_torch(name, options):
    """SGD([p, p]) warns about duplicate parameters and moves p exactly as torch does (once per listing)."""
    assert_duplicate_steps_like_torch(name, options)


SGD_FLOAT32 = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
               ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True))]


@pytest.mark.parametrize("gradient", ["1e30", "3e38 and 1e-30", "inf", "nan"])
@pytest.mark.parametrize("name, options", SGD_FLOAT32, ids=ids(SGD_FLOAT32))
def test_float32_overflow_and_inf_give_torchs_values_without_warnings(name, options, gradient):
    """In float32, gradients of 1e30, inf or nan give torch's parameters (inf/nan where torch's are), with no numpy warning."""
    assert_float32_steps_like_torch(name, options, gradient)


def _forward_step_backward(library):
    """One gradient, then a forward pass, optimizer.step() too early, and backward: what happens."""
    w = Tensor(np.ones(2), requires_grad=True) if library == "mylib" else torch.ones(2, dtype=torch.float64,
                                                                                      requires_grad=True)
    optimizer = (optim.SGD if library == "mylib" else torch.optim.SGD)([w], lr=0.1)
    (w * w).sum().backward()
    loss = (w * w).sum()
    optimizer.step()
    loss.backward()


def test_step_between_forward_and_backward_is_refused_like_torch():
    """optimizer.step() between a forward pass and its backward() is refused (the weights it saved changed), as in torch."""
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _forward_step_backward("torch")
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _forward_step_backward("mylib")


def test_the_usual_loop_after_a_step_is_not_refused():
    """zero_grad, forward, backward, step, three times: no refusal, w moves as torch's, and each step counts once."""
    w, v = _mine(), _theirs()
    mine, theirs = optim.SGD([w], lr=0.1, momentum=0.9), torch.optim.SGD([v], lr=0.1, momentum=0.9)
    for step in range(1, 4):
        for p, optimizer in ((w, mine), (v, theirs)):
            optimizer.zero_grad()
            (p * p).sum().backward()
            optimizer.step()
        assert_same(w, v, f"w after {step} SGD(lr=0.1, momentum=0.9) steps on sum(w²)")
    assert w._version == v._version == 3, f"each step changes w in place once: expected version 3, got {w._version}"


@pytest.mark.parametrize("library", ["mylib", "torch"])
def test_a_scheduler_stepped_before_the_optimizer_warns_like_torch(library, recwarn):
    """scheduler.step() before any optimizer.step() warns (torch's UserWarning); in the right order, no warning."""
    import warnings
    w = Tensor(np.ones(1), requires_grad=True) if library == "mylib" else torch.ones(1, requires_grad=True)
    make_sgd = optim.SGD if library == "mylib" else torch.optim.SGD
    make_step_lr = lr_scheduler.StepLR if library == "mylib" else torch.optim.lr_scheduler.StepLR
    scheduler = make_step_lr(make_sgd([w], lr=0.1), step_size=1)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
        scheduler.step()
    optimizer = make_sgd([w], lr=0.1)
    scheduler = make_step_lr(optimizer, step_size=1)
    w.grad = Tensor(np.ones(1)) if library == "mylib" else torch.ones(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()


@pytest.mark.parametrize("name, options", [("StepLR", dict(step_size=2, gamma=0.5)), ("ExponentialLR", dict(gamma=0.5)),
                                           ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01))])
def test_get_lr_outside_step_warns_and_returns_torchs_value(name, options):
    """scheduler.get_lr() called by hand warns as torch's does (use get_last_lr()) and returns torch's value."""
    got = {}
    for library, make, opt_class, module in (("mylib", _mine, optim.SGD, lr_scheduler),
                                              ("torch", _theirs, torch.optim.SGD, torch.optim.lr_scheduler)):
        optimizer = opt_class([make()], lr=1.0)
        scheduler = getattr(module, name)(optimizer, **options)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # step() itself calls get_lr without a warning
            for _ in range(3):
                optimizer.step()
                scheduler.step()
        with pytest.warns(UserWarning, match=r"^To get the last learning rate computed by the scheduler, "
                                             r"please use `get_last_lr\(\)`\.$"):
            got[library] = scheduler.get_lr()
        got[library + " last"] = scheduler.get_last_lr()
    assert got["mylib"] == pytest.approx(got["torch"], rel=1e-15, abs=0), f"{name}.get_lr() after 3 steps"
    assert got["mylib last"] == pytest.approx(got["torch last"], rel=1e-15, abs=0), f"{name}.get_last_lr()"


def test_a_copied_optimizer_steps_its_own_parameters_like_torch():
    """copy.deepcopy(optimizer) steps the copied parameters, not the original's, as in torch."""
    import copy
    results = []
    for w, make_sgd in ((_mine(), optim.SGD), (_theirs(), torch.optim.SGD)):
        optimizer = make_sgd([w], lr=0.1, momentum=0.9)
        (w * w).sum().backward()
        optimizer.step()
        twin = copy.deepcopy(optimizer)
        twin.step()
        results.append((w, twin.param_groups[0]["params"][0]))
    (mine, my_copy), (theirs, their_copy) = results
    assert_same(mine, theirs.detach(), "the original parameter after its copy's step (it must not move)")
    assert_same(my_copy, their_copy.detach(), "the copied parameter after two steps")
