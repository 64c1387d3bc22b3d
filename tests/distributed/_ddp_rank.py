"""Rank script: DistributedDataParallel (and SyncBatchNorm) on N ranks with per-rank batch B
against one process on batch N * B. Each rank prints ``RESULT <rank> <json>``: per check, the
largest parameter difference or an error text. Arguments: the names of the checks to run."""
import contextlib
import json
import sys
import traceback

import numpy as np

import ember as torch
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.nn.parallel import distributed as ddp_mod

dist.init_process_group("mpi")
R = dist.get_rank()
N = dist.get_world_size()
B = 4
STEPS = 20
ONLY = sys.argv[1:]                      # run only these checks (all when empty)
DTYPE = torch.float32
out = {}


def record(name):
    def deco(fn):
        if ONLY and name not in ONLY:
            return fn
        try:
            out[name] = fn()
        except Exception:  # noqa: BLE001  (reported, not raised)
            out[name] = traceback.format_exc()
        return fn
    return deco


def mlp():
    return nn.Sequential(nn.Linear(12, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 5))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 16),
                         nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 5))


def build(make, seed):
    torch.manual_seed(seed)
    return make().to(DTYPE)


def batches(shape, steps=STEPS, seed=7):
    rng = np.random.default_rng(seed)
    xs = [torch.tensor(rng.standard_normal((N * B,) + shape)).to(DTYPE) for _ in range(steps)]
    ys = [torch.tensor(rng.integers(0, 5, N * B)) for _ in range(steps)]
    return xs, ys


def mine(t):
    return t[R * B:(R + 1) * B]


