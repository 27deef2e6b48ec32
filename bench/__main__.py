"""`make bench`: mylib against hand-written numpy and torch, one table measured in one run.

Targets (DESIGN.md §9): on the MNIST-sized MLP mylib takes at most 1.2× torch's time per
epoch; on the digits-sized MLP mylib is faster than torch; the scalar engine trains lesson
06's MLP in under 10 s. Exits with status 1 when a target is missed.

Every time is the best of several epochs after a warm-up (the least disturbed measurement);
run it on an otherwise idle machine. The Makefile pins one BLAS/OpenMP thread per process.
"""
from __future__ import annotations

import platform
import sys

import numpy as np
import torch

from bench import full_mlp, scalar_mlp, tensor_mlp

# max_ratio: mylib's time per epoch must stay below this multiple of torch's (1 = faster than torch)
BIG = {"examples": 60_000, "sizes": (784, 128, 10), "repeats": 3, "max_ratio": 1.2}
SMALL = {"examples": 1_797, "sizes": (64, 32, 10), "repeats": 30, "max_ratio": 1.0}
FULL = {"examples": 60_000, "sizes": (784, 128, 10), "repeats": 3, "max_ratio": 1.2, "max_share": 0.10}


def tensor_rows(examples: int, sizes: tuple[int, int, int], repeats: int, max_ratio: float) -> list[dict]:
    """One row per way of training, with the time relative to torch; the target is on mylib's row."""
    times = tensor_mlp.measure(examples, sizes, repeats)
    label = f"MLP {'-'.join(map(str, sizes))}, {examples:,} examples"
    rows = []
    for name, seconds in times.items():
        row = {"name": f"{label}: {name}", "seconds": seconds, "ratio": seconds / times["torch"]}
        if name == "mylib":
            row["target"], row["met"] = f"< {max_ratio:g}× torch", row["ratio"] < max_ratio
        rows.append(row)
    return rows


def full_stack_rows(examples: int, sizes: tuple[int, int, int], repeats: int) -> list[dict]:
    """The whole stack a student trains with after lesson 14, against torch's; the DataLoader's share."""
    times = full_mlp.measure(examples, sizes, repeats)
    label = f"MLP {'-'.join(map(str, sizes))}, nn + optim + DataLoader"
    mylib_ratio = times["mylib"] / times["torch"]
    share = times["DataLoader alone"] / times["mylib"]
    return [{"name": f"{label}: mylib", "seconds": times["mylib"], "ratio": mylib_ratio,
             "target": f"< {FULL['max_ratio']:g}× torch", "met": mylib_ratio < FULL["max_ratio"]},
            {"name": f"{label}: torch", "seconds": times["torch"], "ratio": 1.0},
            {"name": "  its DataLoader alone (share of mylib's epoch)", "seconds": times["DataLoader alone"],
             "ratio": None, "target": f"≤ {FULL['max_share']:.0%} ({share:.1%})", "met": share <= FULL["max_share"]}]


def scalar_row() -> dict:
    """The scalar engine: seconds to train lesson 06's MLP, against a limit in seconds."""
    result = scalar_mlp.measure()
    limit = result["target_seconds"]
    return {"name": result["name"], "seconds": result["seconds"], "ratio": None,
            "target": f"< {limit:g} s", "met": result["seconds"] < limit}


def main() -> int:
    torch.set_num_threads(1)  # the same single thread as numpy's BLAS (see the Makefile)
    print(f"mylib vs numpy vs torch {torch.__version__} (CPU, 1 thread), numpy {np.__version__}, "
          f"Python {platform.python_version()}; float32, batch 64, SGD lr 0.1; seconds per epoch, "
          f"best of {BIG['repeats']} (big net) / {SMALL['repeats']} (small net) after a warm-up (whole epochs, nothing scaled).")
    print("'matmul floor' = only the epoch's matmuls (X W1, H W2 and the three of backward): "
          "no engine can go below it.\n")
    rows = (tensor_rows(**BIG) + tensor_rows(**SMALL)
            + full_stack_rows(FULL["examples"], FULL["sizes"], FULL["repeats"]) + [scalar_row()])
    width = max(len(r["name"]) for r in rows)
    print(f"| {'benchmark':<{width}} | {'seconds':>8} | {'× torch':>7} | {'target':<20} | met |")
    print(f"|{'-' * (width + 2)}|{'-' * 10}|{'-' * 9}|{'-' * 22}|-----|")
    for r in rows:
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "—"
        met = {True: "yes", False: "NO", None: ""}[r.get("met")]
        print(f"| {r['name']:<{width}} | {r['seconds']:8.4f} | {ratio:>7} | {r.get('target', ''):<20} | {met:<3} |")
    missed = [r["name"] for r in rows if r.get("met") is False]
    if missed:
        print(f"\nmissed: {'; '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
