"""One emulator process for a Python test (tools/emulator/smoke_test.py, the pipeline
test in tools/pipeline/): emulator.py on a free port, its control API and boto3 clients.

Start-up waits for the port file the emulator writes once it listens; a test that
needs the port line the emulator prints asks for stdout with `stdout=subprocess.PIPE`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

REGION = "us-east-1"
EMULATOR = Path(__file__).resolve().parent / "emulator.py"


class EmulatorProcess:
    """emulator.py on a free port (`--exit-with-parent`: it stops when this process
    exits), logging to WORK/emulator.log."""

    def __init__(self, work: str | os.PathLike, env: dict[str, str] | None = None,
                 stdout: int = subprocess.DEVNULL):
        port_file = Path(work) / "emulator.port"
        self.port_file = str(port_file)
        self.log = open(Path(work) / "emulator.log", "w")
        # The tests set their own clock; a time scale from the caller's shell is not theirs.
        child_env = {k: v for k, v in os.environ.items() if k != "BLUEGREEN_EMULATOR_TIME_SCALE"}
        child_env.update(env or {})
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(EMULATOR), "--port-file", self.port_file, "--quiet", "--exit-with-parent"],
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=self.log, env=child_env, text=True)
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() - t0 > 60:
                raise RuntimeError(f"emulator did not start; see {self.log.name}")
            time.sleep(0.05)
        self.startup = time.monotonic() - t0
        self.port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, body: object = None) -> dict:
        """A call to the emulator's control API, JSON in and out."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def client(self, service: str, retries: int = 1, timeout: float | None = 10):
        """A boto3 client of the emulator making at most `retries` attempts; `timeout`
        None keeps botocore's own read and connect timeouts."""
        timeouts = {} if timeout is None else {"read_timeout": timeout, "connect_timeout": 5}
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing",
                            config=Config(retries={"total_max_attempts": retries, "mode": "standard"}, **timeouts))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
