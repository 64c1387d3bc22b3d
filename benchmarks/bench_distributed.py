"""Data-parallel throughput: ember on 2 MPI ranks against 1 rank at the same per-rank batch, and
against torch's DistributedDataParallel (gloo backend) on the same workload and ranks.

    python benchmarks/bench_distributed.py            # MLP-784 and LeNet-5
    python benchmarks/bench_distributed.py --steps 60 --ranks 2

Every job runs under ``mpiexec`` with one BLAS / intra-op thread per rank. A job times
``--steps`` training steps after a warm-up; its step time is the slowest rank's median over
``--rounds`` blocks of steps. 1-rank jobs train the plain model; n-rank jobs wrap it in
DistributedDataParallel. torch's ranks read their rank from Open MPI's environment and meet
through gloo's TCP rendezvous on localhost.

Scaling = (n x per-rank batch / n-rank step time) / (per-rank batch / 1-rank step time); the
ideal is n. "vs torch" is ember's n-rank step time over torch's (below 1: ember is faster).
The same figures from CPU time per step (the busiest rank's ``time.process_time``) follow: when
other processes share the cores, wall times measure the load more than the code, and the CPU
columns show what each rank's step costs, communication included.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mlp784(lib, batch):
    """MLP 784-512-256-10, SGD with momentum, cross-entropy."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    return model, lib.randn(batch, 784), lib.randint(0, 10, (batch,))


def lenet(lib, batch):
    """LeNet-5 on 1x28x28, SGD with momentum, cross-entropy."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return model, lib.randn(batch, 1, 28, 28), lib.randint(0, 10, (batch,))


WORKLOADS = {"mlp784": (mlp784, 128), "lenet": (lenet, 64)}


# -- one rank of a job -------------------------------------------------------------------------
def worker(args):
    if args.lib == "torch":
        import torch as lib
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        lib.set_num_threads(1)
        rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
        world = int(os.environ["OMPI_COMM_WORLD_SIZE"])
        if world > 1:
            dist.init_process_group("gloo", rank=rank, world_size=world)
    else:
        import ember as lib
        import ember.distributed as dist
        from ember.nn.parallel import DistributedDataParallel as DDP
        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    make, batch = WORKLOADS[args.model]
    model, x, y = make(lib, args.batch or batch)
    if world > 1:
        model = DDP(model)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(max(3, args.steps // 10)):
        step()
    per_block = max(1, args.steps // args.rounds)
    times, cpu = [], []
    for _ in range(args.rounds):
        if world > 1:
            dist.barrier()
        t, c = time.perf_counter(), time.process_time()
        for _ in range(per_block):
            step()
        times.append((time.perf_counter() - t) / per_block)
        cpu.append((time.process_time() - c) / per_block)
    mine = [statistics.median(times), statistics.median(cpu)]
    if world > 1:
        out = [None] * world
        dist.all_gather_object(out, mine)
        mine = [max(o[0] for o in out), max(o[1] for o in out)]
    if rank == 0:
        print("STEP", json.dumps({"step_s": mine[0], "cpu_s": mine[1]}), flush=True)
    if world > 1:
        dist.destroy_process_group()


# -- the driver ---------------------------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_job(lib, model, ranks, args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [shutil.which("mpiexec"), "--oversubscribe", "-n", str(ranks), sys.executable,
           os.path.abspath(__file__), "--worker", "--lib", lib, "--model", model,
           "--steps", str(args.steps), "--rounds", str(args.rounds)]
    if args.batch:
        cmd += ["--batch", str(args.batch)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env,
                          timeout=args.timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("STEP "):
            r = json.loads(line[5:])
            return r["step_s"], r["cpu_s"]
    raise RuntimeError(f"{lib} {model} on {ranks} ranks failed:\n{proc.stderr[-3000:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--lib", default="ember")
    ap.add_argument("--model", default=None, choices=sorted(WORKLOADS))
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=0, help="per-rank batch (default: workload's)")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    models = [args.model] if args.model else sorted(WORKLOADS)
    n = args.ranks
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'workload':<8} {'batch/rank':>10} {'ember 1 rank':>13} {f'ember {n} ranks':>14} "
          f"{'scaling':>8} {f'torch {n} ranks':>14} {'vs torch':>9} | "
          f"{'CPU 1 rank':>11} {f'CPU {n} ranks':>12} {'scaling':>8} {'vs torch':>9}")
    for model in models:
        batch = args.batch or WORKLOADS[model][1]
        t1, c1 = run_job("ember", model, 1, args)
        tn, cn = run_job("ember", model, n, args)
        tt, ct = (float("nan"),) * 2 if args.no_torch else run_job("torch", model, n, args)
        print(f"{model:<8} {batch:>10} {t1 * 1e3:>10.2f} ms {tn * 1e3:>11.2f} ms "
              f"{n * t1 / tn:>7.2f}x {tt * 1e3:>11.2f} ms {tn / tt:>8.2f}x | "
              f"{c1 * 1e3:>8.2f} ms {cn * 1e3:>9.2f} ms {n * c1 / cn:>7.2f}x {cn / ct:>8.2f}x",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
