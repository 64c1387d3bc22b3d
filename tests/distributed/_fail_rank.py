"""Rank script for failure handling. ``raise``: the last rank raises while the others wait in a
collective. ``timeout``: rank 1 never reaches an all_reduce that the others wait in with a
2 s timeout. ``ddp_timeout`` / ``ddp_timeout_window`` / ``ddp_timeout_mpi``: rank 1 never
finishes its backward while the others wait for its gradients in DistributedDataParallel (on one
machine: cross-memory reduction where allowed / the shared window's copies / MPI's all-reduce),
with a 2 s timeout."""
import sys
import time

import ember as torch
import ember.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=2.0 if "timeout" in mode else 600)
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
elif mode.startswith("ddp_timeout"):
    from ember.nn.parallel import DistributedDataParallel as DDP
    from ember.nn.parallel import distributed as ddp_mod
    ddp_mod._use_shared_memory = mode != "ddp_timeout_mpi"
    ddp_mod._use_cross_memory = mode == "ddp_timeout"
    ddp = DDP(torch.nn.Linear(4, 2))
    print("SHARED", R, ddp._shm_win is not None, flush=True)
    if R == 1:
        time.sleep(60)
    ddp(torch.ones(3, 4)).sum().backward()
print("unreachable", R, flush=True)
