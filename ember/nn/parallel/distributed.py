"""DistributedDataParallel: one model replica per rank, gradients averaged over ranks during
backward.

Note [Gradient buckets]. At construction the parameters that require grad are laid out, in
reverse registration order (roughly the order backward produces their gradients), in flat
per-dtype buffers of at most ``bucket_cap_mb`` (the first one smaller, so communication starts
early). Each parameter carries a post-accumulate-grad hook; the engine fires it as soon as that
parameter's gradient is complete (Note [Ready leaves] in autograd/engine.py), the hook copies the
gradient into its bucket slot, and a bucket whose slots are all filled starts a non-blocking
MPI all-reduce while backward goes on with earlier layers. Buckets start strictly in index
order, so every rank issues the same sequence of collectives. A callback queued on the engine
runs when backward ends: it waits for the reductions (of gradients divided by the world size on
their way into the bucket) and writes the averages back into ``.grad`` (or leaves them where they
are: with ``gradient_as_bucket_view`` the ``.grad`` tensors are views of the buckets).

Note [Shared-memory buckets]. When every rank of the group runs on one machine (at most
``_SHARED_MAX_RANKS`` of them), the buckets live in an MPI shared-memory window instead, each rank
owning one segment, and no message is sent at all: the hooks write the (pre-divided) gradients
into this rank's segment, and when backward ends each rank publishes the number of the reduction
in its segment's header, waits until every other rank has published the same number, and adds
the ranks' slots, in rank order, straight into ``.grad``. That is one pass over the gradients
(MPI's all-reduce on two ranks costs several, plus a handshake per message segment, and its
non-blocking form moves on only inside MPI calls) and one synchronisation per step. Every rank
adds the same numbers in the same order, so all ranks get bitwise the same averages. Each
segment holds two sets of buckets, used in turn: a rank writes set k % 2 for reduction k only
after it has seen every rank publish k - 1, and a rank publishes k - 1 only after it finished
reading the set of reduction k - 2, so nobody overwrites a bucket another rank still reads, and no
second handshake is needed. ``gradient_as_bucket_view`` keeps the MPI path (its ``.grad`` views
must stay put). The wait goes through ``ProcessGroup.wait_until``: past the timeout it names the
ranks that never arrived, as every collective does. Freeing a window is collective, so a dead
DDP's window stays until the next DDP built on the group (all ranks vote on which owners are
gone everywhere) or until the group is destroyed.
"""
import contextlib
import os
import weakref

import numpy as np

from ...autograd import engine
from ...autograd.node import AccumulateGrad, Slot
from ...tensor import wrap
from ...utils._nested import flatten_tensors
from ..modules.module import Module

_FIRST_BUCKET_BYTES = 1024 * 1024
# Note [Shared-memory buckets]: each rank reads every rank's slots, so the cost grows with the
# ranks; beyond a few, MPI's all-reduce (which splits the work) is the better deal.
_SHARED_MAX_RANKS = 4
# two sets of buckets per rank; bigger models keep MPI's all-reduce rather than double their
# gradients' memory
_SHARED_MAX_BYTES = 1 << 30
_use_shared_memory = True            # tests turn it off to exercise the MPI path on one machine


class _Bucket:
    __slots__ = ("buf", "index", "members", "mpi_type")

    def __init__(self, index, dtype, members, numel):
        self.index = index
        self.buf = np.zeros(numel, dtype)
        self.members = members          # parameter indices, in slot order
        self.mpi_type = None


