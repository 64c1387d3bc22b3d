"""Multi-process loading (``DataLoader(num_workers > 0)``): the worker loop, the parent-side
iterator and the transport between them.

Note [Worker transport]
ember Tensors refuse to pickle (``Tensor.__reduce_ex__`` raises), so nothing here hands them to
multiprocessing's pickler. Batches, index lists and (for non-fork start methods) the dataset
itself are serialised by ``dumps``, a private Pickler that writes each Tensor as its NumPy array
plus flags and rebuilds it on load; pipes and queues only ever carry bytes and plain tuples. A
tensor that requires grad must be a leaf (autograd graphs cannot cross processes).

Note [Worker protocol]
The parent writes ``(epoch, task, index)`` messages to each worker's own one-way pipe, and
``None`` to stop it. Pipe writes are synchronous (no feeder thread in the parent, so nothing of
ours runs in a thread when the parent forks, and a stop message sent from ``__del__`` during
garbage collection is not lost); the stop is also signalled by an Event that idle workers poll.
Every worker answers on one shared result queue with ``(epoch, task, payload_bytes)`` where the
payload is a batch, an ``_Exhausted`` marker (iterable datasets) or a ``_WorkerError``.
Each ``__iter__`` over persistent workers starts a new epoch (also published in a shared value):
workers skip tasks of older epochs and the parent drops their late answers, so breaking out of
an epoch needs no handshake. The parent keeps ``prefetch_factor * num_workers`` tasks in flight
(a task's slot is freed when its batch is handed out) and hands batches out in task order.
"""
import io
import itertools
import os
import pickle
import queue
import random
import signal
import sys
import time
import traceback

import numpy as np

from ...ops.random import manual_seed
from ...tensor import Tensor, wrap
from ._fetch import ITERABLE, make_fetcher
from .sampler import _draw_seed

# Seconds between liveness checks while the parent waits for a batch (a dead worker is
# reported this fast) and while a worker waits for a task (an orphaned worker exits this fast).
_PARENT_POLL = 0.1
_WORKER_POLL = 0.5
# How long shutdown waits for workers to finish their current task before terminating them.
_JOIN_TIMEOUT = 5.0


# -- worker info -----------------------------------------------------------------------------

class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed``
    (this worker's seed for ember, ``random`` and NumPy) and ``dataset`` (this worker's copy).

    Example::

        >>> from ember.utils.data import DataLoader, IterableDataset, get_worker_info
        >>> class Shards(IterableDataset):
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         first, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(first, 6, step))
        ...
        >>> sorted(int(x) for x in DataLoader(Shards(), batch_size=None))
        [0, 1, 2, 3, 4, 5]
    """

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_keys", tuple(kwargs))

    def __setattr__(self, key, val):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        body = ", ".join(f"{k}={getattr(self, k)}" for k in self._keys)
        return f"{type(self).__name__}({body})"


_worker_info = None


def get_worker_info():
    """get_worker_info() -> WorkerInfo inside a DataLoader worker process, None in the main
    process. An IterableDataset's ``__iter__`` uses it to pick its shard.

    Example::

        >>> from ember.utils.data import get_worker_info
        >>> print(get_worker_info())
        None
    """
    return _worker_info


# -- transport (Note [Worker transport]) -------------------------------------------------------

def _rebuild_tensor(array, requires_grad, is_param):
    t = wrap(array)
    if is_param:
        from ...nn.parameter import Parameter
        return Parameter(t, requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if not isinstance(obj, Tensor):
            return NotImplemented
        if obj._edge is not None and not obj.is_leaf:
            raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which "
                               "requires_grad, since autograd does not support crossing process "
                               "boundaries.  If you just want to transfer the data, call detach() "
                               "on the tensor before serializing (e.g., putting it on the queue).")
        from ...nn.parameter import Parameter
        return _rebuild_tensor, (np.asarray(obj._array), obj._edge is not None,
                                 isinstance(obj, Parameter))


def dumps(obj):
    """``obj`` as bytes, ember Tensors included (as arrays); read back with ``pickle.loads``."""
    buf = io.BytesIO()
    _Pickler(buf, pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


# -- messages from workers -------------------------------------------------------------------

class _Exhausted:
    """A worker's iterable dataset has no more items this epoch."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _KeyErrorMessage(str):
    # KeyError shows repr(arg); this keeps a multi-line traceback text readable.
    def __repr__(self):
        return str(self)


