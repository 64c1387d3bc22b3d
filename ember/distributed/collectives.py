"""Collectives on tensors with torch.distributed's signatures, on MPI's non-blocking calls.

Each call starts one non-blocking MPI operation and returns a Work (``async_op=True``) or waits
for it through the group's polling loop (timeouts, Note [Who never arrived]). Results land in
the caller's tensors in place, as torch's do; data that is not C-contiguous, or of a dtype MPI
cannot reduce (float16, bfloat16), goes through a staging array copied back on completion.
"""
import enum

import numpy as np

from .._storage import cell_of
from . import process_group as _pg
from ._encoding import decode, encode
from .work import Work


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """Reduction operations: ``SUM``, ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``, ``BAND``, ``BOR``,
    ``BXOR``."""
    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


# -- buffers --------------------------------------------------------------------------------
_MPI_TYPES = None
_LOGICAL = {RedOpType.SUM: "LOR", RedOpType.MAX: "LOR", RedOpType.BOR: "LOR",
            RedOpType.PRODUCT: "LAND", RedOpType.MIN: "LAND", RedOpType.BAND: "LAND",
            RedOpType.BXOR: "LXOR"}
_OPS = {RedOpType.SUM: "SUM", RedOpType.AVG: "SUM", RedOpType.PRODUCT: "PROD",
        RedOpType.MIN: "MIN", RedOpType.MAX: "MAX", RedOpType.BAND: "BAND",
        RedOpType.BOR: "BOR", RedOpType.BXOR: "BXOR"}


def _mpi_type(np_dtype):
    global _MPI_TYPES
    MPI = _pg.MPI
    if _MPI_TYPES is None:
        _MPI_TYPES = {np.dtype(k): getattr(MPI, v) for k, v in (
            ("float32", "FLOAT"), ("float64", "DOUBLE"), ("int8", "INT8_T"),
            ("int16", "INT16_T"), ("int32", "INT32_T"), ("int64", "INT64_T"),
            ("uint8", "UINT8_T"), ("uint16", "UINT16_T"), ("uint32", "UINT32_T"),
            ("uint64", "UINT64_T"), ("bool", "C_BOOL"), ("complex64", "C_FLOAT_COMPLEX"),
            ("complex128", "C_DOUBLE_COMPLEX"))}
    return _MPI_TYPES.get(np_dtype)


def _mpi_op(op, np_dtype):
    MPI = _pg.MPI
    try:
        op = RedOpType(op)
    except ValueError:
        raise ValueError(f"unsupported reduce op {op!r}") from None
    if op == RedOpType.PREMUL_SUM:
        raise ValueError("ReduceOp.PREMUL_SUM is not supported by ember's MPI backend")
    if np_dtype == np.bool_:
        if op == RedOpType.AVG:
            raise ValueError("ReduceOp.AVG needs a floating point tensor, got bool")
        return getattr(MPI, _LOGICAL[op])
    if op == RedOpType.AVG and np_dtype.kind not in "fc":
        raise ValueError(f"ReduceOp.AVG needs a floating point tensor, got {np_dtype}")
    if np_dtype.kind == "c" and op in (RedOpType.MIN, RedOpType.MAX):
        raise ValueError("ReduceOp.MIN and ReduceOp.MAX are not defined for complex tensors")
    if np_dtype.kind in "fc" and op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR):
        raise ValueError(f"bitwise reduce ops need an integer tensor, got {np_dtype}")
    return getattr(MPI, _OPS[op])


def _wire(arr, write):
    """(typed C-contiguous array to hand MPI, whether it is a copy). Reductions need a dtype MPI
    knows: float16/bfloat16 travel as float32."""
    d = arr.dtype
    if _mpi_type(d) is None:
        d = np.dtype(np.float32)
    if d == arr.dtype and arr.flags.c_contiguous and (arr.flags.writeable or not write):
        return arr, False
    return np.ascontiguousarray(arr, dtype=d), True


def _bytes(arr):
    """The raw bytes of a C-contiguous array, as a 1-D uint8 view (data movement is typeless)."""
    return arr.reshape(-1).view(np.uint8)


def _staging(arr):
    """A writeable C-contiguous buffer with ``arr``'s layout (``arr`` itself when it is one)."""
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr, False
    return np.empty(arr.shape, arr.dtype), True


