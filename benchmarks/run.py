"""Run the same torch-API code under torch and ember, alternating, and print ratios.

    python benchmarks/run.py            # every workload
    python benchmarks/run.py --quick    # fewer repeats (under a minute)

Each workload is a function ``make(lib) -> step`` written against the torch API; ``lib`` is the
``torch`` module or ``ember``. Both run in this process with one BLAS/intra-op thread, in
interleaved rounds; the table shows the median time per step and ember/torch."""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

import ember  # noqa: E402

torch.set_num_threads(1)


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


WORKLOADS = [("seed linear regression step", seed_linear_regression, 2000),
             ("seed MLP step", seed_mlp, 2000),
             ("MLP 784-512-256-10 Adam step", mlp784, 40),
             ("LeNet-5 SGD-momentum step", lenet, 20)]
for _expr in ("a + b", "a * b", "a.sum()", "a @ b (2x2)"):
    for _g in (False, True):
        WORKLOADS.append((f"{_expr}{' (grad)' if _g else ''}",
                          (lambda e, g: lambda lib: _tiny(lib, e, g))(_expr, _g), 20000))


def time_step(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and steps")
    ap.add_argument("--only", default=None, help="run workloads whose name contains this text")
    args = ap.parse_args()
    rounds = 3 if args.quick else 7
    scale = 0.25 if args.quick else 1.0
    print(f"{'workload':34s} {'torch':>12s} {'ember':>12s} {'ember/torch':>12s}")
    for name, make, n in WORKLOADS:
        if args.only and args.only not in name:
            continue
        n = max(int(n * scale), 10)
        steps = {"torch": make(torch), "ember": make(ember)}
        for s in steps.values():
            for _ in range(min(n, 50)):
                s()
        times = {"torch": [], "ember": []}
        for _ in range(rounds):
            for lib in ("torch", "ember"):
                times[lib].append(time_step(steps[lib], n))
        t, e = statistics.median(times["torch"]), statistics.median(times["ember"])
        print(f"{name:34s} {t * 1e6:10.2f}µs {e * 1e6:10.2f}µs {e / t:11.2f}x")


if __name__ == "__main__":
    main()