class _WorkerError:
    """An exception raised in a worker: its type and the worker's traceback text."""

    def __init__(self, exc_type, text):
        self.exc_type = exc_type
        self.text = text

    @classmethod
    def current(cls, worker_id):
        exc_type = sys.exc_info()[0]
        text = (f"Caught {exc_type.__name__} in DataLoader worker process {worker_id}.\n"
                f"Original {traceback.format_exc()}")
        return cls(exc_type, text)

    def reraise(self):
        msg = _KeyErrorMessage(self.text) if self.exc_type is KeyError else self.text
        try:
            exc = self.exc_type(msg)
        except Exception:
            # The type needs other constructor arguments: keep the text at least.
            exc = RuntimeError(msg)
        try:
            raise exc
        finally:
            # This frame is in the traceback: a local holding the exception would make a cycle
            # that keeps the loader's iterator (and its workers) alive until a gc pass.
            del exc


def _pack(data, worker_id):
    try:
        return dumps(data)
    except Exception:
        err = _WorkerError.current(worker_id)
    try:
        return dumps(err)
    except Exception:
        # The exception type itself cannot be pickled (e.g. a class defined in a function).
        return dumps(_WorkerError(RuntimeError, err.text))


# -- the worker process ------------------------------------------------------------------------

def _seed_worker(base_seed, worker_id):
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _worker_loop(spec, conn, result_queue, done_event, epoch_value, worker_id, num_workers,
                 base_seed, parent_pid):
    """Body of a worker process (Note [Worker protocol])."""
    global _worker_info
    # Ctrl-C goes to the whole process group: the parent handles it and shuts workers down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if isinstance(spec, bytes):
            spec = pickle.loads(spec)
        kind, dataset, auto_collation, collate_fn, drop_last, init_fn = spec
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
        except Exception:
            init_error = _WorkerError.current(worker_id)
        fetcher, fetcher_epoch, exhausted_epoch = None, None, None
        while True:
            if not conn.poll(_WORKER_POLL):
                if done_event.is_set() or os.getppid() != parent_pid:
                    break
                continue
            try:
                msg = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            if msg is None:
                break
            epoch, task, index = msg
            if done_event.is_set() or epoch != epoch_value.value or epoch == exhausted_epoch:
                continue
            if init_error is not None:
                data = init_error
            else:
                try:
                    if fetcher is None or (kind == ITERABLE and fetcher_epoch != epoch):
                        # An iterable dataset restarts every epoch; a map-style fetcher is reused.
                        fetcher, fetcher_epoch = None, epoch
                        fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn,
                                               drop_last)
                    data = fetcher.fetch(index)
                except StopIteration:
                    if kind == ITERABLE:
                        # Said once; later tasks of this epoch get no answer (the parent
                        # skips them once it knows).
                        data, exhausted_epoch = _Exhausted(worker_id), epoch
                    else:
                        data = _WorkerError.current(worker_id)
                except Exception:
                    data = _WorkerError.current(worker_id)
            result_queue.put((epoch, task, _pack(data, worker_id)))
            del data
    except KeyboardInterrupt:
        pass
    conn.close()
    if done_event.is_set():
        # The parent stopped reading: exit without flushing what is still buffered.
        result_queue.cancel_join_thread()
        result_queue.close()


# -- the parent-side iterator ------------------------------------------------------------------