def _bump(t):
    cell_of(t).version += 1


def _check_tensor(t, name="tensor"):
    from ..tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(t)} instead.")


def _check_list(lst, name):
    if not isinstance(lst, (list, tuple)):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(lst)} instead.")
    for t in lst:
        _check_tensor(t, name)


def _root(pg, rank, group_rank, what):
    """The group rank of a collective's root from torch's ``src``/``dst`` (global rank) or
    ``group_src``/``group_dst``."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{what}: give either the global rank or the group rank, not both")
    if group_rank is not None:
        r = int(group_rank)
    elif rank is None:
        r = 0
    else:
        r = pg.group_rank(int(rank))
    if not 0 <= r < pg.size():
        raise ValueError(f"{what}: invalid root rank {r} for a group of size {pg.size()}")
    return r


def _start(pg, what, start, finish, async_op, outputs=(), peer=None):
    pg.seq += 1
    seq = pg.seq
    work = Work(pg, start(), finish, what, seq, outputs, peer)
    if async_op:
        return work
    work.wait()
    return None


# -- reductions -----------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False): reduce ``tensor``
    across ranks, in place on every rank."""
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    arr = tensor._array
    buf, copied = _wire(arr, True)
    mop = _mpi_op(op, buf.dtype)
    n = pg.size()

    def start():
        return pg.comm.Iallreduce(_pg.MPI.IN_PLACE, [buf, _mpi_type(buf.dtype)], mop)

    def finish():
        if op == RedOpType.AVG:
            np.divide(buf, n, out=buf)
        if copied:
            np.copyto(arr, buf, casting="unsafe")
        _bump(tensor)

    return _start(pg, "all_reduce", start, finish, async_op, (tensor,))


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    reduce ``tensor`` across ranks into rank ``dst``'s tensor."""
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "reduce")
    arr = tensor._array
    buf, copied = _wire(arr, True)
    mop = _mpi_op(op, buf.dtype)
    me = pg.rank() == root
    n = pg.size()
    typed = [buf, _mpi_type(buf.dtype)]

    def start():
        if me:
            return pg.comm.Ireduce(_pg.MPI.IN_PLACE, typed, mop, root)
        return pg.comm.Ireduce(typed, None, mop, root)

    def finish():
        if not me:
            return
        if op == RedOpType.AVG:
            np.divide(buf, n, out=buf)
        if copied:
            np.copyto(arr, buf, casting="unsafe")
        _bump(tensor)

    return _start(pg, "reduce", start, finish, async_op, (tensor,))


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False): reduce
    ``input_list[i]`` across ranks into rank i's ``output``."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    pg = _pg.resolve(group)
    if pg is None:
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors for a "
                         f"group of {pg.size()} ranks")
    for t in input_list:
        if tuple(t.shape) != tuple(output.shape):
            raise ValueError(f"reduce_scatter: every input must have the output's shape "
                             f"{list(output.shape)}, got {list(t.shape)}")
    send = np.stack([t._array for t in input_list])
    return _reduce_scatter(pg, output, send, op, async_op, "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    ``input`` holds world_size chunks along dim 0; rank i receives the reduction of chunk i."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _pg.resolve(group)
    if pg is None:
        return None
    if input.numel() != output.numel() * pg.size():
        raise ValueError(f"reduce_scatter_tensor: input of {input.numel()} elements must hold "
                         f"world_size ({pg.size()}) times the output's {output.numel()}")
    return _reduce_scatter(pg, output, input._array, op, async_op, "reduce_scatter_tensor")


def _reduce_scatter(pg, output, send, op, async_op, what):
    arr = output._array
    send, _ = _wire(send, False)
    recv = np.empty(arr.shape, send.dtype)
    mop = _mpi_op(op, send.dtype)
    mt = _mpi_type(send.dtype)
    n = pg.size()

    def start():
        return pg.comm.Ireduce_scatter_block([send, mt], [recv, mt], mop)

    def finish():
        if op == RedOpType.AVG:
            np.divide(recv, n, out=recv)
        np.copyto(arr, recv, casting="unsafe")
        _bump(output)

    return _start(pg, what, start, finish, async_op, (output,))


# -- data movement --------------------------------------------------------------------------
def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """broadcast(tensor, src=None, group=None, async_op=False, group_src=None): copy rank
    ``src``'s tensor into every rank's ``tensor``."""
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "broadcast")
    arr = tensor._array
    if pg.rank() == root:
        buf, copied = np.ascontiguousarray(arr), False
    else:
        buf, copied = _staging(arr)

    def start():
        return pg.comm.Ibcast(_bytes(buf), root)

    def finish():
        if pg.rank() != root:
            if copied:
                np.copyto(arr, buf)
            _bump(tensor)

    return _start(pg, "broadcast", start, finish, async_op, (tensor,))


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """all_gather(tensor_list, tensor, group=None, async_op=False): every rank receives every
    rank's ``tensor``, rank i's into ``tensor_list[i]``."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    n = pg.size()
    if len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors for a group "
                         f"of {n} ranks")
    for t in tensor_list:
        if t.numel() != tensor.numel() or t._array.dtype != tensor._array.dtype:
            raise ValueError("all_gather: every tensor in tensor_list must match the input's "
                             "size and dtype")
    send = np.ascontiguousarray(tensor._array)
    recv = np.empty((n,) + send.shape, send.dtype)

    def start():
        return pg.comm.Iallgather(_bytes(send), _bytes(recv))

    def finish():
        for t, part in zip(tensor_list, recv):
            np.copyto(t._array, part.reshape(t._array.shape))
            _bump(t)

    return _start(pg, "all_gather", start, finish, async_op, tuple(tensor_list))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False): the
    ranks' inputs concatenated (or stacked) along dim 0 into ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _pg.resolve(group)
    if pg is None:
        return None
    if output_tensor.numel() != input_tensor.numel() * pg.size() or \
            output_tensor._array.dtype != input_tensor._array.dtype:
        raise ValueError(f"all_gather_into_tensor: output must hold world_size ({pg.size()}) "
                         f"times the input's {input_tensor.numel()} elements of the same dtype")
    send = np.ascontiguousarray(input_tensor._array)
    arr = output_tensor._array
    recv, copied = _staging(arr)

    def start():
        return pg.comm.Iallgather(_bytes(send), _bytes(recv))

    def finish():
        if copied:
            np.copyto(arr, recv)
        _bump(output_tensor)

    return _start(pg, "all_gather_into_tensor", start, finish, async_op, (output_tensor,))


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    rank ``dst`` receives every rank's ``tensor`` in ``gather_list``."""
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "gather")
    me = pg.rank() == root
    n = pg.size()
    if me:
        if gather_list is None or len(gather_list) != n:
            raise ValueError(f"Argument ``gather_list`` must be specified on destination rank "
                             f"and hold {n} tensors.")
        _check_list(gather_list, "gather_list")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    send = np.ascontiguousarray(tensor._array)
    recv = np.empty((n,) + send.shape, send.dtype) if me else None

    def start():
        return pg.comm.Igather(_bytes(send), _bytes(recv) if me else None, root)

    def finish():
        if me:
            for t, part in zip(gather_list, recv):
                np.copyto(t._array, part.reshape(t._array.shape))
                _bump(t)

    return _start(pg, "gather", start, finish, async_op, tuple(gather_list or ()))


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    rank i receives ``scatter_list[i]`` of rank ``src`` into ``tensor``."""
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "scatter")
    me = pg.rank() == root
    n = pg.size()
    if me:
        if scatter_list is None or len(scatter_list) != n:
            raise ValueError(f"Argument ``scatter_list`` must be specified on source rank and "
                             f"hold {n} tensors.")
        _check_list(scatter_list, "scatter_list")
        for t in scatter_list:
            if t.numel() != tensor.numel() or t._array.dtype != tensor._array.dtype:
                raise ValueError("scatter: every tensor in scatter_list must match the output's "
                                 "size and dtype")
        send = np.stack([np.ascontiguousarray(t._array).reshape(-1) for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    else:
        send = None
    arr = tensor._array
    recv, copied = _staging(arr)

    def start():
        return pg.comm.Iscatter(_bytes(send) if me else None, _bytes(recv), root)

    def finish():
        if copied:
            np.copyto(arr, recv)
        _bump(tensor)

    return _start(pg, "scatter", start, finish, async_op, (tensor,))


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False): rank i
    sends ``input_tensor_list[j]`` to rank j, which receives it in ``output_tensor_list[i]``;
    sizes may differ between pairs."""
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _pg.resolve(group)
    if pg is None:
        return None
    n = pg.size()
    if len(output_tensor_list) != n or len(input_tensor_list) != n:
        raise ValueError(f"all_to_all: both lists must hold {n} tensors (the group's size)")
    send_parts = [_bytes(np.ascontiguousarray(t._array)) for t in input_tensor_list]
    send = np.concatenate(send_parts) if send_parts else np.empty(0, np.uint8)
    rcounts = [t._array.nbytes for t in output_tensor_list]
    recv = np.empty(sum(rcounts), np.uint8)
    return _alltoallv(pg, send, [p.size for p in send_parts], recv, rcounts,
                      output_tensor_list, async_op, "all_to_all")


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    """all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
    group=None, async_op=False): all_to_all on chunks of dim 0 of one tensor each way."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _pg.resolve(group)
    if pg is None:
        return None
    n = pg.size()

    def counts(t, splits):
        rows = t.shape[0] if t.ndim else 1
        row = t._array.nbytes // rows if rows else 0
        if splits is None:
            if rows % n:
                raise ValueError(f"all_to_all_single: dim 0 ({rows}) must divide by the group "
                                 f"size {n} when no split sizes are given")
            return [rows // n * row] * n
        splits = [int(s) for s in splits]
        if len(splits) != n or sum(splits) != rows:
            raise ValueError(f"all_to_all_single: split sizes {splits} must have {n} entries "
                             f"summing to dim 0 ({rows})")
        return [s * row for s in splits]

    scounts = counts(input, input_split_sizes)
    rcounts = counts(output, output_split_sizes)
    send = _bytes(np.ascontiguousarray(input._array))
    arr = output._array
    buf, copied = _staging(arr)

    def finish_out():
        if copied:
            np.copyto(arr, buf)
        _bump(output)

    return _alltoallv(pg, send, scounts, _bytes(buf), rcounts, None, async_op,
                      "all_to_all_single", finish_out)


def _alltoallv(pg, send, scounts, recv, rcounts, outs, async_op, what, finish_out=None):
    sdispl = np.concatenate([[0], np.cumsum(scounts)[:-1]]).astype(np.int64).tolist()
    rdispl = np.concatenate([[0], np.cumsum(rcounts)[:-1]]).astype(np.int64).tolist()
    MPI = _pg.MPI

    def start():
        return pg.comm.Ialltoallv([send, (scounts, sdispl), MPI.BYTE],
                                  [recv, (rcounts, rdispl), MPI.BYTE])

    def finish():
        if finish_out is not None:
            finish_out()
            return
        for t, off, cnt in zip(outs, rdispl, rcounts):
            np.copyto(t._array, recv[off:off + cnt].view(t._array.dtype).reshape(t._array.shape))
            _bump(t)

    return _start(pg, what, start, finish, async_op, tuple(outs or ()))


def barrier(group=None, async_op=False, device_ids=None):
    """barrier(group=None, async_op=False, device_ids=None): wait until every rank of the
    group reached this call."""
    pg = _pg.resolve(group)
    if pg is None:
        return None
    return _start(pg, "barrier", lambda: pg.comm.Ibarrier(), None, async_op)


# -- point to point ---------------------------------------------------------------------------
def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """isend(tensor, dst=None, group=None, tag=0, group_dst=None) -> Work: send ``tensor`` to
    rank ``dst`` without waiting."""
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    peer = _root(pg, dst, group_dst, "send")
    buf = np.ascontiguousarray(tensor._array)

    def start():
        return pg.comm.Isend(_bytes(buf), peer, tag)

    w = Work(pg, start(), None, "send", pg.seq, (tensor,), peer)
    w._outputs = (tensor, buf)           # keeps the buffer alive until the send is done
    return w


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """irecv(tensor, src=None, group=None, tag=0, group_src=None) -> Work: receive into
    ``tensor`` from rank ``src`` (any rank when None) without waiting."""
    _check_tensor(tensor)
    pg = _pg.resolve(group)
    if pg is None:
        return None
    MPI = _pg.MPI
    peer = MPI.ANY_SOURCE if src is None and group_src is None else \
        _root(pg, src, group_src, "recv")
    arr = tensor._array
    buf, copied = _staging(arr)
    status = MPI.Status()
    req = pg.comm.Irecv(_bytes(buf), peer, tag)

    def finish():
        if copied:
            np.copyto(arr, buf)
        _bump(tensor)
        return (pg.global_rank(status.Get_source()), tensor)

    return Work(pg, [req], finish, "recv", pg.seq, (tensor,),
                None if peer == MPI.ANY_SOURCE else peer, [status])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """send(tensor, dst=None, group=None, tag=0, group_dst=None): send ``tensor`` to rank
    ``dst`` (blocks until the message is on its way)."""
    w = isend(tensor, dst, group, tag, group_dst)
    if w is not None:
        w.wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """recv(tensor, src=None, group=None, tag=0, group_src=None) -> int: receive into
    ``tensor``; returns the sender's rank."""
    w = irecv(tensor, src, group, tag, group_src)
    if w is None:
        return -1
    return w.source_rank()


