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

Note [Cross-memory reduction]. Where the kernel lets a rank read and write the other ranks'
memory (Linux's process_vm_readv / process_vm_writev: same user, ptrace access), the shared
window shrinks to a header and the gradients are not copied during backward at all. When
backward ends each rank publishes the address of every gradient (a C-contiguous array of the
parameter's dtype: ``.grad`` itself, or a copy when it is not one) and the reduction number,
and waits for the others. The parameters' elements, taken end to end, are cut into one range
per rank; each rank, for its range, pulls the other ranks' elements in cache-sized chunks, adds
all ranks' terms (each divided by the world size, in rank order: bitwise the shared-window
sum), writes the average over its own gradient and pushes it into every other rank's gradient
at the same place. Nobody reads a range that another rank writes: a rank's range of its own
gradient is read by no one else, and it writes into another rank's copy of that range only
after reading it. A second handshake ("done with reduction k") comes before any rank lets go
of its gradients, as freed memory must never be read. Per rank that moves the gradients about
once (against a copy into the window during backward plus a pass over all ranks' slots), and
the arithmetic runs on chunks hot in cache. Whether it works is probed at construction (each
rank reads a known buffer of every other rank) and decided by all ranks together; without it
(no such calls, a container that forbids them, Yama's ptrace_scope 1, which ember does not
loosen, gradients of a dtype MPI does not carry) the shared window takes over. The gradients
averaged are what ``.grad`` holds when backward ends (the window path copies each at its hook):
the two differ only where a hook registered after DDP's replaces a ``.grad`` during backward.
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
_use_cross_memory = True             # and this one for the shared window's copies
# Note [Cross-memory reduction]: per-rank chunk of the reduction, small enough that the other
# ranks' chunks and this rank's stay in L2 together
_CROSS_CHUNK_BYTES = 256 * 1024


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
        share this machine, or reduce straight between the ranks' memories (Note
        [Cross-memory reduction]); the decisions are collective, so every rank takes the same
        path."""
        d = self.__dict__
        d["_shm_win"] = None
        d["_xmem"] = False
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
        # cross-memory layout: header (reduction number, pid, reduction done), the gradients'
        # addresses, the got flags of two reductions
        x_addr_at = 64
        x_got_at = [x_addr_at + _align(8 * n_params)]
        x_got_at.append(x_got_at[0] + _align(n_params))
        x_size = x_got_at[1] + _align(n_params)
        want = _use_shared_memory and not self.gradient_as_bucket_view and \
            world <= _SHARED_MAX_RANKS and off <= _SHARED_MAX_BYTES and _shm_room(off * world)
        node = pg.comm.Split_type(MPI.COMM_TYPE_SHARED)
        try:
            local = node.Get_size()
        finally:
            node.Free()
        probe = None
        xmem = False
        if local == world:                      # the same on every rank: a collective follows
            # each rank reads a known buffer of every other rank; kept alive until the vote,
            # which every rank enters only after its own reads
            from ... import distributed as dist
            probe = np.array([os.getpid(), pg.rank(), 0x656D626572], np.int64)
            everyone = [None] * world
            dist.all_gather_object(everyone, (os.getpid(), probe.ctypes.data),
                                   group=self.process_group)
            xmem = want and _use_cross_memory and \
                all(p._array.dtype == self._where[i][0].buf.dtype
                    for i, p in enumerate(self._params)) and \
                _probe_peers(everyone, pg.rank()) and _shm_room(x_size * world)
        # one vote: all ranks on one machine and willing, whether all can reach each other's
        # memory, and which earlier DDPs' windows are garbage on every rank (freeing a window is
        # collective, so it waits for a moment when all ranks are here anyway)
        vote = np.array([want and local == world, xmem] +
                        [ref() is None for _, ref in pg.windows], np.int32)
        pg.seq += 1
        pg.wait(pg.comm.Iallreduce(MPI.IN_PLACE, vote, MPI.MIN),
                "DistributedDataParallel shared buckets", pg.seq)
        del probe
        kept = []
        for (w, ref), dead in zip(pg.windows, vote[2:]):
            if dead:
                w.Unlock_all()
                w.Free()
            else:
                kept.append((w, ref))
        pg.windows = kept
        if not vote[0]:
            return
        if vote[1]:
            off = x_size
        win = MPI.Win.Allocate_shared(off, 1, comm=pg.comm)
        pg.windows.append((win, weakref.ref(self)))
        win.Lock_all(MPI.MODE_NOCHECK)
        mem = [np.frombuffer(win.Shared_query(r)[0], np.uint8, off) for r in range(world)]
        rank = pg.rank()
        mem[rank][:] = 0
        if vote[1]:
            mem[rank][:64].view(np.int64)[1] = os.getpid()
        win.Sync()
        pg.seq += 1
        pg.wait(pg.comm.Ibarrier(), "DistributedDataParallel shared buckets", pg.seq)
        win.Sync()
        d["_shm_win"] = win
        d["_shm_header"] = mem[rank][:64].view(np.int64)
        d["_shm_peers"] = [m[:64].view(np.int64) for r, m in enumerate(mem) if r != rank]
        d["_shm_step"] = 0
        if vote[1]:
            d["_xmem"] = True
            d["_shm_got"] = [[m[at:at + n_params] for m in mem] for at in x_got_at]
            self._setup_cross(mem, x_addr_at)
            return
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
        d["_shm_got"] = got
        d["_shm_bufs"] = bufs
        d["_shm_slots"] = slots
        self._use_set(1)

    def _setup_cross(self, mem, addr_at):
        """Note [Cross-memory reduction]: this rank's share of the work, cut into chunks once."""
        d = self.__dict__
        world, rank = self._world, self._pg.rank()
        n_params = len(self._params)
        sizes = [p._array.size for p in self._params]
        total = sum(sizes)
        lo, hi = rank * total // world, (rank + 1) * total // world
        # one chunk per other rank, and (beyond two ranks) the running sum
        bufs = [np.empty(_CROSS_CHUNK_BYTES, np.uint8) for _ in range(world)]
        tasks = []              # (parameter, first element, end, byte offset, bytes, chunks)
        start = 0
        for i, n in enumerate(sizes):
            a, b = max(lo - start, 0), min(hi - start, n)
            dt = self._params[i]._array.dtype
            step = max(1, _CROSS_CHUNK_BYTES // dt.itemsize)
            for c in range(a, b, step):
                e = min(c + step, b)
                nbytes = (e - c) * dt.itemsize
                tasks.append((i, c, e, c * dt.itemsize, nbytes,
                              [buf[:nbytes].view(dt) for buf in bufs]))
            start += n
        peers = [r for r in range(world) if r != rank]
        d["_x_tasks"] = tasks
        d["_x_peers"] = peers
        d["_x_pids"] = [int(mem[r][:64].view(np.int64)[1]) for r in peers]
        d["_x_addrs"] = [m[addr_at:addr_at + 8 * n_params].view(np.int64) for m in mem]
        d["_x_bufs"] = bufs
        d["_x_buf_at"] = [buf.ctypes.data for buf in bufs]
        d["_x_iov"] = np.zeros(4, np.uint64)      # local (base, length), remote (base, length)

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
        if self._xmem:                      # Note [Cross-memory reduction]: nothing to copy
            self._ready[i] = True
            if grad is not None:
                self._got[i] = True
            return
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
        if self._xmem:
            self._finish_cross()
            return
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

    def _handshake(self, field, k):
        """Publish ``k`` in this rank's header word ``field`` and wait until every other rank
        has published at least ``k`` there. What this rank wrote to the window before is
        visible to the others once they see ``k``, and what they wrote before theirs is visible
        here on return (the window syncs around the header)."""
        win, pg, peers = self._shm_win, self._pg, self._shm_peers
        win.Sync()
        self._shm_header[field] = k
        win.Sync()
        pg.seq += 1
        for h in peers:
            if h[field] < k:
                pg.wait_until(lambda: all(h[field] >= k for h in peers),
                              "DistributedDataParallel gradient all_reduce", pg.seq)
                break
        win.Sync()

    def _finish_shared(self):
        """Note [Shared-memory buckets]: publish, wait for the other ranks, add."""
        k = self._shm_step + 1
        s = k & 1
        pg = self._pg
        if self.find_unused_parameters:
            self._shm_got[s][pg.rank()][:] = self._got
        self._handshake(0, k)
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

    def _finish_cross(self):
        """Note [Cross-memory reduction]: publish the gradients' addresses, wait, reduce this
        rank's range into every rank's gradients, wait again."""
        k = self._shm_step + 1
        pg = self._pg
        world, rank = self._world, pg.rank()
        params = self._params
        got = self._got
        # what this rank offers for each parameter: the array that ends up as its .grad
        arrs, flat, at = [], [], []
        for i, p in enumerate(params):
            g = p._grad
            a = None if g is None or not got[i] else g._array
            ptr = None
            if a is not None and g._edge is None and a.flags.writeable and \
                    a.flags.c_contiguous and a.dtype == p._array.dtype:
                ptr = a.ctypes.data
                if ptr in at:                 # a user gave two parameters one .grad
                    ptr = None
            if ptr is None:
                # None (no gradient here: this rank adds zeros), or not an array the others
                # may write: a private copy stands in for it
                a = np.zeros(p._array.shape, p._array.dtype) if a is None else \
                    np.array(a, p._array.dtype, order="C")
                ptr = a.ctypes.data
            arrs.append(a)
            flat.append(a.reshape(-1))
            at.append(ptr)
        self._x_addrs[rank][:] = at
        s = k & 1
        if self.find_unused_parameters:
            self._shm_got[s][rank][:] = got
        self._handshake(0, k)
        used = None
        if self.find_unused_parameters:
            used = np.bitwise_or.reduce(self._shm_got[s], axis=0)
        read, write = _vm_calls()
        iov = self._x_iov
        local, remote = iov.ctypes.data, iov.ctypes.data + 16
        theirs = [self._x_addrs[q].tolist() for q in self._x_peers]
        pids = self._x_pids
        buf_at = self._x_buf_at
        others = range(world - 1)
        divide, add = np.divide, np.add
        for i, a, b, off, nbytes, chunks in self._x_tasks:
            if used is not None and not used[i]:
                continue                      # unused on every rank: .grad stays as it was
            iov[1] = iov[3] = nbytes
            for j in others:
                iov[0], iov[2] = buf_at[j], theirs[j][i] + off
                if read(pids[j], local, 1, remote, 1, 0) != nbytes:
                    _vm_failed("read from", self._x_peers[j])
            own = flat[i][a:b]
            # each rank's term divided by the world size, then summed in rank order: the
            # shared window's arithmetic, so every path gives bitwise the same average
            terms = chunks[:world - 1]
            terms.insert(rank, own)
            for t in terms:
                divide(t, world, out=t)
            if world == 2:
                add(terms[0], terms[1], out=own)
            else:
                acc = chunks[-1]
                add(terms[0], terms[1], out=acc)
                for t in terms[2:]:
                    add(acc, t, out=acc)
                own[...] = acc
            iov[0] = at[i] + off
            for j in others:
                iov[2] = theirs[j][i] + off
                if write(pids[j], local, 1, remote, 1, 0) != nbytes:
                    _vm_failed("write to", self._x_peers[j])
        # the others may still read or write this rank's arrays until they say they are done
        self._handshake(2, k)
        for i, p in enumerate(params):
            if used is not None and not used[i]:
                continue
            g = p._grad
            a = arrs[i]
            if g is None or a is not g._array:
                if g is not None and g._edge is None and g._array.flags.writeable and \
                        g._array.dtype == p._array.dtype:
                    np.copyto(g._array, a)
                else:
                    g = p._grad = wrap(a)
            if g._vc is not None:
                g._vc.version += 1
        self.__dict__["_shm_step"] = k

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


_vm = None


def _vm_calls():
    """(process_vm_readv, process_vm_writev) from the C library, or None where there are none."""
    global _vm
    if _vm is None:
        _vm = False
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            calls = []
            for name in ("process_vm_readv", "process_vm_writev"):
                f = getattr(libc, name)
                f.restype = ctypes.c_ssize_t
                f.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p,
                              ctypes.c_ulong, ctypes.c_ulong]
                calls.append(f)
            _vm = tuple(calls)
        except (OSError, AttributeError, ImportError):
            pass
    return _vm or None


def _probe_peers(everyone, rank):
    """Whether this rank can read every other rank's probe buffer (Note [Cross-memory
    reduction]); ``everyone`` holds each rank's (pid, address of its probe)."""
    calls = _vm_calls()
    if calls is None:
        return False
    got = np.zeros(3, np.int64)
    iov = np.array([got.ctypes.data, got.nbytes, 0, got.nbytes], np.uint64)
    for r, (pid, addr) in enumerate(everyone):
        if r == rank:
            continue
        got[:] = 0
        iov[2] = addr
        n = calls[0](pid, iov.ctypes.data, 1, iov.ctypes.data + 16, 1, 0)
        if n != got.nbytes or got.tolist() != [pid, r, 0x656D626572]:
            return False                   # EPERM (ptrace rules), ENOSYS, or another process
    return True


def _vm_failed(how, rank):
    import ctypes
    err = ctypes.get_errno()
    raise RuntimeError(f"DistributedDataParallel: could not {how} rank {rank}'s gradients "
                       f"({os.strerror(err)}); the ranks are out of step")