class MultiProcessIter:
    """Iterator of a DataLoader with worker processes (Note [Worker protocol])."""

    _closed = True  # until workers exist, so __del__ after a failed __init__ does nothing

    def __init__(self, loader, ctx):
        if loader.prefetch_factor <= 0:
            raise ValueError("prefetch_factor must be greater than 0 for multi-process loading")
        self._index_sampler = loader._index_sampler
        self._n = loader.num_workers
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._base_seed = _draw_seed(loader.generator)
        spec = (loader._dataset_kind, loader.dataset, loader._auto_collation, loader.collate_fn,
                loader.drop_last, loader.worker_init_fn)
        if ctx.get_start_method() != "fork":
            # A fresh interpreter cannot inherit the dataset: send it (tensors as arrays).
            try:
                spec = dumps(spec)
            except Exception as exc:
                raise RuntimeError(
                    f"the dataset, collate_fn and worker_init_fn must be picklable to start "
                    f"workers with the {ctx.get_start_method()!r} start method ({exc}); use "
                    f"module-level functions and classes, or multiprocessing_context='fork'"
                ) from exc
        self._result_queue = ctx.Queue()
        self._done = ctx.Event()
        self._epoch_value = ctx.RawValue("q", 0)
        self._conns, self._workers = [], []
        self._closed = False
        try:
            for i in range(self._n):
                reader, writer = ctx.Pipe(duplex=False)
                w = ctx.Process(target=_worker_loop, daemon=True,
                                args=(spec, reader, self._result_queue, self._done,
                                      self._epoch_value, i, self._n, self._base_seed,
                                      os.getpid()))
                self._conns.append(writer)
                try:
                    w.start()
                finally:
                    # Only the worker reads: once it is gone, writing fails instead of hanging.
                    reader.close()
                self._workers.append(w)
        except BaseException:
            self._shutdown()
            raise
        self._epoch = 0
        self._reset()

    def _reset(self, loader=None):
        """Start an epoch: a fresh pass over the index sampler, old answers ignored."""
        self._epoch += 1
        self._epoch_value.value = self._epoch
        self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0
        self._pending = {}  # task -> worker, in send order
        self._ready = {}  # task -> data received ahead of its turn
        self._active = [True] * self._n
        self._worker_cycle = itertools.cycle(range(self._n))
        for _ in range(self._prefetch * self._n):
            self._put_task()

    def _put_task(self):
        for _ in range(self._n):
            w = next(self._worker_cycle)
            if self._active[w]:
                break
        else:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        try:
            self._conns[w].send_bytes(dumps((self._epoch, self._send_idx, index)))
        except OSError:  # the pipe's reader is gone
            self._worker_died(self._workers[w])
        self._pending[self._send_idx] = w
        self._send_idx += 1

    def _next_ready(self):
        """The task whose data can be handed out now, or None."""
        if not self._in_order:
            return next(iter(self._ready), None)
        head = next(iter(self._pending), None)
        return head if head in self._ready else None

    def _retire(self, w):
        """Worker ``w``'s iterable ran out: its unanswered tasks never will be."""
        self._active[w] = False
        for t in [t for t, tw in self._pending.items() if tw == w and t not in self._ready]:
            del self._pending[t]
            self._put_task()

    def _receive(self):
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _PARENT_POLL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            if not all(w.is_alive() for w in self._workers):
                self._worker_died()
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _worker_died(self, suspect=None):
        if suspect is not None:
            suspect.join(timeout=1.0)  # let it be reaped, so is_alive() tells the truth
        dead = [w for w in self._workers if not w.is_alive()] or [suspect]
        pids = ", ".join(str(w.pid) for w in dead)
        self._shutdown()
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def __next__(self):
        if self._closed:
            raise StopIteration
        while True:
            task = self._next_ready()
            if task is not None:
                data = self._ready.pop(task)
                del self._pending[task]
                self._put_task()
                if isinstance(data, _WorkerError):
                    data.reraise()
                return data
            if len(self._pending) == len(self._ready):  # nothing left in flight
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            epoch, task, payload = self._receive()
            if epoch != self._epoch:
                continue
            data = pickle.loads(payload)
            if isinstance(data, _Exhausted):
                self._retire(data.worker_id)
                continue
            self._ready[task] = data

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")

    def _shutdown(self):
        """Stop and reap every worker; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._done.set()
        stop = dumps(None)
        for conn in self._conns:
            try:
                # Never block here: a worker stuck in user code with a full pipe sees the
                # Event once it is idle (or is terminated below).
                os.set_blocking(conn.fileno(), False)
                conn.send_bytes(stop)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for w in self._workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
                if w.is_alive():
                    w.kill()
                    w.join()
        for conn in self._conns:
            conn.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        try:
            self._shutdown()
        except Exception:
            # Interpreter shutdown may have torn down what this needs; workers are daemonic and
            # multiprocessing terminates them at exit anyway.
            pass
