"""Issue 10's bad-input table (tests/torch_user_cases.py): each case tried in mylib and in torch.

torch runs first and decides what mylib must do:
- torch raises E: mylib raises type(E) (the nearest built-in class of it) or a subclass, with a
  message matching the case's regex — "clear error";
- torch returns: mylib returns the same values, shapes and dtypes — "same as torch" — or, for a case
  marked `refuses`, mylib raises with a message matching its regex — "refused where torch accepts".
mylib runs under `warnings.simplefilter("error")` and `np.errstate(all="raise")` where torch is
silent; where torch warns, mylib must warn the same category.

Count the outcomes (for issue 10's closing note):  PYTHONPATH=. .venv/bin/python -m tests.test_torch_user
(add -v to print why each failing case fails and the known gap it is)
"""
from __future__ import annotations

import builtins
import math
import re
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
import torch

from tests.compare import TIGHT
from tests.torch_user_cases import AREAS, CASES, XFAIL, Case, Lib, mylib_lib, torch_lib

CLEAR, SAME, REFUSED = "clear error", "same as torch", "refused where torch accepts"
OUTCOMES = (CLEAR, SAME, REFUSED)


class Mismatch(AssertionError):
    """mylib did not do what torch does."""


def _builtin_class(error: BaseException) -> type:
    """The first built-in exception class of `error`'s type (torch raises some of its own subclasses)."""
    return next(k for k in type(error).__mro__ if k.__module__ == "builtins" and k is not object)


def _plain(value):
    """A comparable form: tensors of either library become ("tensor", ndarray, dtype name)."""
    if isinstance(value, torch.Tensor):
        return ("tensor", value.detach().numpy().copy(), str(value.dtype).removeprefix("torch."))
    if type(value).__module__.startswith("mylib") and hasattr(value, "data") and hasattr(type(value), "grad"):
        data = np.array(value.data)  # a copy; a 0-d result may hold a numpy scalar
        return ("tensor", data, str(data.dtype))
    if isinstance(value, np.ndarray):
        return ("ndarray", value, str(value.dtype))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (torch.dtype, np.dtype)):
        return str(value).removeprefix("torch.")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list, torch.Size)):
        return [_plain(v) for v in value]
    return value


def _compare(got, expected, where: str) -> None:
    if isinstance(expected, tuple):  # a tensor or an array
        if not isinstance(got, tuple) or got[0] != expected[0]:
            raise Mismatch(f"{where}: torch gives a {expected[0]}, mylib gives {got!r}")
        (_, a, a_dtype), (_, e, e_dtype) = got, expected
        if a_dtype != e_dtype:
            raise Mismatch(f"{where}: dtype {a_dtype}, torch's is {e_dtype}")
        if a.shape != e.shape:
            raise Mismatch(f"{where}: shape {a.shape}, torch's is {e.shape}")
        tolerance = TIGHT if e.dtype == np.float64 else {}
        try:
            torch.testing.assert_close(torch.from_numpy(np.array(a, order="C")), torch.from_numpy(e),
                                       equal_nan=True, **tolerance)
        except AssertionError:
            raise Mismatch(f"{where}: mylib gives {a.tolist()}, torch gives {e.tolist()}") from None
    elif isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            raise Mismatch(f"{where}: torch gives {len(expected)} items, mylib gives {got!r}")
        for i, (g, e) in enumerate(zip(got, expected)):
            _compare(g, e, f"{where}[{i}]")
    elif isinstance(expected, dict):
        if not isinstance(got, dict) or got.keys() != expected.keys():
            raise Mismatch(f"{where}: torch gives keys {list(expected)}, mylib gives {got!r}")
        for k in expected:
            _compare(got[k], expected[k], f"{where}[{k!r}]")
    elif isinstance(expected, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        if not (math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-12) or (math.isnan(got) and math.isnan(expected))):
            raise Mismatch(f"{where}: mylib gives {got!r}, torch gives {expected!r}")
    elif type(got) is not type(expected) or got != expected:
        raise Mismatch(f"{where}: mylib gives {got!r}, torch gives {expected!r}")


