"""Lesson 04: mylib.data (synthetic_data, data_iter) and mylib.manual.sgd, against torch (F.linear,
DataLoader, torch.optim.SGD) and closed-form answers; the given argument checks by their messages.

Ordered so that, with the lesson's pieces unwritten, the first failure is a piece's NotImplementedError.
"""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from mylib.data import data_iter, synthetic_data
from mylib.manual import sgd
from tests.compare import assert_same

TRUE_W, TRUE_B = np.array([2.0, -3.4]), 4.2


# ---- synthetic_data (build piece 1) -------------------------------------------------------------

def test_shapes_and_dtype():
    """synthetic_data(w of length 3, b, 17) gives features (17, 3) and labels (17,), both float64."""
    features, labels = synthetic_data([1.0, 2.0, 3.0], 0.5, 17)
    assert np.shape(features) == (17, 3) and np.shape(labels) == (17,), \
        f"expected shapes (17, 3) and (17,), got {np.shape(features)} and {np.shape(labels)}"
    assert features.dtype == labels.dtype == np.float64, f"expected float64, got {features.dtype} and {labels.dtype}"


@pytest.mark.parametrize("b", [4.2, -1.0])
def test_noise_free_labels_equal_torch_linear(b):
    """Without noise, synthetic_data's labels are exactly F.linear(features, w, b)."""
    features, labels = synthetic_data(TRUE_W, b, 50, noise=0.0, rng=3)
    expected = torch.nn.functional.linear(torch.from_numpy(features), torch.from_numpy(TRUE_W)[None, :],
                                          torch.tensor([b], dtype=torch.float64)).flatten()
    assert_same(labels, expected, f"synthetic_data([2, -3.4], {b}, 50, noise=0.0) labels")


def test_draws_the_features_first_then_the_noise():
    """synthetic_data draws rng.standard_normal((n, len(w))) for the features, then n values for the noise."""
    features, labels = synthetic_data(TRUE_W, TRUE_B, 8, noise=0.5, rng=11)
    rng = np.random.default_rng(11)
    expected_features = rng.standard_normal((8, 2))
    expected_labels = expected_features @ TRUE_W + TRUE_B + 0.5 * rng.standard_normal(8)
    np.testing.assert_allclose(features, expected_features, rtol=1e-12, err_msg=(
        "synthetic_data(w, b, 8, rng=11): the features must be rng's first draw, rng.standard_normal((8, 2))"))
    np.testing.assert_allclose(labels, expected_labels, rtol=1e-12, err_msg=(
        "synthetic_data(w, b, 8, noise=0.5, rng=11): the labels must be features @ w + b + "
        "noise * rng.standard_normal(8), drawn after the features"))


@pytest.mark.parametrize("noise", [0.01, 0.5])
def test_least_squares_recovers_w_and_b_within_the_noise(noise):
    """On 4000 examples, least squares recovers w and b, and the residuals have the noise's spread."""
    n = 4000
    features, labels = synthetic_data(TRUE_W, TRUE_B, n, noise=noise, rng=1)
    design = torch.cat([torch.from_numpy(features), torch.ones(n, 1, dtype=torch.float64)], dim=1)
    fit = torch.linalg.lstsq(design, torch.from_numpy(labels)[:, None]).solution.flatten()
    # The estimate's standard error is about noise / sqrt(n) per coefficient; allow 5 of them.
    assert_same(fit.numpy(), torch.tensor([*TRUE_W, TRUE_B], dtype=torch.float64),
                f"least squares on synthetic_data(noise={noise}) (torch.linalg.lstsq vs the true w, b)",
                rtol=0, atol=5 * noise / np.sqrt(n))
    # The residuals of the TRUE model are the noise itself: mean 0, standard deviation `noise`.
    residual = labels - features @ TRUE_W - TRUE_B
    assert abs(residual.mean()) < 5 * noise / np.sqrt(n), f"noise mean {residual.mean():.2e} should be about 0"
    assert residual.std() == pytest.approx(noise, rel=0.05), f"noise std {residual.std():.4f}, expected {noise}"
    # Features are standard normal.
    np.testing.assert_allclose(features.mean(axis=0), 0, atol=5 / np.sqrt(n), err_msg="features should have mean 0")
    np.testing.assert_allclose(features.std(axis=0), 1, rtol=0.05, err_msg="features should have std 1")


