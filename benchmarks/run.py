"""Run the same torch-API code under torch and ember, alternating, and print ratios.

    python benchmarks/run.py            # every workload, with peak memory (a few minutes)
    python benchmarks/run.py --quick    # fewer repeats, no memory columns (under a minute)
    python benchmarks/run.py --smoke    # one round of two steps each: only checks that it runs

Each workload is a function ``make(lib) -> step`` written against the torch API; ``lib`` is the
``torch`` module or ``ember``. Both run in this process with one BLAS/intra-op thread, in
interleaved rounds; the table shows the median time per step of each and the median over rounds
of ember/torch within a round (the two timings of a round see the same machine load, so this
ratio is steadier than the ratio of medians when other processes share the cores). When
``ember.compile`` exists, a third contestant runs ``ember.compile(step)`` on a fresh copy of the
workload, in the same rounds. Its first call for a set of inputs runs eagerly (lazy state such as
optimizer moments appears) and the second records the step: "1st" is the time of the first call,
"trace" the time of the second (the whole call: the step under the recorder and what the recording
needs afterwards), and "tr/e" that trace time over the median eager step (both on the chosen
clock). That trace is the process's first of the workload, so it pays first-use costs an eager
step's first call pays too (compare "1st"); "warm tr" is the median trace of fresh copies traced
afterwards and "wtr/e" the median of each one's ratio to eager steps timed right before it; "e2/e"
is the same ratio for the second call of fresh eager copies, the eager step the trace contains, run
once as the trace runs it (warm_trace). "cold" is the trace over the eager step's second call,
each taken in a fresh interpreter that has run nothing else (median of three pairs; the seed
models and the workloads whose ``memory`` flag is set; full runs or ``--cold``): both calls pay
the process's first-execution costs, which the warm median under "tr/e" does not (cold_trace).
"replay1" is the third call, the first replay: it builds the interpreter over the recorded steps
and runs it (Note [Interpreter at the first replay]). The source of the generated plan is produced
and compiled later, by the call after a few interpreted replays (ember/compile/__init__.py, Note
[Tiered plans]): "tier-up" is the time of that whole call (code generation, ``compile()`` and the
replay it runs; "n/a" where the trace built the generated plan itself, as for a forward whose
result requires grad). A compiler error becomes "n/a" in the table and one line after it, never
a crash.

The first line is the machine's fp32 GEMM rate on one thread (best of a few 1024^3 products
through NumPy/OpenBLAS, torch/MKL and, where ``ember[mkl]`` is installed, ember's MKL engine,
measured in the same run); the last line gives MLP-784's
GFLOP/s (the GEMMs of forward and backward, 0.308 GFLOP per step: the first layer's input
gradient is not computed) against it.

Peak memory (the workloads marked ``memory`` below; skipped by ``--quick``/``--smoke`` unless
``--memory``) is measured in a fresh subprocess per library, so neither library's imports or
allocator state enter the other's number: the child builds the model and data, resets the
kernel's resident-set high-water mark (writing 5 to ``/proc/self/clear_refs``), runs a few steps
and reports how far the high-water mark (VmHWM) rose above the resident set before the first
step (the compiled step runs until its generated plan has replayed twice). That covers
gradients, optimizer state, the values kept for backward and every temporary (and, for the
compiled column, the trace). Code is not counted for either library: torch's
loads with its import, and ember's optional accelerators (MKL, numba and the machine code of
ember's kernels, which would otherwise load at their first call) load before the baseline.
Where the reset is refused it falls back to the rise of ``getrusage().ru_maxrss``, which misses
peaks below one reached during setup."""
import argparse
import functools
import gc
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


