"""Rank script: every collective against NumPy. Each rank prints ``RESULT <rank> <json>`` with
one entry per check: "ok" or the error text."""
import json
import sys
import traceback

import numpy as np

import ember as torch
import ember.distributed as dist

dist.init_process_group("mpi")
R = dist.get_rank()
N = dist.get_world_size()
checks = {}


def check(fn):
    try:
        fn()
        checks[fn.__name__] = "ok"
    except Exception:  # noqa: BLE001  (reported, not raised)
        checks[fn.__name__] = traceback.format_exc()
    return fn


def data(rank, shape=(3, 4), dtype=np.float64):
    a = np.random.default_rng(100 + rank).standard_normal(shape) * 3
    return a.astype(dtype)


def all_data(shape=(3, 4), dtype=np.float64):
    return [data(r, shape, dtype) for r in range(N)]


def close(t, expected, tol=1e-6):
    got = t.numpy() if hasattr(t, "numpy") else np.asarray(t)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@check
def test_rank_and_size():
    assert dist.is_initialized() and dist.is_available()
    assert N == int(sys.argv[1]) and 0 <= R < N
    assert dist.get_backend() == "mpi"


@check
def test_all_reduce_ops():
    xs = all_data()
    for op, ref in ((dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod),
                    (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.MAX, np.max),
                    (dist.ReduceOp.AVG, np.mean)):
        t = torch.tensor(data(R))
        v = t._version
        assert dist.all_reduce(t, op=op) is None
        close(t, ref(np.stack(xs), axis=0))
        assert t._version > v


@check
def test_all_reduce_dtypes():
    for dt in (np.float32, np.int64, np.int32, np.float16):
        t = torch.tensor((data(R) * 10).astype(dt))
        dist.all_reduce(t)
        expect = sum((data(r) * 10).astype(dt).astype(np.float64) for r in range(N))
        assert t.numpy().dtype == dt
        close(t, expect, tol=0.1 if dt == np.float16 else 1e-5)
    b = torch.tensor(np.array([R == 0, False, True]))
    dist.all_reduce(b)
    assert b.tolist() == [True, False, True]
    c = torch.tensor(data(R).astype(np.complex128) * (1 + 1j))
    dist.all_reduce(c)
    close(c, sum(all_data()) * (1 + 1j))


@check
def test_all_reduce_noncontiguous_and_async():
    base = torch.tensor(data(R, (4, 6)))
    view = base[:, ::2]
    work = dist.all_reduce(view, async_op=True)
    work.wait()
    assert work.is_completed()
    full = sum(all_data((4, 6)))
    close(base[:, ::2], full[:, ::2])
    close(base[:, 1::2], data(R, (4, 6))[:, 1::2])
    w2 = dist.all_reduce(torch.ones(3), async_op=True)
    while not w2.is_completed():
        pass
    assert w2.wait() is True
    close(w2.result()[0], np.full(3, N))


@check
def test_broadcast():
    src = N - 1
    t = torch.tensor(data(R))
    dist.broadcast(t, src=src)
    close(t, data(src))
    s = torch.tensor(np.arange(6, dtype=np.int64).reshape(2, 3) * (R + 1))
    dist.broadcast(s.t(), 0)
    assert s.tolist() == np.arange(6).reshape(2, 3).tolist()


@check
def test_reduce():
    t = torch.tensor(data(R))
    dist.reduce(t, dst=1, op=dist.ReduceOp.MAX)
    if R == 1:
        close(t, np.max(np.stack(all_data()), axis=0))


@check
def test_all_gather():
    out = [torch.zeros(3, 4, dtype=torch.float64) for _ in range(N)]
    dist.all_gather(out, torch.tensor(data(R)))
    for r in range(N):
        close(out[r], data(r))
    cat = torch.zeros(3 * N, 4, dtype=torch.float64)
    dist.all_gather_into_tensor(cat, torch.tensor(data(R)))
    close(cat, np.concatenate(all_data()))
    stk = torch.zeros(N, 3, 4, dtype=torch.float64)
    dist.all_gather_into_tensor(stk, torch.tensor(data(R)))
    close(stk, np.stack(all_data()))


@check
def test_reduce_scatter():
    ins = [torch.tensor(data(R * 10 + j, (2, 2))) for j in range(N)]
    out = torch.zeros(2, 2, dtype=torch.float64)
    dist.reduce_scatter(out, ins)
    close(out, sum(data(r * 10 + R, (2, 2)) for r in range(N)))
    big = torch.tensor(data(R, (2 * N, 3)))
    out2 = torch.zeros(2, 3, dtype=torch.float64)
    dist.reduce_scatter_tensor(out2, big, op=dist.ReduceOp.AVG)
    close(out2, np.mean([data(r, (2 * N, 3))[2 * R:2 * R + 2] for r in range(N)], axis=0))


