"""How fast a training step could be on this machine if it did nothing but its matrix products.

    python benchmarks/floors.py                 # the LSTM LM and MLP-784 steps of run.py
    python benchmarks/floors.py --repeats 50

A step can never beat the time of the GEMMs it must do. For a workload of ``run.py`` this
script lists those products (shapes and counts, forward and backward), times each one alone on
one thread with every engine this process has (NumPy's BLAS, ember's product, which is Intel
MKL's under ``ember[mkl]``, and torch's ``mm``) and in each of the four operand layouts (each
operand row- or column-major), keeps the fastest, and adds them up: that sum is the floor. The
same run times torch's eager step of the workload, so the floor is printed as a ratio to it,
next to issue 5's target for ``ember.compile``. Each product's time is the least of
``--repeats`` runs on warm operands, the most favourable figure, so the real floor is higher;
torch's step is likewise its least over ``--rounds`` rounds.
The 1024^3 GEMM rate (the same measurement as ``run.py``'s first line) is printed too, with each
workload's products' rate against it.

A benchmark, not a test (``tests/benchmarks`` only checks that it runs).
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run  # noqa: E402  (benchmarks/run.py: the workloads and the GEMM peak)


def lstm_products():
    """(m, k, n, count) of every product in one step of ``run.lstm_lm``: Embedding(1000, 200),
    LSTM(200, 200) over 35 steps of batch 20, Linear(200, 1000). The input projection and the
    weight gradients are one product over all 700 rows; the recurrence is 35 small ones each
    way."""
    t, b, e, h, v = 35, 20, 200, 200, 1000
    n = t * b
    return [(n, e, 4 * h, 1),          # x W_ih^T
            (b, h, 4 * h, t),          # h_{t-1} W_hh^T, per step
            (n, h, v, 1),              # decoder
            (n, v, h, 1),              # d(decoder input) = dlogits W_out
            (v, n, h, 1),              # dW_out = dlogits^T H
            (b, 4 * h, h, t),          # dh_{t-1} = dgates W_hh, per step
            (4 * h, n, h, 1),          # dW_hh = dgates^T H_prev
            (n, 4 * h, e, 1),          # dx = dgates W_ih (the embedding's gradient)
            (4 * h, n, e, 1)]          # dW_ih = dgates^T X


def mlp784_products():
    """Products of one step of ``run.mlp784`` (784-512-256-10, batch 128): forward, weight
    gradients, and input gradients of the two upper layers (the data needs none)."""
    b, dims = 128, (784, 512, 256, 10)
    out = []
    for i in range(3):
        k, n = dims[i], dims[i + 1]
        out += [(b, k, n, 1), (n, b, k, 1)]
        if i:
            out.append((b, n, k, 1))
    return out


def engines(torch):
    """name -> matmul(a, b, out) on NumPy arrays."""
    import numpy as np
    from ember.backends import get_backend
    found = {"numpy": lambda a, b, o: np.matmul(a, b, out=o)}
    mm = get_backend("cpu").xp.matmul
    if mm is not np.matmul:
        found["ember/MKL"] = lambda a, b, o: mm(a, b, out=o)
    if torch is not None:
        def tmm(a, b, o):
            torch.mm(torch.from_numpy(a), torch.from_numpy(b), out=torch.from_numpy(o))
        found["torch"] = tmm
    return found


def best_time(m, k, n, found, repeats, clock=time.perf_counter):
    """Least time of an (m, k) x (k, n) float32 product over engines and operand layouts."""
    import numpy as np
    rng = np.random.default_rng(0)
    best = (float("inf"), None)
    for a_t in (False, True):
        a = rng.standard_normal((k, m) if a_t else (m, k), dtype=np.float32)
        a = a.T if a_t else a
        for b_t in (False, True):
            b = rng.standard_normal((n, k) if b_t else (k, n), dtype=np.float32)
            b = b.T if b_t else b
            o = np.empty((m, n), np.float32)
            for name, f in found.items():
                f(a, b, o)
                for _ in range(repeats):
                    t = clock()
                    f(a, b, o)
                    dt = clock() - t
                    if dt < best[0]:
                        best = (dt, f"{name}{' A^T' if a_t else ''}{' B^T' if b_t else ''}")
    return best


def torch_step(torch, make, steps, rounds):
    """torch's eager step time for a run.py workload: the least over rounds, as the products'
    times are their least (this host's speed moves by tens of percent within minutes, so a
    median here against minima there would flatter the floor)."""
    step = make(torch)
    step()
    return min(run.time_step(step, steps) for _ in range(rounds))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20, help="runs per product and layout")
    ap.add_argument("--rounds", type=int, default=9, help="rounds of torch's step")
    args = ap.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    import ember
    found = engines(torch)
    peak = run.gemm_rate({"ember": ember, "torch": torch}, repeats=args.repeats)
    print("fp32 GEMM rate, 1 thread, 1024^3: "
          + ", ".join(f"{k} {v:.1f}" for k, v in peak.items()) + " GFLOP/s")
    # (name, products, run.py maker, steps per round, issue 5's ember.compile target)
    workloads = [("LSTM LM", lstm_products(), run.lstm_lm, 10, 0.45),
                 ("MLP 784", mlp784_products(), run.mlp784, 40, 0.65)]
    timed = {}      # (m, k, n) -> (seconds, how): a shape met twice keeps its faster run
    for name, products, make, steps, target in workloads:
        print(f"\n{name}: the step's products, the fastest engine and layout for each")
        total, flops = 0.0, 0
        for m, k, n, count in products:
            got = best_time(m, k, n, found, args.repeats)
            dt, how = timed[(m, k, n)] = min(got, timed.get((m, k, n), got))
            total += dt * count
            flops += 2 * m * k * n * count
            print(f"  ({m:>4} x {k:>4}) . ({k:>4} x {n:>4}) x {count:>2}: "
                  f"{dt * 1e6:8.1f} us each  [{how}]")
        rate = flops / total / 1e9
        line = (f"  floor {total * 1e3:.2f} ms for {flops / 1e9:.3f} GFLOP ({rate:.1f} GFLOP/s, "
                f"{rate / max(peak.values()):.0%} of the best 1024^3 rate)")
        if torch is not None:
            t = torch_step(torch, make, steps, args.rounds)
            line += (f"; torch's eager step {t * 1e3:.2f} ms: floor / torch = {total / t:.2f}x, "
                     f"issue 5's compiled target {target:.2f}x")
        print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