def transformer_lm(lib):
    """Decoder-only Transformer LM: token + learned position embeddings, 2 pre-norm encoder
    layers (d_model 128, 4 heads, GELU) under a causal mask, final LayerNorm, a Linear to a
    1000-word vocabulary; context 64, batch 32, cross-entropy, AdamW. Dropout is 0 so both
    libraries do the same arithmetic (no RNG streams to compare)."""
    nn = lib.nn
    lib.manual_seed(0)
    vocab, d, heads, ctx, batch, layers = 1000, 128, 4, 64, 32, 2

    class DecoderLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(ctx, d)
            layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=0.0,
                                               activation="gelu", batch_first=True,
                                               norm_first=True)
            # nested tensors are an inference path; torch warns when norm_first rules it out
            self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab)

        def forward(self, idx, pos, mask):
            x = self.tok(idx) + self.pos(pos)
            return self.head(self.norm(self.blocks(x, mask=mask, is_causal=True)))

    model = DecoderLM()
    idx = lib.randint(0, vocab, (batch, ctx))
    target = lib.randint(0, vocab, (batch * ctx,))
    pos = lib.arange(ctx)
    mask = nn.Transformer.generate_square_subsequent_mask(ctx)
    opt = lib.optim.AdamW(model.parameters(), lr=3e-4)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(idx, pos, mask).reshape(-1, vocab), target).backward()
        opt.step()
    return step


def lstm_lm(lib):
    """The classic word-level LSTM LM: Embedding(1000, 200) -> LSTM(200, 200) -> Linear(200,
    1000), sequence 35, batch 20, cross-entropy, SGD. Truncated BPTT without carrying the
    hidden state between steps (every step starts from zeros), the same in both libraries."""
    nn = lib.nn
    lib.manual_seed(0)
    vocab, emb, hidden, seq, batch = 1000, 200, 200, 35, 20

    class WordLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, emb)
            self.rnn = nn.LSTM(emb, hidden)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    model = WordLM()
    x = lib.randint(0, vocab, (seq, batch))
    y = lib.randint(0, vocab, (seq * batch,))
    opt = lib.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x).reshape(-1, vocab), y).backward()
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
             ("LeNet-5 SGD-momentum step", lenet, 20, True),
             ("Transformer LM AdamW step", transformer_lm, 3, True),
             ("LSTM LM SGD step", lstm_lm, 10, True)]
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


def fmt_time(sec):
    if sec is None:
        return "n/a"
    if sec >= 1e-3:
        return f"{sec * 1e3:.2f}ms"
    return f"{sec * 1e6:.2f}µs"


def first_line(exc):
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return text[0][:60] if text else type(exc).__name__


def compile_step(ember, step, clock=time.perf_counter, max_calls=10):
    """(compiled step, (seconds of its first call, of its second: the trace, of its third: the
    first replay, of the call that generated the plan's source or None), None) or (None, None,
    error text). Calls the step until it tiers up (at most ``max_calls`` times in all)."""
    if not hasattr(ember, "compile"):
        return None, None, "no ember.compile"
    try:
        cstep = ember.compile(step)
        t0 = clock()
        cstep()
        t1 = clock()
        cstep()
        t2 = clock()
        ups = getattr(cstep, "tier_ups", None)
        cstep()
        replay1 = clock() - t2
        tier_up = replay1 if ups is not None and cstep.tier_ups != ups else None
        for _ in range(max_calls - 3 if ups is not None and tier_up is None else 0):
            t = clock()
            cstep()
            dt = clock() - t
            if cstep.tier_ups != ups:
                tier_up = dt
                break
        return cstep, (t1 - t0, t2 - t1, replay1, tier_up), None
    except Exception as exc:  # noqa: BLE001 (a compiler failure is a table entry, not a crash)
        return None, None, first_line(exc)


def warm_trace(ember, make, eager_step, n, clock=time.perf_counter, repeats=7):
    """(median seconds, median ratio to an eager step, median ratio of a fresh eager copy's
    second call to an eager step) over ``repeats`` fresh copies of a workload, in a process that
    has already traced it: the trace's own cost, without the first-use costs (Python's and
    NumPy's caches, first calls of kernels) that the process's first trace of a workload shares
    with an eager step's first call ("1st"). Each one-call timing is paired with the mean of
    ``n`` steps of the warm ``eager_step`` timed just before it: the host's speed changes by up
    to 2x from one second to the next, and a ratio of timings taken seconds apart would measure
    that. The eager copy's second call is what the trace is besides recording, a step run once
    after other work rather than in a loop; the two alternate which comes first."""
    times, ratios, eager2 = [], [], []
    for i in range(repeats):
        cstep = ember.compile(make(ember))
        estep = make(ember)
        cstep()
        estep()
        for which in ((cstep, estep) if i % 2 == 0 else (estep, cstep)):
            e = time_step(eager_step, n, clock)
            t0 = clock()
            which()
            t = clock() - t0
            if which is cstep:
                times.append(t)
                ratios.append(t / e)
            else:
                eager2.append(t / e)
    return statistics.median(times), statistics.median(ratios), statistics.median(eager2)