@check
def test_gather_scatter():
    dst = N - 1
    lst = [torch.zeros(3, 4, dtype=torch.float64) for _ in range(N)] if R == dst else None
    dist.gather(torch.tensor(data(R)), lst, dst=dst)
    if R == dst:
        for r in range(N):
            close(lst[r], data(r))
    out = torch.zeros(5, dtype=torch.int64)
    sl = [torch.arange(5) * (j + 1) for j in range(N)] if R == 0 else None
    dist.scatter(out, sl, src=0)
    assert out.tolist() == (np.arange(5) * (R + 1)).tolist()


@check
def test_all_to_all():
    # rank i sends (i + j + 1) elements valued 100 * i + j to rank j
    ins = [torch.full((R + j + 1,), float(100 * R + j)) for j in range(N)]
    outs = [torch.zeros(j + R + 1) for j in range(N)]
    dist.all_to_all(outs, ins)
    for j in range(N):
        assert outs[j].tolist() == [float(100 * j + R)] * (j + R + 1)
    single_in = torch.arange(2 * N, dtype=torch.float64) + 1000 * R
    single_out = torch.zeros(2 * N, dtype=torch.float64)
    dist.all_to_all_single(single_out, single_in)
    expect = np.concatenate([np.arange(2 * R, 2 * R + 2) + 1000 * j for j in range(N)])
    close(single_out, expect)


@check
def test_send_recv():
    nxt, prv = (R + 1) % N, (R - 1) % N
    t = torch.tensor(data(R))
    got = torch.zeros(3, 4, dtype=torch.float64)
    if R % 2 == 0:
        dist.send(t, nxt)
        src = dist.recv(got, prv)
    else:
        src = dist.recv(got, prv)
        dist.send(t, nxt)
    assert src == prv
    close(got, data(prv))
    rw = dist.irecv(got, src=None)
    sw = dist.isend(torch.tensor(data(R) * 2), nxt)
    sw.wait()
    rw.wait()
    assert rw.source_rank() == prv
    close(got, data(prv) * 2)


@check
def test_objects():
    objs = [{"rank": R, "lr": 0.1, "t": torch.arange(3) + R, "name": "x" * R}, None, (1, 2.5)] \
        if R == 1 else [None, None, None]
    dist.broadcast_object_list(objs, src=1)
    assert objs[0]["rank"] == 1 and objs[0]["name"] == "x" and objs[2] == (1, 2.5)
    assert objs[0]["t"].tolist() == [1, 2, 3]
    gathered = [None] * N
    dist.all_gather_object(gathered, {"r": R, "big": 2 ** 70 + R, "s": {R}, "b": b"\x00" * R})
    assert [g["r"] for g in gathered] == list(range(N))
    assert [g["big"] for g in gathered] == [2 ** 70 + r for r in range(N)]
    assert gathered[N - 1]["b"] == b"\x00" * (N - 1)
    lst = [None] * N if R == 0 else None
    dist.gather_object(R * 1.5, lst, dst=0)
    if R == 0:
        assert lst == [r * 1.5 for r in range(N)]


@check
def test_objects_refuse_code():
    try:
        dist.all_gather_object([None] * N, object())
    except TypeError as e:
        assert "no pickle" in str(e)
    else:
        raise AssertionError("an arbitrary object was sent")


@check
def test_new_group():
    members = [0, N - 1]
    g = dist.new_group(members)
    if R in members:
        t = torch.tensor([float(R)])
        dist.all_reduce(t, group=g)
        assert t.item() == float(N - 1)
        assert dist.get_world_size(g) == 2
        assert dist.get_rank(g) == members.index(R)
        b = torch.tensor([float(R)])
        dist.broadcast(b, src=N - 1, group=g)
        assert b.item() == N - 1
    else:
        assert g == dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(g) == -1
    dist.barrier()


@check
def test_barrier_async():
    w = dist.barrier(async_op=True)
    w.wait()
    assert w.is_completed()


@check
def test_distributed_sampler_defaults():
    from ember.utils.data.distributed import DistributedSampler
    s = DistributedSampler(list(range(10)), shuffle=False)
    assert s.num_replicas == N and s.rank == R
    shards = [None] * N
    dist.all_gather_object(shards, list(s))
    flat = sorted(i for sh in shards for i in sh)
    assert set(flat) == set(range(10))


print("RESULT", R, json.dumps(checks), flush=True)
dist.destroy_process_group()
assert not dist.is_initialized()
