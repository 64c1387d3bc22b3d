"""Run the same torch-API code under torch and ember, alternating, and print ratios.

    python benchmarks/run.py            # every workload
    python benchmarks/run.py --quick    # fewer repeats (under a minute)
    python benchmarks/run.py --memory   # also peak memory of the training workloads

Each workload is a function ``make(lib) -> step`` written against the torch API; ``lib`` is the
``torch`` module or ``ember``. Both run in this process with one BLAS/intra-op thread, in
interleaved rounds; the table shows the median time per step of each and the median over rounds
of ember/torch within a round (the two timings of a round see the same machine load, so this
ratio is steadier than the ratio of medians when other processes share the cores).

Peak memory (``--memory``; the workloads marked ``memory`` below) is measured in a fresh
subprocess per library, so neither library's imports or allocator state enter the other's number:
the child builds the model and data, resets the kernel's resident-set high-water mark (writing 5
to ``/proc/self/clear_refs``), runs a few steps and reports how far the high-water mark (VmHWM)
rose above the resident set before the first step. That covers gradients, optimizer state, the
values kept for backward and every temporary. Where the reset is refused it falls back to the
rise of ``getrusage().ru_maxrss``, which misses peaks below one reached during setup. The ember
child also reports tracemalloc's peak over the same steps (NumPy reports its buffers to
tracemalloc): an allocator-independent cross-check of the RSS figure."""
import argparse
import functools
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def seed_linear_regression(lib):
    nn, optim = lib.nn, lib.optim
    x = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).view(-1, 1)
    y = lib.tensor([2.0, 4.0, 6.0, 8.0, 10.0]).view(-1, 1)
    model = nn.Linear(1, 1)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)

    def step():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def seed_mlp(lib):
    nn, optim = lib.nn, lib.optim
    x = lib.tensor([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [4.0, 5.0], [5.0, 6.0]])
    y = x.clone()
    fc1, fc2 = nn.Linear(2, 5), nn.Linear(5, 2)
    params = list(fc1.parameters()) + list(fc2.parameters())
    criterion = nn.MSELoss()
    optimizer = optim.SGD(params, lr=0.01)

    def step():
        optimizer.zero_grad()
        loss = criterion(fc2(lib.relu(fc1(x))), y)
        loss.backward()
        optimizer.step()
    return step


def mlp784(lib):
    """MLP 784-512-256-10, batch 128, cross-entropy, Adam."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    x = lib.randn(128, 784)
    y = lib.randint(0, 10, (128,))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def lenet(lib):
    """LeNet-5 on 1x28x28, batch 64, SGD with momentum."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    x = lib.randn(64, 1, 28, 28)
    y = lib.randint(0, 10, (64,))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def _tiny(lib, expr, grad):
    a = lib.ones(5, requires_grad=grad)
    b = lib.ones(5, requires_grad=grad)
    m1 = lib.ones(2, 2, requires_grad=grad)
    m2 = lib.ones(2, 2, requires_grad=grad)
    fns = {"a + b": lambda: a + b, "a * b": lambda: a * b, "a.sum()": lambda: a.sum(),
           "a @ b (2x2)": lambda: m1 @ m2}
    return fns[expr]


# (name, make, steps per timing round, measure peak memory)
WORKLOADS = [("seed linear regression step", seed_linear_regression, 2000, False),
             ("seed MLP step", seed_mlp, 2000, False),
             ("MLP 784-512-256-10 Adam step", mlp784, 40, True),
             ("LeNet-5 SGD-momentum step", lenet, 20, True)]
for _expr in ("a + b", "a * b", "a.sum()", "a @ b (2x2)"):
    for _g in (False, True):
        WORKLOADS.append((f"{_expr}{' (grad)' if _g else ''}",
                          functools.partial(_tiny, expr=_expr, grad=_g), 20000, False))


def import_lib(name):
    if name == "torch":
        import torch
        torch.set_num_threads(1)
        return torch
    import ember
    return ember


def time_step(step, n, clock=time.perf_counter):
    t0 = clock()
    for _ in range(n):
        step()
    return (clock() - t0) / n


# --- peak memory ----------------------------------------------------------------------------
def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def _reset_peak():
    """Reset VmHWM to the current RSS; False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def memory_child(lib_name, workload, steps=5):
    """Runs in a fresh interpreter: prints 'rss_kib tracemalloc_kib method' for one library."""
    import gc
    import resource
    lib = import_lib(lib_name)
    make = next(w[1] for w in WORKLOADS if w[0] == workload)
    step = make(lib)
    gc.collect()
    tracing = lib_name == "ember"
    if tracing:
        import tracemalloc
        tracemalloc.start()
    rss0 = _status_kib("VmRSS")
    reset = rss0 is not None and _reset_peak()
    if not reset:
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if tracing:
        tracemalloc.reset_peak()
    for _ in range(steps):
        step()
    peak = _status_kib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    traced = tracemalloc.get_traced_memory()[1] // 1024 if tracing else -1
    print(peak - rss0, traced, "VmHWM" if reset else "ru_maxrss")


def peak_memory(lib_name, workload):
    """(rss rise KiB, tracemalloc peak KiB or -1, method) from a fresh subprocess."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child", lib_name,
                          workload], capture_output=True, text=True, check=True, cwd=ROOT)
    rss, traced, method = out.stdout.split()[-3:]
    return int(rss), int(traced), method


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and steps")
    ap.add_argument("--only", default=None, help="run workloads whose name contains this text")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved timing rounds")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process's CPU clock instead of the wall clock: steadier "
                         "when other processes share the cores (both libraries run one thread)")
    ap.add_argument("--memory", action="store_true",
                    help="also measure peak memory (fresh subprocess per library)")
    ap.add_argument("--memory-child", nargs=2, metavar=("LIB", "WORKLOAD"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    libs = {name: import_lib(name) for name in ("torch", "ember")}
    rounds = args.rounds or (3 if args.quick else 7)
    clock = time.process_time if args.cpu_time else time.perf_counter
    scale = 0.25 if args.quick else 1.0
    head = f"{'workload':34s} {'torch':>12s} {'ember':>12s} {'ember/torch':>12s}"
    if args.memory:
        head += f" {'torch MiB':>10s} {'ember MiB':>10s} {'ratio':>6s} {'ember tm':>9s}"
    print(head)
    for name, make, n, mem in WORKLOADS:
        if args.only and args.only not in name:
            continue
        n = max(int(n * scale), 10)
        steps = {lib: make(mod) for lib, mod in libs.items()}
        for s in steps.values():
            for _ in range(min(n, 50)):
                s()
        times = {"torch": [], "ember": []}
        for _ in range(rounds):
            for lib in ("torch", "ember"):
                times[lib].append(time_step(steps[lib], n, clock))
        t, e = statistics.median(times["torch"]), statistics.median(times["ember"])
        ratio = statistics.median(b / a for a, b in zip(times["torch"], times["ember"]))
        line = f"{name:34s} {t * 1e6:10.2f}µs {e * 1e6:10.2f}µs {ratio:11.2f}x"
        if args.memory and mem:
            tm, _, _ = peak_memory("torch", name)
            em, traced, _ = peak_memory("ember", name)
            line += (f" {tm / 1024:10.1f} {em / 1024:10.1f} {em / max(tm, 1):5.2f}x"
                     f" {traced / 1024:9.1f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