# --- GEMM peak ------------------------------------------------------------------------------
def gemm_rate(libs, n=1024, repeats=5, clock=time.perf_counter):
    """Best fp32 GEMM rate (GFLOP/s) of an n x n x n product, per library, one thread, on the
    clock the workloads are timed with (so the GFLOP/s line compares like with like)."""
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty_like(a)
    runs = {"numpy": lambda: np.matmul(a, b, out=out)}
    if libs.get("ember") is not None:
        from ember.backends import get_backend
        mm = get_backend("cpu").xp.matmul
        if mm is not np.matmul:           # ember[mkl]: ember's products go to MKL
            runs["ember/MKL"] = lambda: mm(a, b, out=out)
    torch = libs.get("torch")
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        tout = torch.empty(n, n)
        runs["torch"] = lambda: torch.mm(ta, tb, out=tout)
    rates = {}
    for name, fn in runs.items():
        fn()
        best = min(time_step(fn, 1, clock) for _ in range(repeats))
        rates[name] = 2 * n ** 3 / best / 1e9
    return rates


# forward, weight gradients, and the input gradients of the two upper layers: the data needs
# none, and neither library computes it
MLP784_FLOPS = 2 * 128 * (3 * (784 * 512 + 512 * 256 + 256 * 10) - 784 * 512)