class DistributedDataParallel(Module):
    """DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=True, init_sync=True, process_group=None, bucket_cap_mb=None,
    find_unused_parameters=False, check_reduction=False, gradient_as_bucket_view=False,
    static_graph=False): data parallelism over the ranks of ``process_group``.

    Construction broadcasts rank 0's parameters and buffers to every rank. Each ``backward``
    averages the parameters' gradients over the ranks, in buckets reduced while backward is
    still running (Note [Gradient buckets]). Inside ``no_sync()`` gradients only accumulate
    locally; the next synchronised backward reduces the accumulated sum. With
    ``broadcast_buffers``, rank 0's buffers are copied to all ranks before each forward.

    Parameters that do not take part in the loss need ``find_unused_parameters=True``;
    without it, backward raises and names them. ``state_dict()`` keys carry the ``module.``
    prefix, as torch's do.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        from ... import distributed as dist
        from ...distributed import process_group as pgmod
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure "
                             "to call init_process_group.")
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got "
                            f"{type(module).__name__}")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb)
                                    * 1024 * 1024)
        pg = pgmod.resolve(process_group)
        object.__setattr__(self, "_pg", pg)
        object.__setattr__(self, "_world", pg.size())
        object.__setattr__(self, "_MPI", pgmod.MPI)
        names = {id(p): n for n, p in module.named_parameters()}
        object.__setattr__(self, "_params", params)
        object.__setattr__(self, "_names", [names[id(p)] for p in params])
        object.__setattr__(self, "_index", {id(p): i for i, p in enumerate(params)})
        self._verify_same_model()
        if init_sync:
            self._sync_params_and_buffers()
        self._build_buckets()
        self._setup_shared()
        self._reset()
        hooks = []
        for p in params:
            hooks.append(p.register_post_accumulate_grad_hook(self._grad_ready))
        object.__setattr__(self, "_hooks", hooks)
        engine.want_ready_leaves(True)
        weakref.finalize(self, engine.want_ready_leaves, False)

    # -- construction -------------------------------------------------------------------------
    def _verify_same_model(self):
        from ... import distributed as dist
        mine = [[n, list(p.shape), str(p.dtype)] for n, p in zip(self._names, self._params)]
        all_models = [None] * self._pg.size()
        dist.all_gather_object(all_models, mine, group=self.process_group)
        for r, theirs in enumerate(all_models):
            if theirs != all_models[0]:
                diff = next((f"{a} vs {b}" for a, b in zip(all_models[0], theirs) if a != b),
                            f"{len(all_models[0])} vs {len(theirs)} parameters")
                raise RuntimeError(f"DDP expects same model across all ranks, but rank "
                                   f"{self._pg.global_rank(r)}'s parameters differ from rank "
                                   f"{self._pg.global_rank(0)}'s: {diff}")

    def _sync_params_and_buffers(self, buffers_only=False):
        tensors = [] if buffers_only else [p for p in self.module.parameters()]
        tensors += [b for b in self.module.buffers()]
        if not tensors or self._pg.size() == 1:
            return
        pg = self._pg
        reqs, stage = [], []
        for t in tensors:
            arr = t._array
            buf = arr if arr.flags.c_contiguous and arr.flags.writeable else \
                np.ascontiguousarray(arr)
            stage.append((t, buf))
            reqs.append(pg.comm.Ibcast(buf.reshape(-1).view(np.uint8), 0))
        pg.seq += 1
        pg.wait(reqs, "DistributedDataParallel broadcast of parameters and buffers", pg.seq)
        if pg.rank() != 0:
            for t, buf in stage:
                if buf is not t._array:
                    np.copyto(t._array, buf)
                if t._vc is not None:
                    t._vc.version += 1

    def _build_buckets(self):
        from ...distributed.collectives import _mpi_type
        buckets = []
        where = [None] * len(self._params)          # param index -> (bucket, offset)
        open_by_dtype = {}
        cap = min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            dt = p._array.dtype
            wire = dt if _mpi_type(dt) is not None else np.dtype(np.float32)
            n = p._array.size
            cur = open_by_dtype.get(wire)
            if cur is not None and (cur[1] + n) * wire.itemsize > cur[2]:
                # close the bucket before it overflows: a big parameter starts its own, so the
                # smaller ones before it are on the wire while its gradient is computed
                buckets.append((wire, cur[0], cur[1]))
                cur = None
                cap = self.bucket_bytes_cap
            if cur is None:
                cur = open_by_dtype[wire] = [[], 0, cap]
            cur[0].append(i)
            cur[1] += n
        for wire, (members, numel, _) in open_by_dtype.items():
            buckets.append((wire, members, numel))
        out = []
        for b, (wire, members, numel) in enumerate(buckets):
            bucket = _Bucket(b, wire, members, numel)
            bucket.mpi_type = _mpi_type(wire)
            off = 0
            for i in members:
                where[i] = (bucket, off)
                off += self._params[i]._array.size
            out.append(bucket)
        views = [None] * len(self._params)
        if self.gradient_as_bucket_view:
            for i, p in enumerate(self._params):
                bucket, off = where[i]
                if bucket.buf.dtype == p._array.dtype:
                    n = p._array.size
                    views[i] = wrap(bucket.buf[off:off + n].reshape(p._array.shape))
        object.__setattr__(self, "_buckets", out)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_views", views)

    def _setup_shared(self):
        """Note [Shared-memory buckets]: move the buckets into a shared window when all ranks
        share this machine; the decision is collective, so every rank takes the same path."""
        d = self.__dict__
        d["_shm_win"] = None
        pg, MPI, world = self._pg, self._MPI, self._world
        if world == 1:
            return
        n_params = len(self._params)
        off = 64                                   # header: int64 reduction number
        got_at, bufs_at = [], []
        for _ in range(2):
            got_at.append(off)
            off += _align(n_params)
            at = []
            for b in self._buckets:
                at.append(off)
                off += _align(b.buf.nbytes)
            bufs_at.append(at)
        want = _use_shared_memory and not self.gradient_as_bucket_view and \
            world <= _SHARED_MAX_RANKS and off <= _SHARED_MAX_BYTES and _shm_room(off * world)
        node = pg.comm.Split_type(MPI.COMM_TYPE_SHARED)
        try:
            local = node.Get_size()
        finally:
            node.Free()
        # one vote: all ranks on one machine and willing, and which earlier DDPs' windows are
        # garbage on every rank (freeing a window is collective, so it waits for a moment
        # when all ranks are here anyway)
        vote = np.array([want and local == world] + [ref() is None for _, ref in pg.windows],
                        np.int32)
        pg.seq += 1
        pg.wait(pg.comm.Iallreduce(MPI.IN_PLACE, vote, MPI.MIN),
                "DistributedDataParallel shared buckets", pg.seq)
        kept = []
        for (w, ref), dead in zip(pg.windows, vote[1:]):
            if dead:
                w.Unlock_all()
                w.Free()
            else:
                kept.append((w, ref))
        pg.windows = kept
        if not vote[0]:
            return
        win = MPI.Win.Allocate_shared(off, 1, comm=pg.comm)
        pg.windows.append((win, weakref.ref(self)))
        win.Lock_all(MPI.MODE_NOCHECK)
        mem = [np.frombuffer(win.Shared_query(r)[0], np.uint8, off) for r in range(world)]
        rank = pg.rank()
        mem[rank][:] = 0
        win.Sync()
        pg.seq += 1
        pg.wait(pg.comm.Ibarrier(), "DistributedDataParallel shared buckets", pg.seq)
        win.Sync()
        got = [[m[got_at[s]:got_at[s] + n_params] for m in mem] for s in range(2)]
        bufs = [[[m[at:at + b.buf.nbytes].view(b.buf.dtype) for m in mem]
                 for b, at in zip(self._buckets, bufs_at[s])] for s in range(2)]
        slots = []
        for s in range(2):
            per = []
            for i, p in enumerate(self._params):
                bucket, o = self._where[i]
                n = p._array.size
                per.append([r_buf[o:o + n].reshape(p._array.shape)
                            for r_buf in bufs[s][bucket.index]])
            slots.append(per)
        d["_shm_win"] = win
        d["_shm_header"] = mem[rank][:64].view(np.int64)
        d["_shm_peers"] = [m[:64].view(np.int64) for r, m in enumerate(mem) if r != rank]
        d["_shm_got"] = got
        d["_shm_bufs"] = bufs
        d["_shm_slots"] = slots
        d["_shm_step"] = 0
        self._use_set(1)

    def _use_set(self, s):
        rank = self._pg.rank()
        for b, arrs in zip(self._buckets, self._shm_bufs[s]):
            b.buf = arrs[rank]

    def _reset(self):
        d = self.__dict__
        d["_ready"] = [False] * len(self._params)
        d["_got"] = [False] * len(self._params)      # received a real gradient (not zeros)
        d["_left"] = [len(b.members) for b in self._buckets]
        d["_next"] = 0
        d["_reqs"] = []
        d["_queued"] = False
        d["_unused"] = None
        d["_expect_sync"] = False

    # -- forward ---------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        from ..._state import state
        if self._queued:
            # the previous backward raised after it had started averaging gradients: the
            # ranks may now disagree about which reductions were issued
            raise RuntimeError("Expected to have finished reduction in the prior iteration "
                               "before starting a new one. The previous backward pass failed "
                               "while DistributedDataParallel was averaging its gradients; "
                               "the ranks can no longer be kept in step.")
        if self._pg.comm is None:
            # the shared buckets are unmapped with the group: fail here, not in backward
            raise RuntimeError("DistributedDataParallel: its process group was destroyed "
                               "(destroy_process_group); use .module, or wrap the model again "
                               "after init_process_group")
        self._reset()
        if self.broadcast_buffers and self.require_forward_param_sync:
            self._sync_params_and_buffers(buffers_only=True)
        out = self.module(*inputs, **kwargs)
        sync = state.grad_enabled and self.require_backward_grad_sync
        self.__dict__["_expect_sync"] = sync
        if sync and self.find_unused_parameters:
            self.__dict__["_unused"] = self._find_unused(out)
        return out

    def _find_unused(self, out):
        """Indices of the parameters the graph of ``out`` does not reach."""
        stack = []
        flatten_tensors(out, stack)
        stack = [t._edge for t in stack if t._edge is not None]
        seen = set()
        reached = set()
        while stack:
            n = stack.pop()
            if type(n) is Slot:
                n = n.node
            if n in seen:
                continue
            seen.add(n)
            if type(n) is AccumulateGrad:
                v = n._var()
                if v is not None:
                    reached.add(id(v))
                continue
            for e in n.next:
                if e is not None:
                    stack.append(e)
        return [i for i, p in enumerate(self._params) if id(p) not in reached]

    @contextlib.contextmanager
    def no_sync(self):
        """no_sync(): a context in which forward/backward only accumulate gradients locally; the
        first synchronised backward after it reduces the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # -- backward: Note [Gradient buckets] ----------------------------------------------------
    def _grad_ready(self, p):
        if not self._expect_sync:
            return
        if not self._queued:
            self.__dict__["_queued"] = True
            engine.queue_callback(self._finish)
            if self._unused:
                for i in self._unused:
                    if not self._ready[i]:
                        self._mark_ready(i, None)
        i = self._index[id(p)]
        if self._ready[i]:
            raise RuntimeError(f"Expected to mark a variable ready only once: parameter "
                               f"{self._names[i]} received two gradients in one backward. "
                               "This happens when a module's parameters are used in several "
                               "reentrant backward passes or the same parameter is shared by "
                               "two DDP models.")
        self._mark_ready(i, p._grad)

    def _mark_ready(self, i, grad):
        bucket, off = self._where[i]
        p = self._params[i]
        n = p._array.size
        view = self._views[i]
        slot = bucket.buf[off:off + n]
        # dividing by the world size on the way in costs no extra pass (torch predivides too)
        if grad is None:
            slot[:] = 0
        elif view is None or grad is not view:
            np.divide(grad._array, self._world, out=slot.reshape(p._array.shape),
                      casting="unsafe")
            if view is not None:
                p._grad = view
        else:                                # accumulated in place, in the bucket already
            np.divide(slot, self._world, out=slot)
        self._ready[i] = True
        if grad is not None:
            self._got[i] = True
        if self._shm_win is not None:
            return
        left = self._left
        left[bucket.index] -= 1
        if left[bucket.index] == 0:
            buckets = self._buckets
            MPI = self._MPI
            pg = self._pg
            nxt = self._next
            while nxt < len(buckets) and left[nxt] == 0:
                b = buckets[nxt]
                pg.seq += 1
                self._reqs.append(pg.comm.Iallreduce(MPI.IN_PLACE, [b.buf, b.mpi_type],
                                                     MPI.SUM))
                nxt += 1
            self.__dict__["_next"] = nxt
        if self._reqs:
            # MPI moves a message on only inside MPI calls: give the reductions already under
            # way a push at every gradient that arrives while backward goes on
            self._MPI.Request.Testall(self._reqs)

    def _finish(self):
        d = self.__dict__
        d["_queued"] = False
        d["_expect_sync"] = False
        missing = [i for i, r in enumerate(self._ready) if not r]
        if missing:
            if not self.find_unused_parameters:
                names = ", ".join(self._names[i] for i in missing)
                raise RuntimeError(
                    "DistributedDataParallel: parameters that did not receive a gradient on "
                    f"rank {self._pg.global_rank(self._pg.rank())}: {names} (indices "
                    f"{' '.join(map(str, missing))}). Every rank must produce a gradient for "
                    "every parameter before the gradients can be averaged. If some parameters "
                    "are not used in producing the loss, pass find_unused_parameters=True to "
                    "DistributedDataParallel, and make sure all forward outputs take part in "
                    "the loss.")
            for i in missing:                 # reached by the graph but given no gradient
                self._mark_ready(i, None)
        if self._shm_win is not None:
            self._finish_shared()
            return
        pg = self._pg
        used = None
        if self.find_unused_parameters:
            used = np.array(self._got, np.int32)
            self._reqs.append(pg.comm.Iallreduce(self._MPI.IN_PLACE, used, self._MPI.SUM))
            pg.seq += 1
        pg.wait(self._reqs, "DistributedDataParallel gradient all_reduce", pg.seq)
        for i, p in enumerate(self._params):
            if used is not None and not used[i]:
                continue                      # unused on every rank: .grad stays as it was
            bucket, off = self._where[i]
            arr = bucket.buf[off:off + p._array.size].reshape(p._array.shape)
            g = p._grad
            if g is not None and g is self._views[i]:
                pass
            elif g is not None and g._array.flags.writeable and g._edge is None and \
                    g._array.dtype == p._array.dtype:
                np.copyto(g._array, arr, casting="unsafe")
            else:
                g = self._views[i] if self._views[i] is not None else \
                    wrap(arr.astype(p._array.dtype, copy=True))
                p._grad = g
            if g._vc is not None:
                g._vc.version += 1
        d["_reqs"] = []

    def _finish_shared(self):
        """Note [Shared-memory buckets]: publish, wait for the other ranks, add."""
        k = self._shm_step + 1
        s = k & 1
        pg = self._pg
        win = self._shm_win
        if self.find_unused_parameters:
            self._shm_got[s][pg.rank()][:] = self._got
        win.Sync()                          # the slots before the header, for every reader
        self._shm_header[0] = k
        win.Sync()
        pg.seq += 1
        peers = self._shm_peers
        for h in peers:
            if h[0] < k:
                pg.wait_until(lambda: all(h[0] >= k for h in peers),
                              "DistributedDataParallel gradient all_reduce", pg.seq)
                break
        win.Sync()                          # their slots after their headers
        used = None
        if self.find_unused_parameters:
            used = np.bitwise_or.reduce(self._shm_got[s], axis=0)
        add = np.add
        for i, (p, srcs) in enumerate(zip(self._params, self._shm_slots[s])):
            if used is not None and not used[i]:
                continue                      # unused on every rank: .grad stays as it was
            g = p._grad
            if g is not None and g._edge is None and g._array.flags.writeable and \
                    g._array.dtype == srcs[0].dtype:
                out = g._array
                add(srcs[0], srcs[1], out=out)
            else:
                out = srcs[0] + srcs[1]
            for src in srcs[2:]:
                add(out, src, out=out)
            if g is None or out is not g._array:
                if g is not None and g._edge is None and g._array.flags.writeable and \
                        g._array.dtype == p._array.dtype:
                    np.copyto(g._array, out, casting="unsafe")
                else:
                    g = p._grad = wrap(out.astype(p._array.dtype, copy=False))
            if g._vc is not None:
                g._vc.version += 1
        self.__dict__["_shm_step"] = k
        self._use_set(s ^ 1)

    def __setstate__(self, state):
        raise RuntimeError("DistributedDataParallel cannot be unpickled; wrap the module again")


def _shm_room(nbytes):
    """Whether /dev/shm (where Open MPI puts shared windows on Linux) has room for ``nbytes``
    with a margin: a window on a full tmpfs kills the job with SIGBUS on first touch, and
    containers often mount a small one."""
    try:
        st = os.statvfs("/dev/shm")
    except (OSError, AttributeError):
        return True                          # elsewhere MPI picks its own place
    return st.f_bavail * st.f_frsize >= 2 * nbytes


def _align(nbytes):
    return (nbytes + 63) & ~63
