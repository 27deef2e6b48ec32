"""mylib.manual as built in lesson 01: the linear model, its losses and grid search.

Losses are compared with torch.nn.functional on random float64 inputs for every reduction;
grid search with the closed-form least-squares answer; errors by their messages.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.compare import assert_same
from mylib.manual import (REDUCTIONS, apply_reduction, check_reduction, grid_search, l1_loss,
                          linear_forward, mse_loss)

TIGHT = dict(rtol=1e-7, atol=1e-9)
LOSSES = [(mse_loss, F.mse_loss), (l1_loss, F.l1_loss)]


def random_pair(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=3.0, size=shape), rng.normal(scale=3.0, size=shape)


@pytest.mark.parametrize("ours, theirs", LOSSES, ids=["mse", "l1"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=6),
       seed=st.integers(0, 2**32 - 1))
def test_losses_equal_torch(ours, theirs, reduction, shape, seed):
    """mse_loss and l1_loss equal torch's for every reduction, on random inputs of many shapes."""
    y_hat, y = random_pair(shape, seed)
    got = ours(y_hat, y, reduction=reduction)
    expected = theirs(torch.from_numpy(y_hat), torch.from_numpy(y), reduction=reduction)
    assert_same(got, expected, f"{ours.__name__}(y_hat, y, reduction={reduction!r}) on inputs of shape {shape}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_apply_reduction_equals_torchs_reductions(reduction):
    """apply_reduction gives the mean, the sum, or the losses themselves, as torch's reductions do."""
    losses = np.array([[1.0, -2.0], [3.0, 4.5]])
    expected = {"mean": torch.from_numpy(losses).mean(), "sum": torch.from_numpy(losses).sum(),
                "none": torch.from_numpy(losses)}[reduction]
    assert_same(apply_reduction(losses, reduction), expected, f"apply_reduction([[1, -2], [3, 4.5]], {reduction!r})")


@pytest.mark.parametrize("ours, theirs", LOSSES, ids=["mse", "l1"])
def test_default_reduction_is_mean_and_float32_stays_float32(ours, theirs):
    """mse_loss and l1_loss default to reduction='mean', and float32 inputs give a float32 loss, as in torch."""
    name = ours.__name__
    y_hat, y = random_pair((5, 4), seed=0)
    assert ours(y_hat, y) == ours(y_hat, y, reduction="mean"), \
        f"{name}(y_hat, y) without a reduction must equal {name}(y_hat, y, reduction='mean')"
    y_hat32, y32 = y_hat.astype(np.float32), y.astype(np.float32)
    got = ours(y_hat32, y32)
    assert np.asarray(got).dtype == np.float32, \
        f"{name} of float32 inputs must be float32, as torch's is; got {np.asarray(got).dtype} (keep the inputs' dtype)"
    torch.testing.assert_close(torch.as_tensor(got), theirs(torch.from_numpy(y_hat32), torch.from_numpy(y32)),
                               msg=lambda m: f"{name} of float32 (5, 4) inputs differs from torch's: {m}")


def test_losses_on_the_seed_example():
    """On the seed's example (residuals 1, 2, 3): MSE sum 14, L1 sum 6, per-sample MSE [1, 4, 9]."""
    y_hat = linear_forward([1.0, 2.0, 3.0], 3.0)  # residuals 1, 2, 3
    got = mse_loss(y_hat, [2.0, 4.0, 6.0], "sum")
    assert got == 14.0, f"mse_loss([3, 6, 9], [2, 4, 6], 'sum'): expected 1 + 4 + 9 = 14, got {got}"
    got = l1_loss(y_hat, [2.0, 4.0, 6.0], "sum")
    assert got == 6.0, f"l1_loss([3, 6, 9], [2, 4, 6], 'sum'): expected 1 + 2 + 3 = 6, got {got}"
    np.testing.assert_array_equal(mse_loss(y_hat, [2.0, 4.0, 6.0], "none"), [1.0, 4.0, 9.0],
                                  err_msg="mse_loss([3, 6, 9], [2, 4, 6], 'none') must be [1, 4, 9]")


@given(seed=st.integers(0, 2**32 - 1))
def test_linear_forward_equals_torch_linear(seed):
    """linear_forward(x, w, b) equals F.linear on x as a column; b defaults to 0."""
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=7), rng.normal(), rng.normal()
    expected = F.linear(torch.from_numpy(x)[:, None], torch.tensor([[w]], dtype=torch.float64),
                        torch.tensor([b], dtype=torch.float64))
    torch.testing.assert_close(torch.from_numpy(linear_forward(x, w, b))[:, None], expected, **TIGHT)
    np.testing.assert_array_equal(linear_forward(x, w), w * x)  # b defaults to 0


def test_linear_forward_broadcasts_over_a_grid_and_keeps_float32():
    """linear_forward(x, ws[:, None]) gives one row per w, and keeps a float32 x float32."""
    x = np.array([1.0, 2.0, 3.0])
    ws = np.array([0.5, 1.0])
    np.testing.assert_array_equal(linear_forward(x, ws[:, None], 1.0), [[1.5, 2.0, 2.5], [2.0, 3.0, 4.0]])
    assert linear_forward(x.astype(np.float32), 0.1, 0.2).dtype == np.float32


