"""Shared test settings: hypothesis is derandomized so `make test` is deterministic.

Under `make grade` (MYLIB_GRADING set) a failing example is reported as found, not shrunk:
a student's unfinished code fails every example, and shrinking would only cost time.
"""
import os

from hypothesis import Phase, settings

settings.register_profile("course", derandomize=True, deadline=None, print_blob=True, database=None)
settings.register_profile("grade", parent=settings.get_profile("course"), print_blob=False,
                          phases=(Phase.explicit, Phase.reuse, Phase.generate))
settings.load_profile("grade" if os.environ.get("MYLIB_GRADING") else "course")
