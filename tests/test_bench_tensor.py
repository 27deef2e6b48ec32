"""The benchmark compares like with like: mylib, hand-written numpy and torch train the same
model with the same maths (same parameters after a few SGD steps, float64), and float32 stays
float32 in mylib's epoch."""
import numpy as np
import pytest

from bench import full_mlp, tensor_mlp


@pytest.mark.parametrize("epoch", [tensor_mlp.numpy_epoch, tensor_mlp.torch_epoch])
def test_mylib_numpy_and_torch_take_the_same_steps(epoch):
    x, y, init = tensor_mlp.make_problem(200, (12, 8, 5), dtype=np.float64)
    ours = tensor_mlp.mylib_epoch(x, y, init, steps=3)
    theirs = epoch(x, y, init, steps=3)
    for mine, ref, start in zip(ours, theirs, init):
        assert not np.allclose(mine, start), "the parameters did not move"
        np.testing.assert_allclose(mine, ref, rtol=1e-7, atol=1e-9)


def test_mylib_epoch_stays_float32():
    x, y, init = tensor_mlp.make_problem(130, (12, 8, 5))
    assert all(p.dtype == np.float32 for p in tensor_mlp.mylib_epoch(x, y, init))


def test_cross_entropy_is_stable_for_huge_logits():
    from mylib import Tensor
    logits = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=np.float32), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
        loss = tensor_mlp.mylib_cross_entropy(logits, np.array([1, 2]))
        loss.backward()
    assert loss.item() == pytest.approx((2e4 + np.log(3)) / 2, rel=1e-6)
    assert np.isfinite(logits.grad.data).all()


def test_the_full_stack_takes_torchs_steps():
    """nn.Sequential + F.cross_entropy + optim.SGD + DataLoader: the same weights as torch's stack after 3 steps."""
    ours, theirs = full_mlp.same_first_steps()
    for mine, ref in zip(ours, theirs):
        np.testing.assert_allclose(mine, ref, rtol=1e-7, atol=1e-9)
    assert not np.allclose(ours[0], full_mlp.make_problem(200, (12, 8, 5), dtype=np.float64)[2][0].T)
