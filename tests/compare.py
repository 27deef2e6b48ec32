"""One comparison for every test of mylib against torch, with a failure message a student can act on.

`make grade` shows the first failing test to the student: "mse_loss(reduction='mean') on inputs of
shape (2, 3): expected 1.25 (torch), got 2.5" says what was computed, on what, and how it differs —
torch's own "Tensor-likes are not close!" says none of that. For arrays it names the first element
that differs.
"""
from __future__ import annotations

import numpy as np
import torch

TIGHT = dict(rtol=1e-7, atol=1e-9)  # float64, the same maths: only the order of additions differs
FLOAT32 = dict(rtol=1.3e-6, atol=1e-5)  # torch's own float32 defaults (torch.testing.assert_close)


def _short(array: np.ndarray) -> str:
    if array.ndim == 0:
        return f"{array.item():.6g}"
    if array.size <= 6:
        return np.array2string(array, precision=6, separator=", ")
    return f"an array of shape {array.shape} ({array.dtype})"


def _first_difference(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    if actual.ndim == 0 or actual.size <= 6:
        return ""
    close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    index = tuple(int(i) for i in np.argwhere(~close)[0]) if not close.all() else None
    return "" if index is None else f"; first difference at index {index}: torch {expected[index]:.6g}, " \
                                    f"yours {actual[index]:.6g}"


def assert_same(got, expected: torch.Tensor, what: str, **tolerance) -> None:
    """Assert that mylib's `got` (array, number, or anything with `.data`) equals torch's `expected`.

    `what` names the computation and its input, e.g. "mse_loss(reduction='sum') on shape (4, 5)".
    Shapes and dtypes must match too; tolerances default to TIGHT.
    """
    tolerance = tolerance or TIGHT
    data = np.array(getattr(got, "data", got))  # a copy: numpy scalars are read-only
    actual = torch.from_numpy(data)
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"{what}: expected shape {tuple(expected.shape)} (torch), got {tuple(actual.shape)}")
    reference = expected.detach()

    def message(detail: str) -> str:
        theirs, ours = _short(reference.numpy()), _short(data)
        said = f"{what}: expected {theirs} (torch), got {ours}" if theirs != ours else \
            f"{what}: values differ from torch's on {ours}"  # two large arrays of one shape and dtype
        if data.dtype.kind == "f" and reference.is_floating_point():
            said += _first_difference(data, reference.numpy(), tolerance.get("rtol", 0.0), tolerance.get("atol", 0.0))
        first = detail.splitlines()[0]
        return said if "are not close" in first else f"{said} — {first}"  # e.g. a dtype mismatch

    torch.testing.assert_close(actual, reference, **tolerance, msg=message)
