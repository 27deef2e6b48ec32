"""pytest hooks for the notebooks (nbval).

In lessons/, an exercise's check cell must fail while the exercise is a stub: a check that
passes against `raise NotImplementedError()` cannot tell a student whether they solved it.
"""
import pytest

from tools.notebooks import CHECK_TAG


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    cell = getattr(item, "cell", None)
    if cell is not None and item.path.parent.name == "lessons" and CHECK_TAG in cell.metadata.get("tags", []):
        outputs = getattr(item, "test_outputs", None) or []
        if not any(out.get("output_type") == "error" for out in outputs):
            pytest.fail(f"{item.path.name}: this exercise check passed although the exercise is still a "
                        "stub; the check must call the student's code so that it fails until solved",
                        pytrace=False)
    return result