def _run(case: Case, lib: Lib, strict: bool):
    """(result, error, warning categories) of the case in `lib`; `strict`: warnings and numpy
    floating-point errors raise."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error" if strict else "always")
        try:
            if lib.name == "mylib" and strict:
                with np.errstate(all="raise"):
                    return case.run(lib), None, []
            return case.run(lib), None, [w.category for w in caught]
        except Exception as error:  # noqa: BLE001 — every error is an outcome to compare
            return None, error, [w.category for w in caught]


_LIBS: dict[str, Lib] = {}


def libs() -> tuple[Lib, Lib]:
    if not _LIBS:
        _LIBS["mylib"], _LIBS["torch"] = mylib_lib(), torch_lib()
    return _LIBS["mylib"], _LIBS["torch"]


def outcome(case: Case) -> str:
    """Run the case in torch, then in mylib; return the outcome or raise Mismatch saying what differs."""
    mylib, torch_ = libs()
    torch.manual_seed(0)
    expected, torch_error, torch_warns = _run(case, torch_, strict=False)
    result, error, warns = _run(case, mylib, strict=not torch_warns)
    said = f"{case.id}: mylib raised {type(error).__name__}: {error}" if error else ""
    if torch_error is not None:
        kind = case.error or _builtin_class(torch_error)
        if case.match is None:
            raise Mismatch(f"{case.id}: torch raises {kind.__name__} ({torch_error}); the case needs a `match`")
        if error is None:
            raise Mismatch(f"{case.id}: torch raises {kind.__name__}: {torch_error}; mylib returned {result!r}")
        if not isinstance(error, kind):
            raise Mismatch(f"{said} — torch raises {kind.__name__}: {torch_error}")
        if not re.search(case.match, str(error), re.IGNORECASE):
            raise Mismatch(f"{said} — the message does not name the problem (/{case.match}/); "
                           f"torch says: {torch_error}")
        return CLEAR
    if case.refuses:
        if error is None:
            raise Mismatch(f"{case.id}: mylib should refuse (/{case.match}/) and returned {result!r}")
        if not re.search(case.match, str(error), re.IGNORECASE):
            raise Mismatch(f"{said} — the refusal does not name the problem (/{case.match}/)")
        return REFUSED
    if error is not None:
        raise Mismatch(f"{said} — torch accepts it and returns {expected!r}")
    if torch_warns and not any(issubclass(w, tuple(torch_warns)) for w in warns):
        raise Mismatch(f"{case.id}: torch warns {torch_warns[0].__name__}, mylib does not")
    _compare(_plain(result), _plain(expected), case.id)
    return SAME


def _param(case: Case):
    marks = []
    if case.id in XFAIL:
        marks.append(pytest.mark.xfail(strict=True, raises=Mismatch, reason=XFAIL[case.id]))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_torch_user_case(case):
    """A torch user's input gives torch's error or torch's answer in mylib."""
    assert outcome(case) in OUTCOMES


def count() -> tuple[Counter, list[tuple[Case, str]]]:
    """Outcomes per (area, outcome) over every case, and the cases that fail today with why."""
    counts, failing = Counter(), []
    for case in CASES:
        try:
            counts[case.area, outcome(case)] += 1
        except Mismatch as error:
            counts[case.area, "fails today"] += 1
            failing.append((case, str(error)))
    return counts, failing


def table(counts: Counter) -> str:
    columns = (*OUTCOMES, "fails today")
    lines = [f"{'area':<12}" + "".join(f"{c:>28}" for c in columns) + f"{'total':>8}"]
    for area in (*AREAS, "all"):
        row = [sum(n for (a, o), n in counts.items() if o == c and area in (a, "all")) for c in columns]
        lines.append(f"{area:<12}" + "".join(f"{n:>28}" for n in row) + f"{sum(row):>8}")
    return "\n".join(lines)


def test_the_table_is_big_and_covers_every_area():
    """The table has at least 150 cases, unique ids, every area, the issue's silent wrong answers."""
    ids = [c.id for c in CASES]
    assert len(ids) >= 150, f"only {len(ids)} cases"
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]
    assert {c.area for c in CASES} == set(AREAS)
    assert sum(c.silent for c in CASES) >= 13
    assert set(XFAIL) <= set(ids), set(XFAIL) - set(ids)
    assert all(c.match for c in CASES if c.refuses)
    print(table(count()[0]))  # the counts, shown with pytest -s


if __name__ == "__main__":
    counts, failing = count()
    print(f"{len(CASES)} cases, tried in mylib and torch side by side\n")
    print(table(counts))
    owners = Counter(XFAIL.get(case.id, "NOT IN XFAIL").split(":")[0] for case, _ in failing)
    print("\nknown gaps (strict xfails), by area of the reason:")
    for owner, n in owners.most_common():
        print(f"  {n:4d}  {owner}")
    if "-v" in sys.argv:
        for case, why in failing:
            print(f"\n[{XFAIL.get(case.id, 'NO OWNER')}]\n  {why}")