# -- objects ---------------------------------------------------------------------------------
def _wait_now(pg, what, req):
    pg.seq += 1
    pg.wait(req, what, pg.seq)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    rank ``src``'s objects replace ``object_list``'s items on every rank (safe encoding, no
    pickle: see ember.distributed._encoding)."""
    pg = _pg.resolve(group)
    if pg is None:
        return
    root = _root(pg, src, group_src, "broadcast_object_list")
    me = pg.rank() == root
    data = np.frombuffer(encode(list(object_list)), np.uint8) if me else None
    size = np.array([data.size if me else 0], np.int64)
    _wait_now(pg, "broadcast_object_list", pg.comm.Ibcast(_bytes(size), root))
    buf = data.copy() if me else np.empty(int(size[0]), np.uint8)
    _wait_now(pg, "broadcast_object_list", pg.comm.Ibcast(buf, root))
    if not me:
        objs = decode(buf.tobytes())
        if len(objs) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {pg.global_rank(root)} sent "
                             f"{len(objs)} objects, this rank's list holds {len(object_list)}")
        object_list[:] = objs


def _gather_bytes(pg, data, what, root=None):
    """Every rank's bytes (all ranks, or only ``root``) as a list of bytes objects."""
    n = pg.size()
    sizes = np.zeros(n, np.int64)
    mine = np.array([data.size], np.int64)
    if root is None:
        _wait_now(pg, what, pg.comm.Iallgather(_bytes(mine), _bytes(sizes)))
    else:
        _wait_now(pg, what, pg.comm.Igather(_bytes(mine), _bytes(sizes), root))
    if root is not None and pg.rank() != root:
        _wait_now(pg, what, pg.comm.Igatherv(data, None, root))
        return None
    counts = sizes.tolist()
    displ = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64).tolist()
    recv = np.empty(int(sizes.sum()), np.uint8)
    spec = [recv, (counts, displ), _pg.MPI.BYTE]
    if root is None:
        _wait_now(pg, what, pg.comm.Iallgatherv(data, spec))
    else:
        _wait_now(pg, what, pg.comm.Igatherv(data, spec, root))
    return [recv[o:o + c].tobytes() for o, c in zip(displ, counts)]


def all_gather_object(object_list, obj, group=None):
    """all_gather_object(object_list, obj, group=None): ``object_list[i]`` becomes rank i's
    ``obj`` on every rank (safe encoding, no pickle)."""
    pg = _pg.resolve(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list must have {pg.size()} entries (the "
                         f"group's size), got {len(object_list)}")
    parts = _gather_bytes(pg, np.frombuffer(encode(obj), np.uint8).copy(), "all_gather_object")
    for i, raw in enumerate(parts):
        object_list[i] = decode(raw)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None): rank
    ``dst`` receives every rank's ``obj`` (safe encoding, no pickle)."""
    pg = _pg.resolve(group)
    if pg is None:
        return
    root = _root(pg, dst, group_dst, "gather_object")
    if pg.rank() == root and (object_gather_list is None or
                              len(object_gather_list) != pg.size()):
        raise ValueError(f"gather_object: object_gather_list must have {pg.size()} entries on "
                         f"the destination rank")
    parts = _gather_bytes(pg, np.frombuffer(encode(obj), np.uint8).copy(), "gather_object",
                          root)
    if parts is not None:
        for i, raw in enumerate(parts):
            object_gather_list[i] = decode(raw)
