"""``python -m ember.run script.py [args ...]``: run an unmodified PyTorch script on ember.

While the script runs, ``import torch`` and its submodules (``torch.nn``, ``torch.optim``,
``torch.utils.data``…) resolve to ember's (``ember.compat.install_torch_alias``). The script
runs as ``python script.py [args ...]`` would run it: as ``__main__``, with ``sys.argv`` set to
``[script.py, args ...]``, its own folder first on ``sys.path``, and its exit status (from
``sys.exit`` or an uncaught exception) as the process's. ``python -m ember.run -m module
[args ...]`` runs a module the way ``python -m module`` does.
"""
import os
import runpy
import sys

from .compat import install_torch_alias

PROG = "python -m ember.run"
USAGE = f"usage: {PROG} script.py [args ...]  |  {PROG} -m module [args ...]"
HELP = f"""{USAGE}

Run a PyTorch program on ember: while it runs, `import torch` (and torch.nn, torch.optim,
torch.utils.data, ...) gives ember's modules. The program sees sys.argv and __name__ as under
`python script.py`, and its exit status becomes this command's. A torch API that ember lacks
fails with an error that names it."""


def main(argv=None):
    """main(argv=None) -> int: run the script named by ``argv[0]`` (default ``sys.argv[1:]``)
    under the torch alias; returns 0 when it finishes, propagates its ``SystemExit``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(f"{PROG}: error: no script given ({USAGE})", file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(HELP)
        return 0
    if argv[0] == "-m":
        if len(argv) < 2:
            print(f"{PROG}: error: -m needs a module name ({USAGE})", file=sys.stderr)
            return 2
        # as `python -m module`: argv[0] is filled in by runpy with the module's file
        sys.argv = [argv[1], *argv[2:]]
        sys.path[0] = os.getcwd()
        install_torch_alias()
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.exists(script):
        print(f"{PROG}: error: can't open file {os.path.abspath(script)!r}: no such file",
              file=sys.stderr)
        return 2
    sys.argv = argv
    # `python script.py` puts the script's folder first on sys.path (the cwd is not on it)
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    install_torch_alias()
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
