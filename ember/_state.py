"""The flags every op reads, in one __slots__ object (a slot read costs ~30 ns; DESIGN.md §1)."""


class _State:
    __slots__ = ("grad_enabled", "inference", "tracer", "anomaly", "anomaly_check_nan")

    def __init__(self):
        self.grad_enabled = True
        self.inference = False
        self.tracer = None          # set by the compiler while it records a call
        self.anomaly = False        # detect_anomaly(): nodes remember the forward stack
        self.anomaly_check_nan = True


state = _State()
