"""Performance benchmarks: `make bench` (python -m bench) prints mylib against numpy and torch.

tensor_mlp.py — one epoch of an MLP trained by mylib, by hand-written numpy, by torch, and
the matmuls alone; full_mlp.py — the same MLP through nn + optim + DataLoader against torch's,
and the DataLoader's share of the epoch; scalar_mlp.py (lesson 06) — the scalar engine's MLP demo.
"""
