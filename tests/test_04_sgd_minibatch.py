"""mylib.data (synthetic_data, data_iter) and mylib.manual.sgd from lesson 04, against closed-form answers
and torch.optim.SGD."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mylib.data import data_iter, synthetic_data
from mylib.manual import sgd

TRUE_W, TRUE_B = np.array([2.0, -3.4]), 4.2


# ---- synthetic_data ----------------------------------------------------------------------------

def test_shapes_and_dtype():
    features, labels = synthetic_data([1.0, 2.0, 3.0], 0.5, 17)
    assert features.shape == (17, 3) and labels.shape == (17,)
    assert features.dtype == labels.dtype == np.float64


def test_noise_free_labels_are_exactly_linear():
    features, labels = synthetic_data(TRUE_W, TRUE_B, 50, noise=0.0, rng=3)
    np.testing.assert_allclose(labels, features @ TRUE_W + TRUE_B, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("noise", [0.01, 0.5])
def test_least_squares_recovers_w_and_b_within_the_noise(noise):
    n = 4000
    features, labels = synthetic_data(TRUE_W, TRUE_B, n, noise=noise, rng=1)
    design = np.column_stack([features, np.ones(n)])
    fit, *_ = np.linalg.lstsq(design, labels, rcond=None)
    # The estimate's standard error is about noise / sqrt(n) per coefficient; allow 5 of them.
    np.testing.assert_allclose(fit, [*TRUE_W, TRUE_B], rtol=0, atol=5 * noise / np.sqrt(n))
    # The residuals of the TRUE model are the noise itself: mean 0, standard deviation `noise`.
    residual = labels - features @ TRUE_W - TRUE_B
    assert abs(residual.mean()) < 5 * noise / np.sqrt(n)
    assert residual.std() == pytest.approx(noise, rel=0.05)
    # Features are standard normal.
    np.testing.assert_allclose(features.mean(axis=0), 0, atol=5 / np.sqrt(n))
    np.testing.assert_allclose(features.std(axis=0), 1, rtol=0.05)


def test_reproducible_with_the_same_seed():
    a = synthetic_data(TRUE_W, TRUE_B, 30, rng=7)
    b = synthetic_data(TRUE_W, TRUE_B, 30, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    other = synthetic_data(TRUE_W, TRUE_B, 30, rng=8)
    assert not np.array_equal(a[0], other[0])


def test_default_rng_is_seed_zero():
    default = synthetic_data(TRUE_W, TRUE_B, 30)
    seeded = synthetic_data(TRUE_W, TRUE_B, 30, rng=0)
    np.testing.assert_array_equal(default[0], seeded[0])
    np.testing.assert_array_equal(default[1], seeded[1])


def test_a_shared_generator_advances():
    rng = np.random.default_rng(0)
    first, second = synthetic_data(TRUE_W, TRUE_B, 30, rng=rng), synthetic_data(TRUE_W, TRUE_B, 30, rng=rng)
    assert not np.array_equal(first[0], second[0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(w=[[1.0, 2.0]]), "w must be a non-empty 1-D"),
    (dict(w=[]), "w must be a non-empty 1-D"),
    (dict(b=[1.0, 2.0]), "b must be a finite scalar"),
    (dict(b=float("nan")), "b must be a finite scalar"),
    (dict(num_examples=0), "num_examples must be a positive integer"),
    (dict(num_examples=2.5), "num_examples must be a positive integer"),
    (dict(num_examples=True), "num_examples must be a positive integer"),
    (dict(noise=-0.1), "noise must be a finite"),
    (dict(noise=float("inf")), "noise must be a finite"),
])
def test_synthetic_data_errors(kwargs, match):
    args = dict(w=TRUE_W, b=TRUE_B, num_examples=10) | kwargs
    with pytest.raises(ValueError, match=match):
        synthetic_data(**args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(b="a"), r"b must be a real number, got str 'a'"),
    (dict(b=1j), r"b must be a real number, got complex 1j"),
    (dict(b=None), r"b must be a real number, got NoneType None"),
    (dict(noise=None), r"noise must be a real number \(a standard deviation\), got NoneType None"),
    (dict(noise="0.1"), r"noise must be a real number"),
    (dict(noise=[0.1]), r"noise must be a real number"),
])
def test_synthetic_data_type_errors(kwargs, match):
    args = dict(w=TRUE_W, b=TRUE_B, num_examples=10) | kwargs
    with pytest.raises(TypeError, match=match):
        synthetic_data(**args)


def test_synthetic_data_accepts_numpy_scalars():
    a = synthetic_data(TRUE_W, np.float32(4.0), 5, noise=np.array(0.5), rng=1)
    b = synthetic_data(TRUE_W, 4, 5, noise=0.5, rng=1)
    np.testing.assert_array_equal(a[1], b[1])


# ---- data_iter ---------------------------------------------------------------------------------

@given(n=st.integers(1, 200), batch_size=st.integers(1, 250), seed=st.integers(0, 2**32 - 1))
def test_data_iter_yields_every_example_exactly_once(n, batch_size, seed):
    ids = np.arange(n)
    batches = list(data_iter(batch_size, ids, ids * 10.0, np.random.default_rng(seed)))
    sizes = [len(x) for x, _ in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    seen = np.concatenate([x for x, _ in batches])
    assert sorted(seen.tolist()) == ids.tolist()
    for x, y in batches:  # features and labels stay paired
        np.testing.assert_array_equal(x * 10.0, y)


def test_data_iter_shuffles_and_is_reproducible():
    ids = np.arange(100)
    order = lambda rng: np.concatenate([x for x, _ in data_iter(10, ids, ids, rng)])  # noqa: E731
    assert not np.array_equal(order(0), ids), "the order must be shuffled"
    np.testing.assert_array_equal(order(None), order(0))  # rng=None is seed 0
    np.testing.assert_array_equal(order(5), order(np.random.default_rng(5)))
    rng = np.random.default_rng(5)
    assert not np.array_equal(order(rng), order(rng)), "a shared generator gives a new order each epoch"


def test_data_iter_keeps_row_shape_and_works_on_torch_tensors():
    features, labels = synthetic_data(TRUE_W, TRUE_B, 23)
    x, y = next(data_iter(4, torch.from_numpy(features), torch.from_numpy(labels)))
    assert isinstance(x, torch.Tensor) and x.shape == (4, 2) and y.shape == (4,)
    x2, y2 = next(data_iter(4, features, labels[:, None]))
    np.testing.assert_array_equal(x2, x.numpy())
    assert y2.shape == (4, 1)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, "10", True, None])
def test_data_iter_bad_batch_size(batch_size):
    ids = np.arange(10)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        data_iter(batch_size, ids, ids)  # raised at the call, before the first next()


def test_data_iter_accepts_numpy_integer_batch_size():
    ids = np.arange(10)
    assert [len(x) for x, _ in data_iter(np.int64(4), ids, ids)] == [4, 4, 2]


@pytest.mark.parametrize("container", [list, tuple])
def test_data_iter_accepts_python_lists_and_tuples(container):
    features = container([[1, 2], [3, 4], [5, 6]])
    labels = container([10, 30, 50])
    batches = list(data_iter(2, features, labels))
    assert [len(x) for x, _ in batches] == [2, 1]
    for x, y in batches:  # still paired
        assert isinstance(x, np.ndarray) and x.shape[1:] == (2,)
        np.testing.assert_array_equal(x[:, 0] * 10, y)


def test_data_iter_mismatched_lengths():
    with pytest.raises(ValueError, match=r"len\(features\)=10 and len\(labels\)=9"):
        data_iter(3, np.zeros((10, 2)), np.zeros(9))


# ---- sgd, and the whole minibatch trajectory against torch.optim.SGD ---------------------------

def test_sgd_updates_in_place():
    w, b = np.array([1.0, -2.0]), np.array([0.5])
    w_id, b_id = id(w), id(b)
    sgd([w, b], [np.array([4.0, 8.0]), np.array([2.0])], lr=0.5, batch_size=4)
    assert id(w) == w_id and id(b) == b_id
    np.testing.assert_allclose(w, [0.5, -3.0], rtol=1e-15)
    np.testing.assert_allclose(b, [0.25], rtol=1e-15)


def _linreg_summed_grads(X, y, w, b):
    residual = X @ w + b - y
    return X.T @ residual, np.sum(residual, keepdims=True)


@pytest.mark.parametrize("n, batch_size, lr, epochs",
                         [(1000, 10, 0.03, 3), (103, 10, 0.1, 3), (57, 64, 0.5, 20), (20, 1, 0.05, 3)])
def test_minibatch_trajectory_equals_torch_optim_sgd(n, batch_size, lr, epochs):
    """Same batches, same order, float64: every step of ours equals torch.optim.SGD's (>= 20 steps)."""
    features, labels = synthetic_data(TRUE_W, TRUE_B, n, rng=2)
    rng = np.random.default_rng(3)
    batches = [batch for _ in range(epochs) for batch in data_iter(batch_size, features, labels, rng)]
    w0, b0 = rng.normal(0, 0.01, size=2), np.zeros(1)

    w, b, ours = w0.copy(), b0.copy(), []
    for X, y in batches:
        sgd([w, b], _linreg_summed_grads(X, y, w, b), lr, len(y))
        ours.append(np.concatenate([w, b]))

    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    optimizer = torch.optim.SGD([tw, tb], lr=lr)
    theirs = []
    for X, y in batches:
        X, y = torch.from_numpy(X), torch.from_numpy(y)
        loss = ((X @ tw + tb - y) ** 2 / 2).sum() / len(y)  # d2l's squared_loss summed, / batch size
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        theirs.append(torch.cat([tw, tb]).detach().clone())

    assert len(batches) >= 20
    torch.testing.assert_close(torch.from_numpy(np.array(ours)), torch.stack(theirs), rtol=1e-7, atol=1e-9)