def test_reproducible_with_the_same_seed():
    """The same seed (an int or a Generator) gives the same data; another seed gives other data."""
    a = synthetic_data(TRUE_W, TRUE_B, 30, rng=7)
    b = synthetic_data(TRUE_W, TRUE_B, 30, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    other = synthetic_data(TRUE_W, TRUE_B, 30, rng=8)
    assert not np.array_equal(a[0], other[0])


def test_default_rng_is_seed_zero():
    """rng=None gives the data of rng=0."""
    default = synthetic_data(TRUE_W, TRUE_B, 30)
    seeded = synthetic_data(TRUE_W, TRUE_B, 30, rng=0)
    np.testing.assert_array_equal(default[0], seeded[0])
    np.testing.assert_array_equal(default[1], seeded[1])


def test_a_shared_generator_advances():
    """Two calls with one Generator give two different datasets."""
    rng = np.random.default_rng(0)
    first, second = synthetic_data(TRUE_W, TRUE_B, 30, rng=rng), synthetic_data(TRUE_W, TRUE_B, 30, rng=rng)
    assert not np.array_equal(first[0], second[0])


def test_synthetic_data_accepts_numpy_scalars():
    """numpy scalars and 0-d arrays work as b and noise."""
    a = synthetic_data(TRUE_W, np.float32(4.0), 5, noise=np.array(0.5), rng=1)
    b = synthetic_data(TRUE_W, 4, 5, noise=0.5, rng=1)
    np.testing.assert_array_equal(a[1], b[1])


# ---- data_iter (build piece 2: its generator) ---------------------------------------------------

@pytest.mark.parametrize("n, batch_size, seed", [(23, 5, 3), (20, 7, 0), (10, 10, 1), (6, 50, 2), (1, 1, 4)])
def test_data_iter_equals_dataloader_with_the_same_order(n, batch_size, seed):
    """data_iter's batches equal DataLoader's when DataLoader reads rng.permutation(n)'s order."""
    features = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    labels = np.arange(n) * 10.0
    ours = list(data_iter(batch_size, features, labels, np.random.default_rng(seed)))
    order = np.random.default_rng(seed).permutation(n).tolist()
    loader = DataLoader(TensorDataset(torch.from_numpy(features), torch.from_numpy(labels)),
                        batch_size=batch_size, sampler=order)
    theirs = list(loader)
    assert len(ours) == len(theirs), \
        f"data_iter({batch_size}, {n} examples): expected {len(theirs)} batches (DataLoader), got {len(ours)}"
    for k, ((x, y), (tx, ty)) in enumerate(zip(ours, theirs)):
        what = f"data_iter({batch_size}, {n} examples, rng={seed}), batch {k}"
        assert_same(x, tx, f"{what}: features")
        assert_same(y, ty, f"{what}: labels")


@given(n=st.integers(1, 200), batch_size=st.integers(1, 250), seed=st.integers(0, 2**32 - 1))
def test_data_iter_yields_every_example_exactly_once(n, batch_size, seed):
    """Every example comes exactly once per epoch, in full batches and one smaller last batch."""
    ids = np.arange(n)
    batches = list(data_iter(batch_size, ids, ids * 10.0, np.random.default_rng(seed)))
    sizes = [len(x) for x, _ in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    seen = np.concatenate([x for x, _ in batches])
    assert sorted(seen.tolist()) == ids.tolist()
    for x, y in batches:  # features and labels stay paired
        np.testing.assert_array_equal(x * 10.0, y)


def test_data_iter_shuffles_and_is_reproducible():
    """data_iter shuffles; rng=None is seed 0; one shared Generator gives a new order each epoch."""
    ids = np.arange(100)
    order = lambda rng: np.concatenate([x for x, _ in data_iter(10, ids, ids, rng)])  # noqa: E731
    assert not np.array_equal(order(0), ids), "the order must be shuffled"
    np.testing.assert_array_equal(order(None), order(0))  # rng=None is seed 0
    np.testing.assert_array_equal(order(5), order(np.random.default_rng(5)))
    rng = np.random.default_rng(5)
    assert not np.array_equal(order(rng), order(rng)), "a shared generator gives a new order each epoch"


def test_data_iter_keeps_row_shape_and_works_on_torch_tensors():
    """data_iter batches torch tensors too, and keeps the shape of each row."""
    features, labels = synthetic_data(TRUE_W, TRUE_B, 23)
    x, y = next(data_iter(4, torch.from_numpy(features), torch.from_numpy(labels)))
    assert isinstance(x, torch.Tensor) and x.shape == (4, 2) and y.shape == (4,)
    x2, y2 = next(data_iter(4, features, labels[:, None]))
    np.testing.assert_array_equal(x2, x.numpy())
    assert y2.shape == (4, 1)


def test_data_iter_accepts_numpy_integer_batch_size():
    """A numpy integer works as batch_size."""
    ids = np.arange(10)
    assert [len(x) for x, _ in data_iter(np.int64(4), ids, ids)] == [4, 4, 2]


@pytest.mark.parametrize("container", [list, tuple])
def test_data_iter_accepts_python_lists_and_tuples(container):
    """Python lists and tuples of examples are batched like arrays."""
    features = container([[1, 2], [3, 4], [5, 6]])
    labels = container([10, 30, 50])
    batches = list(data_iter(2, features, labels))
    assert [len(x) for x, _ in batches] == [2, 1]
    for x, y in batches:  # still paired
        assert isinstance(x, np.ndarray) and x.shape[1:] == (2,)
        np.testing.assert_array_equal(x[:, 0] * 10, y)


# ---- sgd (build piece 3), and the whole minibatch trajectory against torch.optim.SGD -------------

def test_sgd_step_equals_torch_optim_sgd_and_is_in_place():
    """One sgd step updates the given arrays in place, like torch.optim.SGD with grad / batch_size."""
    w, b = np.array([1.0, -2.0]), np.array([0.5])
    sgd([w, b], [np.array([4.0, 8.0]), np.array([2.0])], lr=0.5, batch_size=4)
    if np.array_equal(w, [1.0, -2.0]):
        raise AssertionError("sgd did not change w: update each array in place (param -= ...), "
                             "not param = param - ...")
    tw, tb = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.tensor([0.5], dtype=torch.float64)
    optimizer = torch.optim.SGD([tw, tb], lr=0.5)
    tw.grad, tb.grad = torch.tensor([4.0, 8.0], dtype=torch.float64) / 4, torch.tensor([2.0], dtype=torch.float64) / 4
    optimizer.step()
    assert_same(w, tw, "sgd([w, b], grads, lr=0.5, batch_size=4): w")
    assert_same(b, tb, "sgd([w, b], grads, lr=0.5, batch_size=4): b")


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
    assert_same(np.array(ours), torch.stack(theirs),
                f"(w, b) after every sgd step ({len(batches)} steps, batch {batch_size}, lr {lr}, {n} examples)")


def test_three_epochs_reach_the_noise_floor():
    """The lesson's run: lr 0.03, batch 10, 3 epochs → loss near noise**2 / 2, parameters near the truth."""
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    rng = np.random.default_rng(0)
    w, b = rng.normal(0, 0.01, size=2), np.zeros(1)
    for _ in range(3):
        for X, y in data_iter(10, features, labels, rng):
            sgd([w, b], _linreg_summed_grads(X, y, w, b), 0.03, len(y))
    loss = np.mean((features @ w + b - labels) ** 2 / 2)
    assert 3e-5 < loss < 7e-5, f"loss after 3 epochs {loss:.2e}, expected about 5e-5"
    np.testing.assert_allclose(w, TRUE_W, atol=3e-3)
    np.testing.assert_allclose(b, [TRUE_B], atol=3e-3)


# ---- the given argument checks (Under the hood) ------------------------------------------------

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
    """synthetic_data refuses unusable arguments with a ValueError naming the argument."""
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
    """synthetic_data refuses a b or noise that is not a real number with a TypeError."""
    args = dict(w=TRUE_W, b=TRUE_B, num_examples=10) | kwargs
    with pytest.raises(TypeError, match=match):
        synthetic_data(**args)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, "10", True, None])