@given(seed=st.integers(0, 2**32 - 1))
def test_grid_search_finds_the_grid_point_nearest_the_closed_form_w(seed):
    """grid_search(x, y, ws) returns the grid value nearest the exact best w, and the MSE at every w."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=20)
    y = rng.normal() * x + rng.normal(scale=0.5, size=20)
    w_star = x @ y / (x @ x)  # d/dw mean((w x - y)^2) = 0
    ws = np.linspace(w_star - 1.013, w_star + 0.987, 101)
    best_w, losses = grid_search(x, y, ws)
    # MSE(w) is a parabola symmetric about w*, so the best grid point is the nearest one.
    nearest = ws[np.argmin(np.abs(ws - w_star))]
    assert best_w == nearest, (f"grid_search(x, y, ws) on 20 random points returned best_w = {best_w}, expected "
                               f"{nearest}, the grid value nearest the exact w* = {w_star:.6f} (return ws[i], not i)")
    # And every loss equals the expanded quadratic w^2 mean(x^2) - 2 w mean(xy) + mean(y^2).
    expected = ws**2 * np.mean(x * x) - 2 * ws * np.mean(x * y) + np.mean(y * y)
    assert np.shape(losses) == ws.shape, f"grid_search(x, y, ws): one loss per w, shape {ws.shape}, got {np.shape(losses)}"
    np.testing.assert_allclose(losses, expected, rtol=1e-9, atol=1e-9,
                               err_msg="grid_search(x, y, ws): losses[i] must be the MSE of y_hat = ws[i] * x")


def test_grid_search_on_the_seed_data():
    """On the seed data y = 2x with ws = 0.0, 0.1, …, 4.0: best w = 2.0, 41 losses, 0 at w = 2, 56/3 at w = 0."""
    ws = np.arange(0.0, 4.1, 0.1)
    best_w, losses = grid_search([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], ws)
    assert best_w == 2.0, f"grid_search on the seed data: expected best_w = 2.0, got {best_w}"
    assert np.shape(losses) == (41,), f"grid_search on the seed data: expected 41 losses, got shape {np.shape(losses)}"
    assert losses[20] == 0.0 and losses[0] == pytest.approx(56 / 3, rel=1e-12), \
        f"grid_search on the seed data: expected the MSE 0 at w = 2 and 56/3 at w = 0, got {losses[20]} and {losses[0]}"


def test_grid_search_with_bias_matches_least_squares_and_torch():
    """With bs, grid_search finds (w, b) near least squares, and losses[i, j] is the MSE at (ws[i], bs[j])."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, size=30)
    y = 1.5 * x - 2.0 + rng.normal(scale=0.3, size=30)
    design = torch.stack([torch.from_numpy(x), torch.ones(30, dtype=torch.float64)], dim=1)
    w_ls, b_ls = torch.linalg.lstsq(design, torch.from_numpy(y)[:, None]).solution.flatten().tolist()
    ws, bs = np.linspace(0, 3, 151), np.linspace(-4, 0, 201)  # steps 0.02
    (best_w, best_b), losses = grid_search(x, y, ws, bs=bs)
    assert np.shape(losses) == (151, 201), \
        f"grid_search(x, y, ws, bs=bs): losses must have shape (len(ws), len(bs)) = (151, 201), got {np.shape(losses)}"
    assert abs(best_w - w_ls) <= 0.04 and abs(best_b - b_ls) <= 0.1, \
        f"grid_search(x, y, ws, bs=bs): expected (w, b) near least squares' ({w_ls:.3f}, {b_ls:.3f}), got ({best_w}, {best_b})"
    # losses[i, j] is the loss at (ws[i], bs[j]): the same surface computed in torch in one broadcast.
    y_hat = torch.from_numpy(ws)[:, None, None] * torch.from_numpy(x) + torch.from_numpy(bs)[None, :, None]
    expected = F.mse_loss(y_hat, torch.from_numpy(y).expand_as(y_hat), reduction="none").mean(dim=-1)
    assert_same(losses, expected, "grid_search(x, y, ws, bs=bs): the losses over the (w, b) grid")


def test_grid_search_with_l1_loss():
    """grid_search with loss_fn=l1_loss ignores an outlier that drags the MSE fit, and its losses equal torch's."""
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = 2 * x
    y[4] = -20.0  # an outlier: the L1 fit ignores it, the L2 fit does not
    ws = np.arange(-3.0, 3.01, 0.25)
    best_l1, losses = grid_search(x, y, ws, loss_fn=l1_loss)
    best_l2, _ = grid_search(x, y, ws, loss_fn=mse_loss)
    assert best_l1 == 2.0 and best_l2 < 0, \
        f"with an outlier, the L1 grid fit should stay at w = 2.0 and the L2 one drop below 0, got {best_l1} and {best_l2}"
    expected = F.l1_loss(torch.from_numpy(ws)[:, None] * torch.from_numpy(x),
                         torch.from_numpy(y).expand(len(ws), 5), reduction="none").mean(dim=1)
    assert_same(losses, expected, "grid_search(x, y, ws, loss_fn=l1_loss): the L1 loss at every w")