def test_three_epochs_reach_the_noise_floor():
    """The lesson's run: lr 0.03, batch 10, 3 epochs → loss near noise**2 / 2, parameters near the truth."""
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    rng = np.random.default_rng(0)
    w, b = rng.normal(0, 0.01, size=2), np.zeros(1)
    for _ in range(3):
        for X, y in data_iter(10, features, labels, rng):
            sgd([w, b], _linreg_summed_grads(X, y, w, b), 0.03, len(y))
    loss = np.mean((features @ w + b - labels) ** 2 / 2)
    assert 3e-5 < loss < 7e-5
    np.testing.assert_allclose(w, TRUE_W, atol=3e-3)
    np.testing.assert_allclose(b, [TRUE_B], atol=3e-3)


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), -0.1])
def test_sgd_bad_lr(lr):
    w = np.zeros(2)
    with pytest.raises(ValueError, match="lr must be a non-negative finite number"):
        sgd([w], [np.ones(2)], lr, 1)
    np.testing.assert_array_equal(w, 0)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_sgd_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        sgd([np.zeros(2)], [np.ones(2)], 0.1, batch_size)


def test_sgd_mismatched_params_and_grads():
    with pytest.raises(ValueError, match="params and grads must have the same length, got 2 and 1"):
        sgd([np.zeros(2), np.zeros(1)], [np.ones(2)], 0.1, 1)
    w, b = np.zeros(2), np.zeros(1)
    with pytest.raises(ValueError, match=r"grads\[1\] has shape \(2,\) but params\[1\] has shape \(1,\)"):
        sgd([w, b], [np.ones(2), np.ones(2)], 0.1, 1)
    np.testing.assert_array_equal(w, 0)  # nothing was updated: the check comes before any step


def test_sgd_needs_arrays_to_update_in_place():
    with pytest.raises(TypeError, match=r"params\[0\] must be a numpy array"):
        sgd([1.0], [1.0], 0.1, 1)
