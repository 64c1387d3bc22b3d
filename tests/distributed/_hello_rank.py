"""Rank script for the launcher test: rank, size and BLAS threads as a RESULT line."""
import json
import os

import ember.distributed as dist

dist.init_process_group()
try:
    from threadpoolctl import threadpool_info
    threads = max([i["num_threads"] for i in threadpool_info()] or [0])
except ImportError:
    threads = -1
print("RESULT", dist.get_rank(), json.dumps({"size": dist.get_world_size(), "threads": threads,
                                             "omp": os.environ.get("OMP_NUM_THREADS")}),
      flush=True)
