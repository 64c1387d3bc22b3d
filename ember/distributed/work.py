"""Work: the handle an ``async_op=True`` collective returns (torch's ``dist.Work``)."""


class Work:
    """A collective in flight: ``wait()`` blocks until it finished (and its outputs are
    written), ``is_completed()`` tests without blocking. Both drive MPI's progress."""

    __slots__ = (
        "_done",
        "_error",
        "_finish",
        "_outputs",
        "_peer",
        "_pg",
        "_reqs",
        "_seq",
        "_statuses",
        "_what",
    )

    def __init__(self, pg, reqs, finish, what, seq, outputs=(), peer=None, statuses=None):
        self._pg = pg
        self._reqs = reqs if isinstance(reqs, list) else [reqs]
        self._finish = finish
        self._what = what
        self._seq = seq
        self._outputs = outputs
        self._done = False
        self._error = None
        self._peer = peer
        self._statuses = statuses

    def wait(self, timeout=None):
        """wait(timeout=None) -> True: block until the operation finished; raises when it timed
        out (``timeout`` as a timedelta or seconds, else the group's)."""
        if not self._done:
            if timeout is not None and hasattr(timeout, "total_seconds"):
                timeout = timeout.total_seconds()
            try:
                self._pg.wait(self._reqs, self._what, self._seq, timeout, self._peer,
                              self._statuses)
            except Exception as e:
                self._error = e
                raise
            self._complete()
        return True

    def is_completed(self):
        """is_completed() -> bool: whether the operation finished (never blocks)."""
        if not self._done:
            from .process_group import MPI
            if not MPI.Request.Testall(self._reqs, self._statuses):
                return False
            self._complete()
        return True

    def is_success(self):
        return self._done and self._error is None

    def exception(self):
        return self._error

    def result(self):
        """The output tensors of the finished operation."""
        self.wait()
        return list(self._outputs)

    def source_rank(self):
        """For ``irecv`` from any source: the global rank the message came from."""
        self.wait()
        return self._outputs[0] if self._outputs and isinstance(self._outputs[0], int) else -1

    def _complete(self):
        self._done = True
        finish, self._finish = self._finish, None
        if finish is not None:
            r = finish()
            if r is not None:
                self._outputs = r

    def __repr__(self):
        return f"<Work {self._what} {'completed' if self._done else 'pending'}>"
