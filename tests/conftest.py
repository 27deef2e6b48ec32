"""Shared test settings: hypothesis is derandomized so `make test` is deterministic."""
from hypothesis import settings

settings.register_profile("course", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("course")