def max_diff(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    return max(float(np.max(np.abs(sa[k].double().numpy() - sb[k].double().numpy())))
               for k in sa)


def reference(make, shape, accumulate=1):
    model = build(make, 0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    xs, ys = batches(shape, STEPS * accumulate)
    for s in range(STEPS):
        opt.zero_grad()
        for k in range(accumulate):
            i = s * accumulate + k
            (nn.functional.cross_entropy(model(xs[i]), ys[i]) / accumulate).backward()
        opt.step()
    return model


@contextlib.contextmanager
def mpi_path():
    """Build DDPs on MPI's all-reduce although all ranks share this machine (Note
    [Shared-memory buckets] would take over otherwise)."""
    ddp_mod._use_shared_memory = False
    try:
        yield
    finally:
        ddp_mod._use_shared_memory = True


@contextlib.contextmanager
def window_path():
    """Build DDPs on the shared window's copies although the ranks may reach each other's
    memory (Note [Cross-memory reduction] would take over otherwise)."""
    ddp_mod._use_cross_memory = False
    try:
        yield
    finally:
        ddp_mod._use_cross_memory = True


def distributed(make, shape, accumulate=1, sync_bn=False, **ddp_kwargs):
    # ranks other than 0 start from other weights: DDP must broadcast rank 0's
    model = build(make, 0 if R == 0 else 1000 + R)
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = DDP(model, **ddp_kwargs)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    xs, ys = batches(shape, STEPS * accumulate)
    for s in range(STEPS):
        opt.zero_grad()
        for k in range(accumulate):
            i = s * accumulate + k
            # all but the last micro-batch accumulate locally
            ctx = ddp.no_sync() if k < accumulate - 1 else contextlib.nullcontext()
            with ctx:
                loss = nn.functional.cross_entropy(ddp(mine(xs[i])), mine(ys[i]))
                (loss / accumulate).backward()
        opt.step()
    return ddp


@record("mlp")
def _():
    ddp = distributed(mlp, (12,), bucket_cap_mb=0.0001)
    assert len(ddp._buckets) > 1
    assert ddp._shm_win is not None            # one machine: Note [Shared-memory buckets]
    assert all(k.startswith("module.") for k in ddp.state_dict())
    return max_diff(reference(mlp, (12,)), ddp.module)


@record("mlp_window")
def _():
    with window_path():
        ddp = distributed(mlp, (12,), bucket_cap_mb=0.0001)
    assert ddp._shm_win is not None and not ddp._xmem
    return max_diff(reference(mlp, (12,)), ddp.module)


@record("no_sync_window")
def _():
    with window_path():
        ddp = distributed(mlp, (12,), accumulate=2, bucket_cap_mb=0.0001)
    return max_diff(reference(mlp, (12,), accumulate=2), ddp.module)


def grads_after(steps, make, shape, hook=None, **ddp_kwargs):
    """.grad arrays (copies) after ``steps`` backward passes of a fresh DDP."""
    model = build(make, 0)
    if hook is not None:                  # before DDP's own hooks
        for p in model.parameters():
            p.register_post_accumulate_grad_hook(hook)
    ddp = DDP(model, **ddp_kwargs)
    xs, ys = batches(shape, steps)
    for s in range(steps):
        ddp.zero_grad()
        nn.functional.cross_entropy(ddp(mine(xs[s])), mine(ys[s])).backward()
    return ddp, [p.grad.numpy().copy() for p in ddp.module.parameters()]


def same_everywhere(grads):
    everyone = [None] * N
    dist.all_gather_object(everyone, [g.tobytes() for g in grads])
    return all(theirs == everyone[0] for theirs in everyone)


@record("cross_memory")
def _():
    # Note [Cross-memory reduction]: bitwise the shared window's averages, on every rank,
    # written into the engine's own .grad arrays (bumped, not replaced)
    ddp, got = grads_after(3, cnn, (1, 8, 8))
    if not ddp._xmem:
        return "skip: this machine does not let the ranks read each other's memory"
    with window_path():
        _, want = grads_after(3, cnn, (1, 8, 8))
    assert all(a.tobytes() == b.tobytes() for a, b in zip(got, want))
    assert same_everywhere(got)
    seen = {}
    w = ddp.module[0].weight
    w.register_post_accumulate_grad_hook(lambda p: seen.setdefault("array", p.grad.numpy()))
    xs, ys = batches((1, 8, 8), 1)
    ddp.zero_grad()
    nn.functional.cross_entropy(ddp(mine(xs[0])), mine(ys[0])).backward()
    assert w.grad.numpy() is seen["array"]
    return 0.0


@record("cross_memory_odd_grads")
def _():
    # gradients the other ranks cannot write in place (Fortran order, one array given to two
    # parameters) travel as private copies; the averages stay the shared window's (the hooks
    # that make them run before DDP's, where both paths see the same gradients)
    def odd(p):
        if p.dim() == 2 and p.shape[0] == p.shape[1]:
            p.grad = torch.from_numpy(np.asfortranarray(p.grad.numpy()))
        if p.dim() == 1 and p.shape[0] == 16:
            # the two 16-element biases end up sharing one array (same values on all ranks'
            # twins, so the averages agree)
            shared.setdefault("bias", p.grad)
            p.grad = shared["bias"]

    shared = {}
    ddp, got = grads_after(2, mlp, (12,), hook=odd)
    if not ddp._xmem:
        return "skip: this machine does not let the ranks read each other's memory"
    # one array under two parameters went out as two (else both ranges would be divided twice)
    assert len(set(ddp._x_addrs[R].tolist())) == len(ddp._params)
    shared.clear()
    with window_path():
        _, want = grads_after(2, mlp, (12,), hook=odd)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(got, want))
    assert same_everywhere(got)
    return 0.0


@record("cross_memory_refused")
def _():
    # one rank cannot read the others' memory: every rank keeps the shared window
    saved = ddp_mod._vm_calls()
    if saved is None:
        return 0.0
    if R == 1:
        ddp_mod._vm = (lambda *a: -1, lambda *a: -1)
    try:
        ddp = DDP(build(mlp, 0))
    finally:
        ddp_mod._vm = saved
    assert ddp._shm_win is not None and not ddp._xmem
    return 0.0


@record("mlp_mpi")
def _():
    with mpi_path():
        ddp = distributed(mlp, (12,), bucket_cap_mb=0.0001)
    assert ddp._shm_win is None and len(ddp._buckets) > 1
    return max_diff(reference(mlp, (12,)), ddp.module)


@record("no_sync_mpi")
def _():
    with mpi_path():
        ddp = distributed(mlp, (12,), accumulate=2, bucket_cap_mb=0.0001)
    return max_diff(reference(mlp, (12,), accumulate=2), ddp.module)


@record("first_bucket")
def _():
    # torch's layout: parameters in reverse order, a first bucket of at most 1 MB (so the
    # last layers' gradients go out early) and later ones up to bucket_cap_mb; a parameter
    # that would overflow a bucket starts the next one
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    ddp = DDP(model)
    names = [[ddp._names[i] for i in b.members] for b in ddp._buckets]
    assert names == [["4.bias", "4.weight", "2.bias", "2.weight", "0.bias"], ["0.weight"]], names
    assert ddp._buckets[0].buf.nbytes <= 1024 * 1024 < ddp._buckets[1].buf.nbytes
    ddp = DDP(model, bucket_cap_mb=0.5)
    assert [len(b.members) for b in ddp._buckets] == [3, 1, 1, 1], \
        [[ddp._names[i] for i in b.members] for b in ddp._buckets]
    return 0.0


@record("shared_identical")
def _():
    # every rank adds the same slots in the same order: bitwise the same averages everywhere,
    # written into the .grad tensors the engine made (and bumped), buckets used in turn
    ddp = DDP(build(cnn, 0))
    assert ddp._shm_win is not None
    xs, ys = batches((1, 8, 8), 3)
    for s in range(3):
        ddp.zero_grad()
        nn.functional.cross_entropy(ddp(mine(xs[s])), mine(ys[s])).backward()
        assert ddp._shm_step == s + 1
    grads = [p.grad.numpy() for p in ddp.module.parameters()]
    everyone = [None] * N
    dist.all_gather_object(everyone, grads)
    for theirs in everyone:
        for a, b in zip(grads, theirs):
            assert a.tobytes() == b.tobytes()
    return 0.0


@record("mlp_bucket_view")
def _():
    ddp = distributed(mlp, (12,), bucket_cap_mb=0.0001, gradient_as_bucket_view=True)
    p = ddp.module[0].weight
    assert np.shares_memory(p.grad.numpy(), ddp._buckets[-1].buf)
    return max_diff(reference(mlp, (12,)), ddp.module)


@record("cnn_sync_bn")
def _():
    # float64: in float32 the running statistics drift apart by a few 1e-6 in 20 steps, from
    # rounding alone (the single process sums in float32, SyncBatchNorm in float64)
    global DTYPE
    DTYPE = torch.float64
    try:
        ddp = distributed(cnn, (1, 8, 8), sync_bn=True, bucket_cap_mb=0.001)
        assert isinstance(ddp.module[1], nn.SyncBatchNorm)
        return max_diff(reference(cnn, (1, 8, 8)), ddp.module)
    finally:
        DTYPE = torch.float32


@record("no_sync")
def _():
    ddp = distributed(mlp, (12,), accumulate=2, bucket_cap_mb=0.0001)
    return max_diff(reference(mlp, (12,), accumulate=2), ddp.module)


@record("overlap")
def _():
    # with small buckets, the last layer's bucket is on the wire before the first layer's
    # gradient exists: communication started from the hooks, during backward
    with mpi_path():
        ddp = DDP(build(mlp, 0), bucket_cap_mb=0.0001)
    seen = {}
    last = ddp.module[4].bias

    def probe(p):
        seen["launched"] = ddp._next
        seen["first_layer_ready"] = ddp._ready[0]

    last.register_post_accumulate_grad_hook(probe)
    xs, ys = batches((12,), 1)
    nn.functional.cross_entropy(ddp(mine(xs[0])), mine(ys[0])).backward()
    assert seen["launched"] >= 1 and not seen["first_layer_ready"], seen
    return 0.0


@record("overlap_shared")
def _():
    # shared buckets: the last layer's gradient is in this rank's slot (where the other ranks
    # read it) while the first layer's gradient does not exist yet
    with window_path():
        ddp = DDP(build(mlp, 0), bucket_cap_mb=0.0001)
    seen = {}
    last = ddp.module[4].bias

    def probe(p):
        i = ddp._index[id(p)]
        bucket, off = ddp._where[i]
        slot = bucket.buf[off:off + p.numel()]
        seen["in_slot"] = bool(np.array_equal(slot, p.grad.numpy() / N))
        seen["shared"] = any(np.shares_memory(bucket.buf, a)
                             for a in ddp._shm_bufs[1][bucket.index])
        seen["first_layer_ready"] = ddp._ready[0]

    last.register_post_accumulate_grad_hook(probe)
    xs, ys = batches((12,), 1)
    nn.functional.cross_entropy(ddp(mine(xs[0])), mine(ys[0])).backward()
    assert seen == {"in_slot": True, "shared": True, "first_layer_ready": False}, seen
    return 0.0


@record("shared_windows_freed")
def _():
    # a DDP's window outlives it until a later DDP on the group finds it dead on every rank
    import gc
    pg = ddp_mod.DistributedDataParallel(build(mlp, 0))._pg
    gc.collect()
    before = len(pg.windows)
    for _ in range(3):
        DDP(build(mlp, 0))
        gc.collect()
    ddp = DDP(build(mlp, 0))
    assert len(pg.windows) == 1 and pg.windows[0][1]() is ddp, (before, len(pg.windows))
    return 0.0


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 3)
        self.b = nn.Linear(6, 3)          # used on rank 0 only
        self.c = nn.Linear(6, 3)          # never used

    def forward(self, x):
        return self.a(x) + (self.b(x) if R == 0 else 0)


