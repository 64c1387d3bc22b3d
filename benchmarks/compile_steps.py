"""Step times of torch, ember eager and ember.compile on the benchmark workloads, interleaved
rounds, process CPU time, one BLAS/intra-op thread; also the first (eager) call and the second
(the trace) call of the compiled step, the latter also as a multiple of an eager step. run.py
prints the same and more (a warm trace, the first replay, the tier-up).

    python benchmarks/compile_steps.py                 # every training workload
    python benchmarks/compile_steps.py linreg lenet    # some of them
"""
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.run import (import_lib, lenet, lstm_lm, mlp784, seed_linear_regression,  # noqa
                            seed_mlp, time_step, transformer_lm)

WORKLOADS = [("linreg", seed_linear_regression, 2000), ("seed mlp", seed_mlp, 2000),
             ("mlp784 adam", mlp784, 30), ("lenet", lenet, 15), ("transformer", transformer_lm, 3),
             ("lstm", lstm_lm, 5)]


def main(only):
    torch = import_lib("torch")
    import ember
    for name, make, n in WORKLOADS:
        if only and name not in only:
            continue
        st, se = make(torch), make(ember)
        sc = ember.compile(make(ember))
        t0 = time.process_time()
        sc()
        t1 = time.process_time()
        sc()
        t2 = time.process_time()
        for f in (st, se, sc):
            for _ in range(min(n, 30)):
                f()
        ts = {"torch": [], "eager": [], "compiled": []}
        for _ in range(5):
            for k, f in (("torch", st), ("eager", se), ("compiled", sc)):
                ts[k].append(time_step(f, n, time.process_time))
        med = {k: statistics.median(v) for k, v in ts.items()}
        rc = statistics.median(c / t for c, t in zip(ts["compiled"], ts["torch"]))
        re = statistics.median(c / t for c, t in zip(ts["eager"], ts["torch"]))
        print(f"{name:12s} torch {med['torch'] * 1e6:9.1f}us  eager {med['eager'] * 1e6:9.1f}us "
              f"({re:.2f}x)  compiled {med['compiled'] * 1e6:9.1f}us ({rc:.3f}x)  "
              f"1st call {1e3 * (t1 - t0):.1f}ms  trace call {1e3 * (t2 - t1):.1f}ms "
              f"({(t2 - t1) / med['eager']:.1f}x eager)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
