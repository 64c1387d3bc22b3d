"""Rank script for failure handling. ``raise``: the last rank raises while the others wait in a
collective. ``timeout``: rank 1 never reaches an all_reduce that the others wait in with a
2 s timeout."""
import sys
import time

import ember as torch
import ember.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=2.0 if mode == "timeout" else 600)
R, N = dist.get_rank(), dist.get_world_size()
if mode == "raise":
    if R == N - 1:
        time.sleep(0.5)
        print("RAISING", time.time(), flush=True)
        raise ValueError(f"boom from rank {R}")
    dist.all_reduce(torch.ones(3))
elif mode == "timeout":
    if R == 1:
        time.sleep(60)
    dist.all_reduce(torch.ones(3))
print("unreachable", R, flush=True)