def test_data_iter_bad_batch_size(batch_size):
    """data_iter refuses a batch_size that is not a positive integer, at the call."""
    ids = np.arange(10)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        data_iter(batch_size, ids, ids)  # raised at the call, before the first next()


def test_data_iter_mismatched_lengths():
    """data_iter refuses features and labels of different lengths, naming both."""
    with pytest.raises(ValueError, match=r"len\(features\)=10 and len\(labels\)=9"):
        data_iter(3, np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), -0.1])
def test_sgd_bad_lr(lr):
    """sgd refuses a learning rate that is not a non-negative finite number, and changes nothing."""
    w = np.zeros(2)
    with pytest.raises(ValueError, match="lr must be a non-negative finite number"):
        sgd([w], [np.ones(2)], lr, 1)
    np.testing.assert_array_equal(w, 0)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_sgd_bad_batch_size(batch_size):
    """sgd refuses a batch_size that is not a positive integer."""
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        sgd([np.zeros(2)], [np.ones(2)], 0.1, batch_size)


def test_sgd_mismatched_params_and_grads():
    """sgd refuses mismatched params and grads before updating any parameter."""
    with pytest.raises(ValueError, match="params and grads must have the same length, got 2 and 1"):
        sgd([np.zeros(2), np.zeros(1)], [np.ones(2)], 0.1, 1)
    w, b = np.zeros(2), np.zeros(1)
    with pytest.raises(ValueError, match=r"grads\[1\] has shape \(2,\) but params\[1\] has shape \(1,\)"):
        sgd([w, b], [np.ones(2), np.ones(2)], 0.1, 1)
    np.testing.assert_array_equal(w, 0)  # nothing was updated: the check comes before any step


def test_sgd_needs_arrays_to_update_in_place():
    """sgd refuses a parameter that is not a numpy array (it could not be updated in place)."""
    with pytest.raises(TypeError, match=r"params\[0\] must be a numpy array"):
        sgd([1.0], [1.0], 0.1, 1)