def _child(*args):
    """This script's stdout run with ``args`` in a fresh interpreter, or None if it failed."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), *args], capture_output=True,
                         text=True, cwd=ROOT, check=False)
    return None if out.returncode else out.stdout


# --- the trace in a fresh interpreter ----------------------------------------------------------
def _preload_accelerators():
    # the optional accelerators' libraries and machine code load here, before anything is
    # measured, as torch's load with its import (Note [Preloading kernels] in ember/_jit.py)
    from ember import _jit
    from ember.backends import mkl_gemm
    _jit.preload()
    if mkl_gemm.wanted():
        mkl_gemm.load()


def cold_child(workload, mode):
    """Runs in a fresh interpreter: prints the seconds of a step's first and second calls, the
    step eager or (``mode`` "compiled") compiled, whose second call is the trace."""
    ember = import_lib("ember")
    _preload_accelerators()
    make = next(w[1] for w in WORKLOADS if w[0] == workload)
    step = make(ember)
    if mode == "compiled":
        step = ember.compile(step)
    gc.collect()
    t0 = time.perf_counter()
    step()
    t1 = time.perf_counter()
    step()
    t2 = time.perf_counter()
    print(t1 - t0, t2 - t1)


def cold_trace(workload, repeats=3):
    """Median over ``repeats`` pairs of fresh interpreters of (compiled step's second call: the
    trace) / (eager step's second call), or None when a child fails. The two children of a
    pair alternate which runs first. A process's first trace also pays what any code pays the
    first times it runs in a process (Python's caches, first kernel calls); an eager step pays
    that too in its first calls, so comparing the two second calls leaves the trace's own
    cost."""
    ratios = []
    for i in range(repeats):
        got = {}
        for mode in ("eager", "compiled") if i % 2 == 0 else ("compiled", "eager"):
            out = _child("--cold-child", workload, mode)
            if out is None:
                return None
            got[mode] = float(out.split()[-1])
        ratios.append(got["compiled"] / got["eager"])
    return statistics.median(ratios)


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
    """Runs in a fresh interpreter: prints 'rss_kib tracemalloc_kib method' for one library
    (``torch``, ``ember`` or ``ember-compiled``: the compiled step's peak includes its trace)."""
    import gc
    import resource
    lib = import_lib("torch" if lib_name == "torch" else "ember")
    if lib_name != "torch":
        _preload_accelerators()     # code, not step memory
    make = next(w[1] for w in WORKLOADS if w[0] == workload)
    step = make(lib)
    if lib_name == "ember-compiled":
        step = lib.compile(step)
        # two replays of the generated plan at least, after the interpreted ones (Note [Tiered
        # plans] in ember/compile/__init__.py): the peak is that of the plan that keeps running
        steps = max(steps, 2 + getattr(sys.modules["ember.compile"], "_INTERPRETED", 0) + 3)
    gc.collect()
    tracing = lib_name != "torch"
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


def peak_memory(lib_name, workload, steps=5):
    """(rss rise KiB, tracemalloc peak KiB or -1, method) from a fresh subprocess, or None
    when the child fails (a compiler that cannot handle the workload)."""
    out = _child("--memory-child", lib_name, workload, str(steps))
    if out is None:
        return None
    rss, traced, method = out.split()[-3:]
    return int(rss), int(traced), method


def _mib(kib):
    return "n/a" if kib is None else f"{kib / 1024:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and steps (< 1 minute)")
    ap.add_argument("--smoke", action="store_true",
                    help="one round of two steps per workload, no memory: checks that it runs")
    ap.add_argument("--only", default=None, help="run workloads whose name contains this text")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved timing rounds")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process's CPU clock instead of the wall clock: steadier "
                         "when other processes share the cores (both libraries run one thread)")
    ap.add_argument("--memory", action="store_true",
                    help="measure peak memory even with --smoke")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory columns")
    ap.add_argument("--cold", action="store_true",
                    help="measure the trace in fresh interpreters even with --quick/--smoke")
    ap.add_argument("--no-cold", action="store_true", help="skip the fresh-interpreter trace")
    ap.add_argument("--no-compile", action="store_true", help="skip the ember.compile columns")
    ap.add_argument("--list", action="store_true", help="print the workload names and exit")
    ap.add_argument("--memory-child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--cold-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.list:
        print("\n".join(w[0] for w in WORKLOADS))
        return
    if args.memory_child:
        lib_name, workload, *rest = args.memory_child
        memory_child(lib_name, workload, *(int(r) for r in rest))
        return
    if args.cold_child:
        cold_child(*args.cold_child)
        return
    libs = {name: import_lib(name) for name in ("torch", "ember")}
    ember = libs["ember"]
    rounds = args.rounds or (1 if args.smoke else 3 if args.quick else 7)
    clock = time.process_time if args.cpu_time else time.perf_counter
    scale = 0.25 if args.quick else 1.0
    # each memory figure costs a fresh interpreter (torch's import alone takes seconds), which
    # --quick cannot afford within its minute
    memory = (args.memory or not (args.smoke or args.quick)) and not args.no_memory
    compiled = not args.no_compile and hasattr(ember, "compile")
    mem_steps = 2 if args.quick else 5
    cold = compiled and (args.cold or not (args.smoke or args.quick)) and not args.no_cold

    rates = gemm_rate(libs, repeats=2 if args.smoke or args.quick else 5, clock=clock)
    peak = max(rates.values())
    print(f"fp32 GEMM peak, 1 thread, 1024^3: {peak:.1f} GFLOP/s ("
          + ", ".join(f"{k} {v:.1f}" for k, v in rates.items()) + ")")
    if not compiled:
        print("ember.compile: " + ("skipped" if args.no_compile else "not available"))
    head = f"{'workload':30s} {'torch':>10s} {'ember':>10s} {'e/torch':>8s}"
    if compiled:
        head += (f" {'compiled':>10s} {'c/torch':>8s} {'1st':>9s} {'trace':>9s} {'tr/e':>6s}"
                 f" {'warm tr':>9s} {'wtr/e':>6s} {'e2/e':>6s} {'cold':>6s} {'replay1':>9s}"
                 f" {'tier-up':>9s}")
    if memory:
        head += f" | {'MiB torch':>9s} {'ember':>6s} {'e/t':>5s}"
        head += f" {'compiled':>8s}" if compiled else ""
    print(head)
    gflops = {}
    errors = []
    for name, make, n, mem in WORKLOADS:
        if args.only and args.only not in name:
            continue
        n = 2 if args.smoke else max(int(n * scale), 1)
        steps = {lib: make(mod) for lib, mod in libs.items()}
        first = None
        if compiled:
            # Note [Collect before the first calls]: garbage left by the libraries' set-up (torch's
            # first optimizer imports torch._dynamo, whose inspect.signature calls leave cycles
            # of classes: freeing them took 1-2 ms) is collected here, so that the collection
            # it would trigger does not land in whichever call of the compiled step comes first
            gc.collect()
            cstep, first, err = compile_step(ember, make(ember), clock)
            if cstep is not None:
                steps["compiled"] = cstep
            else:
                errors.append(f"{name}: ember.compile: {err}")
        warm = 1 if args.smoke or args.quick and n < 10 else min(n, 50)
        for lib in list(steps):
            try:
                for _ in range(warm):
                    steps[lib]()
            except Exception as exc:
                if lib != "compiled":
                    raise
                errors.append(f"{name}: compiled step: {first_line(exc)}")
                del steps[lib]
        times = {lib: [] for lib in steps}
        for _ in range(rounds):
            for lib in list(steps):
                try:
                    times[lib].append(time_step(steps[lib], n, clock))
                except Exception as exc:
                    if lib != "compiled":
                        raise
                    errors.append(f"{name}: compiled step: {first_line(exc)}")
                    del steps[lib], times[lib]
        med = {lib: statistics.median(ts) for lib, ts in times.items()}
        warm_tr = warm_ratio = e2_ratio = None
        if "compiled" in med and not args.smoke:
            try:
                warm_tr, warm_ratio, e2_ratio = warm_trace(
                    ember, make, steps["ember"], max(n // 10, 1), clock, 3 if args.quick else 7)
            except Exception as exc:  # noqa: BLE001 (as the compiled step's errors above)
                errors.append(f"{name}: warm trace: {first_line(exc)}")
        ratio = {lib: statistics.median(b / a for a, b in zip(times["torch"], ts))
                 for lib, ts in times.items()}
        line = (f"{name:30s} {fmt_time(med['torch']):>10s} {fmt_time(med['ember']):>10s}"
                f" {ratio['ember']:7.2f}x")
        if compiled:
            c1, ct, cr, cu = first if first is not None else (None, None, None, None)
            tr = f"{ct / med['ember']:5.1f}x" if ct is not None else "n/a"
            wtr = f"{warm_ratio:5.1f}x" if warm_ratio is not None else "n/a"
            e2 = f"{e2_ratio:5.1f}x" if e2_ratio is not None else "n/a"
            cold_ratio = None
            if cold and "compiled" in med and (mem or make in (seed_linear_regression, seed_mlp)):
                cold_ratio = cold_trace(name, 1 if args.smoke else 3)
            cold_cell = f"{cold_ratio:5.1f}x" if cold_ratio is not None else "n/a"
            if "compiled" in med:
                line += f" {fmt_time(med['compiled']):>10s} {ratio['compiled']:7.2f}x"
            else:
                line += f" {'n/a':>10s} {'n/a':>8s}"
            line += (f" {fmt_time(c1):>9s} {fmt_time(ct):>9s} {tr:>6s} {fmt_time(warm_tr):>9s}"
                     f" {wtr:>6s} {e2:>6s} {cold_cell:>6s} {fmt_time(cr):>9s} {fmt_time(cu):>9s}")
        if memory and mem:
            tm = peak_memory("torch", name, mem_steps)
            em = peak_memory("ember", name, mem_steps)
            tk = tm and tm[0]
            ek = em and em[0]
            r = f"{ek / max(tk, 1):4.2f}x" if tk and ek is not None else "n/a"
            line += f" | {_mib(tk):>9s} {_mib(ek):>6s} {r:>5s}"
            if compiled:
                cm = peak_memory("ember-compiled", name, mem_steps) if "compiled" in med \
                    else None
                line += f" {_mib(cm and cm[0]):>8s}"
        print(line, flush=True)
        if make is mlp784:
            gflops = {lib: MLP784_FLOPS / t / 1e9 for lib, t in med.items()}
    if gflops:
        print(f"MLP 784 GFLOP/s (fwd+bwd GEMMs {MLP784_FLOPS / 1e9:.3f} GFLOP/step; "
              f"peak {peak:.1f}): " + ", ".join(
                  f"{lib} {g:.1f} ({100 * g / peak:.0f}%)" for lib, g in gflops.items()))
    for e in errors:
        print("n/a:", e)


if __name__ == "__main__":
    main()
