"""The helpers the tensor tests of lessons 07 and 08 share (tinygrad's `helper_test_op` idea).

`check_op` runs the same expression in mylib and in torch on the same float64 inputs and the same
upstream gradient, and compares the output and every input's gradient: values, shapes and dtypes.
"""
import numpy as np
import pytest
import torch

from tests.compare import TIGHT, assert_same

RTOL, ATOL = TIGHT["rtol"], TIGHT["atol"]  # DESIGN §6: float64, the same maths


def make_inputs(shapes, seed=0, low=-2.0, high=2.0, away_from_zero=False):
    """float64 arrays of the given shapes (optionally with |x| >= 0.5, for / log sqrt abs)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        x = rng.uniform(low, high, size=shape)
        if away_from_zero:
            x = np.sign(x + (x == 0)) * (0.5 + np.abs(x))
        arrays.append(x)
    return arrays


def check_op(fn, arrays, torch_fn=None, grad_seed=1, what="the expression"):
    """Run `fn` on mylib Tensors and `torch_fn` (default: `fn`) on torch tensors made from the
    same arrays; backpropagate the same random upstream gradient; compare output and gradients,
    values, shapes and dtypes. `what` names the expression in a failure message."""
    # imported here, not at the top: `make grade` grades several lessons in one process, each with its
    # own package, and this module stays imported from one lesson to the next
    from mylib.tensor import Tensor
    torch_fn = torch_fn or fn
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn(*ours), torch_fn(*theirs)
    where = f"{what} on inputs of shape {', '.join(str(np.shape(a)) for a in arrays)}"
    if isinstance(expected, tuple):  # max(dim): (values, indices)
        np.testing.assert_array_equal(out.indices.data, expected.indices.numpy(), err_msg=f"indices of {where}")
        assert out.indices.dtype == np.int64, f"indices of {where}: expected int64, got {out.indices.dtype}"
        out, expected = out.values, expected.values
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch."), \
        f"{where}: expected dtype {expected.dtype} (torch), got {out.dtype}"
    assert_same(out, expected, where, rtol=RTOL, atol=ATOL, equal_nan=True)
    upstream = np.random.default_rng(grad_seed).normal(size=out.shape)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for i, (mine, ref) in enumerate(zip(ours, theirs)):
        if ref.grad is None:
            assert mine.grad is None or not mine.grad.data.any(), f"{where}: torch has no gradient for input {i}"
            continue
        assert mine.grad is not None, f"{where}: input {i} got no gradient (torch's is {ref.grad})"
        assert mine.grad.dtype == mine.dtype, f"{where}: input {i}'s gradient is {mine.grad.dtype}, not {mine.dtype}"
        assert_same(mine.grad, ref.grad, f"the gradient of input {i} of {where}", rtol=RTOL, atol=ATOL,
                    equal_nan=True)


def torch_error(fn):
    """The exception torch raises for `fn()`, to match mylib's message against."""
    with pytest.raises(Exception) as info:
        fn()
    return info.value