@pytest.mark.parametrize("loss", [mse_loss, l1_loss])
def test_shape_mismatch_names_both_shapes(loss):
    """A loss refuses y_hat and y of different shapes, naming both."""
    with pytest.raises(ValueError, match=rf"{loss.__name__}: y_hat has shape \(3, 1\) but y has shape \(3,\)"):
        loss(np.zeros((3, 1)), np.zeros(3))


@pytest.mark.parametrize("loss", [mse_loss, l1_loss])
def test_unknown_reduction_lists_the_valid_ones(loss):
    """A loss refuses an unknown reduction, listing the valid ones."""
    with pytest.raises(ValueError, match=r"'average' is not a valid value for reduction; "
                                         r"use one of 'mean', 'sum', 'none'"):
        loss(np.zeros(3), np.zeros(3), reduction="average")


def test_reduction_helpers():
    """check_reduction accepts the three reductions and names a bad one; apply_reduction(losses, 'none') is losses."""
    assert REDUCTIONS == ("mean", "sum", "none")
    assert [check_reduction(r) for r in REDUCTIONS] == list(REDUCTIONS)
    losses = np.array([[1.0, -2.0], [3.0, 4.5]])
    assert apply_reduction(losses, "none") is losses, "apply_reduction(losses, 'none') must return losses itself, not a copy or a new array"
    with pytest.raises(ValueError, match=r"^'avg' is not a valid value for reduction; use one of 'mean', 'sum', 'none'$"):
        check_reduction("avg")
    with pytest.raises(ValueError, match=r"^my_loss: 'avg' is not a valid value for reduction"):
        check_reduction("avg", "my_loss")
    with pytest.raises(ValueError, match=r"^'avg' is not a valid value for reduction"):
        apply_reduction(losses, "avg")


@pytest.mark.parametrize("bad", [[], [[1.0, 2.0]], 2.0])
def test_grid_search_rejects_a_grid_that_is_not_a_non_empty_1d_array(bad):
    """grid_search refuses ws or bs that is not a non-empty 1-D array."""
    with pytest.raises(ValueError, match=r"grid_search: ws must be a non-empty 1-D array"):
        grid_search([1.0], [2.0], bad)
    with pytest.raises(ValueError, match=r"grid_search: bs must be a non-empty 1-D array"):
        grid_search([1.0], [2.0], [1.0], bs=bad)


def test_grid_search_passes_shape_errors_on():
    """grid_search lets the loss's shape error through."""
    with pytest.raises(ValueError, match=r"shape \(3,\) but y has shape \(2,\)"):
        grid_search([1.0, 2.0, 3.0], [2.0, 4.0], [1.0, 2.0])


def test_grid_search_skips_nan_losses():
    """grid_search skips a NaN loss when it picks the best grid point."""
    ws = np.array([1.0, 2.0, 3.0])
    nan_at_first = lambda y_hat, y: np.nan if y_hat[0] == 1.0 else mse_loss(y_hat, y)  # noqa: E731
    best_w, losses = grid_search([1.0, 2.0], [2.0, 4.0], ws, loss_fn=nan_at_first)
    assert best_w == 2.0 and np.isnan(losses[0]), \
        f"grid_search with a NaN loss at w = 1: expected best_w = 2.0 and losses[0] NaN, got {best_w} and {losses[0]}"
    (best_w, best_b), losses = grid_search([1.0, 2.0], [2.0, 4.0], ws, loss_fn=nan_at_first, bs=[0.0, 1.0])
    assert (best_w, best_b) == (2.0, 0.0), \
        f"grid_search with bs and a NaN loss at w = 1: expected (2.0, 0.0), got ({best_w}, {best_b})"


def test_grid_search_with_only_nan_losses_is_a_value_error():
    """grid_search refuses a grid where every loss is NaN."""
    with pytest.raises(ValueError, match=r"grid_search: every loss on the grid is NaN"):
        grid_search([1.0, 2.0], [2.0, 4.0], [1.0, 2.0], loss_fn=lambda y_hat, y: np.nan)
    with pytest.raises(ValueError, match=r"grid_search: every loss on the grid is NaN"):
        grid_search([1.0, 2.0], [2.0, np.nan], [1.0, 2.0], bs=[0.0])


def test_grid_search_rejects_nan_in_the_grid():
    """grid_search refuses NaN among the candidate values."""
    with pytest.raises(ValueError, match=r"grid_search: ws contains NaN"):
        grid_search([1.0, 2.0], [2.0, 4.0], [np.nan, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"grid_search: bs contains NaN"):
        grid_search([1.0, 2.0], [2.0, 4.0], [2.0], bs=[0.0, np.nan])
