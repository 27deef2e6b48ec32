"""mylib.optim as lesson 12 grows it (Adagrad, RMSprop, Adam, AdamW, Adamax, ASGD, Rprop, LBFGS), against torch.

Every optimizer × every option: the parameter trajectory over 20 steps on a small tanh network
(tests/optim_problem.py) equals torch's (rtol 1e-7, atol 1e-9), and so does the optimizer state. torch runs
its single-tensor code path (`foreach=False`), the one mylib ports. Then parameter groups, torch's quirks
we copy, state_dict (ours and torch's), and torch's error messages.
"""
import re
import warnings

import numpy as np
import pytest
import torch

import mylib.optim as optim
from mylib import Tensor
from tests.compare import assert_same
from tests.optim_problem import (START, STEPS, assert_duplicate_steps_like_torch, assert_float32_steps_like_torch,
                                 assert_resumes_from_torch_state_dict,
                                 assert_round_trip_resumes_identically, assert_same_path, assert_same_state,
                                 assert_step_leaves_grad_untouched, call, gradient_sequence, ids, make,
                                 new_params, run, set_gradients, steps_on_given_gradients, train)

CASES = [  # the optimizers you write first: the first failing test is theirs
    ("Adagrad", {}), ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)), ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3)),
    ("Adagrad", dict(lr=0.2, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-6)),
    ("Adam", {}), ("Adam", dict(lr=0.05)), ("Adam", dict(betas=(0.8, 0.99))), ("Adam", dict(lr=0.05, eps=1e-4)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)), ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.6), weight_decay=0.2, amsgrad=True)),
    ("AdamW", {}), ("AdamW", dict(lr=0.05, weight_decay=0.1)), ("AdamW", dict(lr=0.05, weight_decay=0)),
    ("AdamW", dict(lr=0.05, amsgrad=True)), ("AdamW", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, amsgrad=True)),
    ("RMSprop", {}), ("RMSprop", dict(alpha=0.9)), ("RMSprop", dict(eps=1e-3)), ("RMSprop", dict(weight_decay=0.1)),
    ("RMSprop", dict(momentum=0.9)), ("RMSprop", dict(centered=True)), ("RMSprop", dict(centered=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.003, alpha=0.8, eps=1e-6, weight_decay=0.1, momentum=0.9, centered=True)),
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
FIRST_ORDER = [c for c in CASES if c[0] != "LBFGS"]
GIVEN_GRADIENT_CASES = [("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1)),
                        ("Adam", dict(lr=0.05)), ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
                        ("AdamW", dict(lr=0.05, weight_decay=0.1))]


# ---- the pieces on gradients given by hand (no autograd needed) ----
@pytest.mark.parametrize("name, options", GIVEN_GRADIENT_CASES, ids=ids(GIVEN_GRADIENT_CASES))
def test_steps_on_given_gradients_match_torch(name, options):
    """Adagrad._update and Adam._update, on gradients given by hand, keep their state and move the parameters like torch's."""
    gradients = gradient_sequence()
    after_one_step = []
    for framework in ("mylib", "torch"):
        params = new_params(framework, START[:2])
        optimizer = make(name, options, params, framework)
        set_gradients(params, gradients[0], framework)
        optimizer.step()
        after_one_step += [optimizer, params]
    assert_same_state(*after_one_step, f"{call(name, options)} after one step on given gradients (the state's "
                      "arrays must be updated in place: `m *= ...; m += ...`, not `m = ...`)")
    mine = steps_on_given_gradients(name, options, "mylib", gradients)
    theirs = steps_on_given_gradients(name, options, "torch", gradients)
    assert_same_path(mine, theirs, f"{call(name, options)} on given gradients",
                     start=np.concatenate([v.ravel() for v in START[:2]]))


# ---- whole trajectories with autograd, and the state ----
@pytest.mark.parametrize("name, options", CASES, ids=ids(CASES))
def test_trajectory_and_state_match_torch(name, options):
    """20 steps on a small tanh network: the parameters and every number of the state equal torch's."""
    mine, my_opt, my_params = run(name, options, "mylib")
    theirs, their_opt, their_params = run(name, options, "torch")
    assert_same_path(mine, theirs, f"{call(name, options)} on a small tanh network")
    assert_same_state(my_opt, my_params, their_opt, their_params, call(name, options))


@pytest.mark.parametrize("name, options", FIRST_ORDER, ids=ids(FIRST_ORDER))
def test_step_leaves_grad_untouched(name, options):
    """step() only reads .grad: the gradient arrays are the same objects, with the same values, afterwards."""
    assert_step_leaves_grad_untouched(name, options)


GROUP_CASES = [  # (optimizer, constructor options, options of group 0, options of group 1)
    ("Adam", dict(lr=0.05), dict(lr=0.02, betas=(0.5, 0.9)), dict(weight_decay=0.1)),
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
    """Two parameter groups with their own options train like torch's."""
    results = []
    for framework in ("mylib", "torch"):
        params = new_params(framework)
        groups = [{"params": params[:2], **first}, {"params": params[2:], **second}]
        optimizer = make(name, options, groups, framework)
        results.append(train(optimizer, params, framework, STEPS))
        assert [g["lr"] for g in optimizer.param_groups] == [first.get("lr", options["lr"]),
                                                              second.get("lr", options["lr"])]
    assert_same_path(*results, f"{call(name, options)} with groups {first} and {second}")


def test_adagrad_ignores_a_groups_initial_accumulator_value_like_torch():
    """Adagrad fills its sums at construction with the constructor's value, as torch does (a group's is ignored)."""
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
    assert_same(results[0], torch.from_numpy(results[1]), "b after one Adagrad step with a group-level value")


def test_adagrad_added_group_uses_the_constructors_value_like_torch():
    """A group added to Adagrad later starts its sums at the constructor's value, as in torch."""
    results = []
    for framework in ("mylib", "torch"):
        params = new_params(framework)
        optimizer = make("Adagrad", dict(lr=0.1, initial_accumulator_value=0.3), params[:2], framework)
        optimizer.add_param_group({"params": params[2:], "initial_accumulator_value": 5.0})
        results.append(train(optimizer, params, framework, 5))
    assert_same_path(*results, "Adagrad with a group added later")


# ---- state_dict: save, resume, and torch's ----
@pytest.mark.parametrize("name, options", CASES, ids=ids(CASES))
def test_state_dict_round_trip_resumes_identically(name, options):
    """10 steps, state_dict, a new optimizer loads it, 10 more steps: bit for bit the same as 20 steps."""
    assert_round_trip_resumes_identically(name, options)


def test_round_trip_would_fail_without_the_state():
    """The round-trip test can fail: a fresh Adam without the saved state takes other steps."""
    straight, _, _ = run("Adam", dict(lr=0.05), "mylib", steps=20)
    _, optimizer, params = run("Adam", dict(lr=0.05), "mylib", steps=10)
    fresh_optimizer = optim.Adam(params, lr=0.05)
    assert np.abs(train(fresh_optimizer, params, "mylib", steps=10)[-1] - straight[-1]).max() > 1e-3


@pytest.mark.parametrize("name, options", CASES, ids=ids(CASES))
def test_torch_state_dict_loads_and_resumes_like_torch(name, options):
    """torch trains 10 steps; a mylib optimizer loads torch's state_dict (tensors inside) and does the next 10."""
    assert_resumes_from_torch_state_dict(name, options)


# ---- bad input: the same error, with torch's words ----
BAD_OPTIONS = [
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
    """An invalid hyper-parameter raises torch's ValueError with torch's message."""
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=f"^{re.escape(str(theirs.value))}$"):
        getattr(optim, name)([Tensor(np.zeros(1), requires_grad=True)], **options)


def test_lbfgs_needs_one_group_a_known_line_search_and_a_closure():
    """LBFGS refuses parameter groups, an unknown line search, and a step without a closure."""
    p, q = (Tensor(np.zeros(1), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(TypeError, match="needs a closure"):
        optim.LBFGS([p]).step(None)


# ---- what a torch user may type by mistake (issue 10) ----
ADAPTIVE = ["Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "ASGD", "Rprop", "LBFGS"]


@pytest.mark.parametrize("name", ADAPTIVE)
def test_non_leaf_tensors_and_bad_learning_rates_are_refused_like_torch(name):
    """Every optimizer refuses a non-leaf tensor, lr='0.1', lr=-0.1 and lr=nan with torch's exception type and words."""
    for options, params, error, words in ((dict(), "non-leaf", ValueError, "can't optimize a non-leaf Tensor"),
                                          (dict(lr="0.1"), "leaf", TypeError, "lr should be a float"),
                                          (dict(lr=-0.1), "leaf", ValueError, "Invalid learning rate: -0.1"),
                                          (dict(lr=float("nan")), "leaf", ValueError, "Invalid learning rate: nan")):
        q = torch.ones(2, requires_grad=True)
        with pytest.raises(error):
            getattr(torch.optim, name)([q * 2 if params == "non-leaf" else q], **options)
        p = Tensor(np.ones(2), requires_grad=True)
        with pytest.raises(error, match=re.escape(words)):
            getattr(optim, name)([p * 2 if params == "non-leaf" else p], **options)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax"])
def test_betas_must_be_a_pair(name):
    """betas=(0.9,) raises an IndexError as in torch, saying betas should be a pair."""
    with pytest.raises(IndexError):
        getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], betas=(0.9,))
    with pytest.raises(IndexError, match="betas should be a pair"):
        getattr(optim, name)([Tensor(np.ones(2), requires_grad=True)], betas=(0.9,))


DUPLICATES = [("Adagrad", {}), ("RMSprop", dict(centered=True, momentum=0.5)), ("Adam", dict(lr=0.1, amsgrad=True)),
              ("Adamax", {}), ("ASGD", {}), ("Rprop", {})]


@pytest.mark.parametrize("name, options", DUPLICATES, ids=ids(DUPLICATES))
def test_a_parameter_listed_twice_warns_and_steps_like_torch(name, options):
    """Optimizer([p, p]) warns about duplicate parameters and moves p exactly as torch does."""
    assert_duplicate_steps_like_torch(name, options)


FLOAT32 = [("Adam", {}), ("Adam", dict(amsgrad=True, weight_decay=0.1)), ("AdamW", {}), ("Adagrad", {}),
           ("Adagrad", dict(lr_decay=0.1, weight_decay=0.1)), ("RMSprop", {}), ("RMSprop", dict(centered=True, momentum=0.9)),
           ("RMSprop", dict(centered=True)), ("RMSprop", dict(momentum=0.9, weight_decay=0.1)), ("Adamax", {}),
           ("Adamax", dict(weight_decay=0.1)), ("ASGD", {}), ("ASGD", dict(t0=1, weight_decay=0.1)), ("Rprop", {})]


@pytest.mark.parametrize("gradient", ["1e30", "3e38 and 1e-30", "inf", "nan"])
@pytest.mark.parametrize("name, options", FLOAT32, ids=ids(FLOAT32))
def test_float32_overflow_and_inf_give_torchs_values_without_warnings(name, options, gradient):
    """In float32, gradients of 1e30, inf or nan give torch's parameters (inf/nan where torch's are), with no numpy warning."""
    assert_float32_steps_like_torch(name, options, gradient)


@pytest.mark.parametrize("scale", [1e30, np.inf])
def test_lbfgs_with_a_huge_gradient_is_silent_and_gives_torchs_values(scale):
    """LBFGS in float32 with a gradient of 1e30 or inf gives torch's parameters (nan where torch's are) and no numpy warning."""
    start, c = np.array([1.0, -2.0, 0.5], np.float32), np.array([scale, 1.0, -1.0], np.float32)
    q = torch.tensor(start, requires_grad=True)
    theirs = torch.optim.LBFGS([q], max_iter=3)

    def torch_closure():
        theirs.zero_grad()
        loss = (q * torch.tensor(c)).sum() + (q ** 2).sum()
        loss.backward()
        return loss

    p = Tensor(start.copy(), requires_grad=True)
    mine = optim.LBFGS([p], max_iter=3)

    def closure():
        mine.zero_grad()
        loss = (p * Tensor(c)).sum() + (p ** 2).sum()
        loss.backward()
        return loss

    for _ in range(2):
        theirs.step(torch_closure)
        with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
            warnings.simplefilter("error")
            mine.step(closure)
    assert_same(p, q.detach(), f"LBFGS(max_iter=3) in float32, gradient {scale}", rtol=1e-5, atol=0, equal_nan=True)
