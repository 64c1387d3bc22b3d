"""Start real MPI jobs from pytest: ``mpiexec -n N python script`` with a hard timeout."""
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _has_mpi():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return shutil.which("mpiexec") is not None


needs_mpi = pytest.mark.skipif(not _has_mpi(), reason="needs mpi4py and mpiexec")


def job_env():
    env = dict(os.environ)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def mpirun(script, n, *args, timeout=90):
    """Run ``script`` (a file in tests/distributed) on ``n`` ranks; returns the finished
    process (stdout, stderr, returncode), killing the job if it outlives ``timeout``."""
    cmd = [shutil.which("mpiexec"), "--oversubscribe", "-n", str(n), sys.executable,
           os.path.join(HERE, script), *map(str, args)]
    return run(cmd, timeout)


def run(cmd, timeout, env=None):
    """subprocess.run in a session of its own: on timeout the whole job (launcher and ranks)
    is killed, so a hung job never outlives its test."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=job_env() if env is None else env, cwd=ROOT,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"job {cmd} still running after {timeout} s; killed.\n"
                             f"{out[-3000:]}\n{err[-3000:]}") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def results(proc):
    """{rank: payload} from the ``RESULT <rank> <json>`` lines the rank scripts print."""
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            _, rank, payload = line.split(" ", 2)
            out[int(rank)] = json.loads(payload)
    return out