def unused():
    torch.manual_seed(3)
    model = Branchy().to(DTYPE)
    ddp = DDP(model, find_unused_parameters=True)
    x = torch.ones(2, 6, dtype=DTYPE)
    for _ in range(2):
        ddp.zero_grad()
        ddp(x).sum().backward()
    assert model.c.weight.grad is None
    expect_b = 2.0 / N                    # rank 0's gradient (2 rows of ones), averaged
    assert np.allclose(model.b.weight.grad.numpy(), expect_b), model.b.weight.grad
    assert np.allclose(model.a.weight.grad.numpy(), 2.0)
    return 0.0


@record("unused")
def _():
    return unused()


@record("unused_window")
def _():
    with window_path():
        return unused()


@record("unused_mpi")
def _():
    with mpi_path():
        return unused()


@record("unused_error")
def _():
    torch.manual_seed(3)
    ddp = DDP(Branchy().to(DTYPE))
    try:
        ddp(torch.ones(2, 6, dtype=DTYPE)).sum().backward()
    except RuntimeError as e:
        assert "c.weight" in str(e) and "find_unused_parameters=True" in str(e), str(e)
        return 0.0
    raise AssertionError("backward with unused parameters did not raise")


@record("after_destroy")
def _():
    # last: the group (and with it the shared buckets) goes away; the DDP says so
    ddp = DDP(build(mlp, 0))
    dist.destroy_process_group()
    try:
        ddp(torch.ones(2, 12))
    except RuntimeError as e:
        assert "process group was destroyed" in str(e), str(e)
        return 0.0
    raise AssertionError("forward after destroy_process_group did not raise")


print("RESULT", R, json.dumps(out), flush=True)
