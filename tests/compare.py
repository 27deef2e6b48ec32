"""One comparison for every test of mylib against torch, with a failure message a student can act on.

`make grade` shows the first failing test to the student: "mse_loss(reduction='mean') on inputs of
shape (2, 3): expected 1.25 (torch), got 2.5" says what was computed, on what, and how it differs —
torch's own "Tensor-likes are not close!" says none of that.
"""
from __future__ import annotations

import numpy as np
import torch

TIGHT = dict(rtol=1e-7, atol=1e-9)  # float64, the same maths: only the order of additions differs


def _short(value) -> str:
    array = np.asarray(value.detach() if isinstance(value, torch.Tensor) else getattr(value, "data", value))
    if array.size <= 6:
        return np.array2string(array, precision=6, separator=", ") if array.ndim else f"{array.item():.6g}"
    return f"an array of shape {array.shape} ({array.dtype}), first values {array.ravel()[:3]}"


def assert_same(got, expected: torch.Tensor, what: str, **tolerance) -> None:
    """Assert that mylib's `got` (array, number, or anything with `.data`) equals torch's `expected`.

    `what` names the computation and its input, e.g. "mse_loss(reduction='sum') on shape (4, 5)".
    Shapes and dtypes must match too; tolerances default to TIGHT.
    """
    tolerance = tolerance or TIGHT
    data = getattr(got, "data", got)
    actual = torch.from_numpy(np.array(data))  # a copy: numpy scalars are read-only
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"{what}: expected shape {tuple(expected.shape)} (torch), got {tuple(actual.shape)}")
    torch.testing.assert_close(actual, expected.detach(), **tolerance, msg=lambda detail: (
        f"{what}: expected {_short(expected)} (torch), got {_short(data)}"))
