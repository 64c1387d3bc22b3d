"""ember.distributed pieces that need no MPI job: the safe object encoding, DistributedSampler,
SyncBatchNorm's single-process behaviour, errors before init_process_group, the launcher's
command line, and importing ember without mpi4py."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
import ember.distributed as dist
from ember.distributed import _encoding
from ember.distributed.run import build_command
from ember.utils.data.distributed import DistributedSampler


# -- safe encoding ----------------------------------------------------------------------------
def test_encoding_round_trip():
    obj = {"a": [1, -2 ** 80, 2.5, 1 + 2j, None, True, False], ("t", 1): b"\x00\xff",
           "s": {1, 2}, "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
           "t": ember.tensor([[1.5, 2.0]], requires_grad=True), "dt": ember.float16,
           "u": "ünï"}
    back = _encoding.decode(_encoding.encode(obj))
    assert back["a"] == obj["a"] and back[("t", 1)] == b"\x00\xff" and back["s"] == {1, 2}
    assert back["arr"].dtype == np.int16 and back["arr"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["t"].requires_grad and back["t"].tolist() == [[1.5, 2.0]]
    assert back["dt"] is ember.float16 and back["u"] == "ünï"


@pytest.mark.parametrize("obj", [object(), np.array([object()], dtype=object), print,
                                 type("C", (), {})()])
def test_encoding_refuses_arbitrary_objects(obj):
    with pytest.raises(TypeError, match="cannot send"):
        _encoding.encode(obj)


@pytest.mark.parametrize("raw", [b"", b"EMB1", b"EMB1q", b"EMB1l" + b"\xff" * 8,
                                 b"EMB1N" + b"x", b"PICK" + b"N",
                                 _encoding.encode([1, 2])[:-3]])
def test_decoding_rejects_malformed(raw):
    with pytest.raises(ValueError):
        _encoding.decode(raw)


def test_decoding_rejects_object_dtype():
    good = _encoding.encode(np.zeros(2, np.int8))
    forged = good.replace(b"int8", b"O\x00\x00\x00")
    with pytest.raises(ValueError):
        _encoding.decode(forged)


# -- DistributedSampler -----------------------------------------------------------------------
@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (9, 3, False),
                                                  (2, 4, False), (11, 4, True)])
def test_sampler_matches_torch_without_shuffle(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        ref = torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                  drop_last=drop_last)
        assert list(ours) == list(ref)
        assert len(ours) == len(ref)


@pytest.mark.parametrize("n,replicas", [(12, 3), (10, 3), (7, 2)])
def test_sampler_shards_partition_each_epoch(n, replicas):
    orders = []
    for epoch in range(3):
        shards = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), replicas, rank, seed=5)
            s.set_epoch(epoch)
            shards.append(list(s))
        flat = [i for sh in shards for i in sh]
        assert len({len(sh) for sh in shards}) == 1
        assert set(flat) == set(range(n))                    # every sample, every epoch
        assert len(flat) - len(set(flat)) == (-n) % replicas  # padding only
        orders.append(flat)
    assert orders[0] != orders[1]
    dropped = [list(DistributedSampler(range(n), replicas, r, drop_last=True))
               for r in range(replicas)]
    flat = [i for sh in dropped for i in sh]
    assert len(flat) == len(set(flat)) == n - n % replicas


def test_sampler_warns_without_set_epoch():
    s = DistributedSampler(range(8), 2, 0)
    first = list(s)
    with pytest.warns(UserWarning, match="set_epoch"):
        assert list(s) == first
    s.set_epoch(1)
    list(s)
    unshuffled = DistributedSampler(range(8), 2, 0, shuffle=False)
    list(unshuffled)
    list(unshuffled)                        # nothing to warn about without shuffling


def test_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval "
                                         r"\[0, 2\]"):
        DistributedSampler(range(4), 3, 3)
    with pytest.raises(ValueError, match="has not been initialized"):
        DistributedSampler(range(4))


def test_sampler_exported():
    assert ember.utils.data.DistributedSampler is DistributedSampler


# -- before init / without mpi4py ---------------------------------------------------------
def test_queries_before_init():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(ember.ones(2))
    with pytest.raises(ValueError, match="has not been initialized"):
        ember.nn.parallel.DistributedDataParallel(ember.nn.Linear(2, 2))


def test_init_says_what_to_install(monkeypatch):
    from ember.distributed import process_group
    monkeypatch.setattr(process_group, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r'pip install "ember\[distributed\]"'):
        dist.init_process_group("mpi")
    with pytest.raises(ValueError, match="'mpi' backend"):
        dist.init_process_group("nccl")


def test_reduce_op_names():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        assert getattr(dist.ReduceOp, name).name == getattr(torch.distributed.ReduceOp,
                                                            name).name


def test_import_without_mpi4py():
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'mpi4py':\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "import ember, ember.distributed as dist, ember.nn.parallel\n"
            "assert not dist.is_available()\n"
            "try:\n"
            "    dist.init_process_group()\n"
            "except RuntimeError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install" in out.stdout and "mpi4py" in out.stdout


# -- SyncBatchNorm in one process ---------------------------------------------------------------
def test_sync_batchnorm_without_group_is_batchnorm():
    ember.manual_seed(0)
    x = ember.randn(6, 3, 4, 4)
    sbn, bn = ember.nn.SyncBatchNorm(3), ember.nn.BatchNorm2d(3)
    y1, y2 = sbn(x), bn(x)
    np.testing.assert_allclose(y1.detach().numpy(), y2.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(sbn.running_var.numpy(), bn.running_var.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        sbn(ember.ones(3))


def test_convert_sync_batchnorm_like_torch():
    def build(nn):
        return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2),
                             nn.Sequential(nn.Flatten(), nn.BatchNorm1d(8)))
    ours = ember.nn.SyncBatchNorm.convert_sync_batchnorm(build(ember.nn))
    ref = torch.nn.SyncBatchNorm.convert_sync_batchnorm(build(torch.nn))
    assert [type(m).__name__ for m in ours.modules()] == \
        [type(m).__name__ for m in ref.modules()]
    assert list(ours.state_dict()) == list(ref.state_dict())
    bn = build(ember.nn)
    conv = ember.nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert conv[1].weight is bn[1].weight and conv[1].running_mean is bn[1].running_mean


# -- launcher --------------------------------------------------------------------------------
def test_launcher_command():
    cmd, env, dry = build_command(["-n", "3", "--dry-run", "train.py", "--lr", "0.1"], env={})
    assert dry and cmd[1:3] == ["-n", "3"] and cmd[-3:] == ["train.py", "--lr", "0.1"]
    assert cmd[-4] == sys.executable
    assert env["OMP_NUM_THREADS"] == str(max(1, (__import__("os").cpu_count() or 1) // 3))
    cmd, env, _ = build_command(["-n", "8", "--hostfile", "hosts", "train.py"], env={})
    assert ["--hostfile", "hosts"] == cmd[cmd.index("--hostfile"):cmd.index("--hostfile") + 2]
    assert "OMP_NUM_THREADS" not in env and "--oversubscribe" not in cmd
    _, env, _ = build_command(["-n", "2", "t.py"], env={"OMP_NUM_THREADS": "7"})
    assert env["OMP_NUM_THREADS"] == "7"


# -- engine support for DistributedDataParallel --------------------------------------------------
def test_ready_leaves_fire_during_backward_and_callbacks_after():
    from ember.autograd import engine
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 2))
    first, last = model[0].weight, model[2].bias
    events = []

    def hook(p):
        events.append(("ready", "last" if p is last else "first",
                       first.grad is not None))
        if p is last:
            engine.queue_callback(lambda: events.append(("done", first.grad is not None)))

    handles = [p.register_post_accumulate_grad_hook(hook) for p in (first, last)]
    engine.want_ready_leaves(True)
    try:
        x = ember.randn(5, 3)
        model(x).sum().backward()
    finally:
        engine.want_ready_leaves(False)
        for h in handles:
            h.remove()
    # the last layer's bias was ready (and its hook ran) before the first layer's weight had a
    # gradient; the queued callback ran once backward was over
    assert events == [("ready", "last", False), ("ready", "first", True), ("done", True)]
    ref = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 2))
    ref.load_state_dict(model.state_dict())
    ref(x).sum().backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6)


def test_queued_callbacks_dropped_when_backward_fails():
    from ember.autograd import engine
    w = ember.ones(2, requires_grad=True)
    y = (w * 2).sum()
    y.backward(retain_graph=True)

    def bad(g):
        engine.queue_callback(lambda: pytest.fail("callback of a failed backward ran"))
        raise RuntimeError("hook failed")

    h = w.register_hook(bad)
    with pytest.raises(RuntimeError, match="hook failed"):
        y.backward()
    h.remove()
    assert engine._queued == []


# -- Note [Cross-memory reduction]: the probe ---------------------------------------------------
def test_cross_memory_probe():
    import os

    from ember.nn.parallel import distributed as ddp_mod
    if ddp_mod._vm_calls() is None:
        pytest.skip("no process_vm_readv here")
    me = np.array([os.getpid(), 1, 0x656D626572], np.int64)
    other = np.array([os.getpid(), 0, 0x656D626572], np.int64)
    pid = os.getpid()
    if not ddp_mod._probe_peers([(pid, other.ctypes.data), (pid, me.ctypes.data)], 0):
        pytest.skip("this process may not read its own memory through process_vm_readv")
    # rank 1's buffer holds rank 0's pattern: another process, or not a probe at all
    assert not ddp_mod._probe_peers([(pid, other.ctypes.data), (pid, other.ctypes.data)], 0)
    # no such process (pids are below 2**22 on Linux)
    assert not ddp_mod._probe_peers([(pid, other.ctypes.data), (2 ** 22 + 7, 4096)], 0)
