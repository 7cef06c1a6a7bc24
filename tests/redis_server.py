"""The Redis server of the tests (rate limits shared between workers).

``TEST_REDIS_URL`` (or ``REDIS_URL``) names one (``.ci/run`` starts one and sets it). Without
it, a throwaway ``redis-server`` is started on a free loopback port when the binary exists
(Debian: ``apt-get install redis-server``). No Redis at all: the tests that need one fail
under ``CI=true`` and are skipped, loudly, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def _ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def redis_server(workdir: str) -> Iterator[str]:
    """Yield the URL of a Redis server for the tests."""
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        if not _ping(url):
            pytest.fail(f"TEST_REDIS_URL/REDIS_URL {url} does not answer")
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        message = (
            "no TEST_REDIS_URL and no redis-server binary (apt-get install redis-server): "
            "the rate limits shared by the workers are not tested"
        )
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Redis required in CI: {message}", pytrace=False)
        pytest.skip(f"!!! REDIS MISSING, SKIPPED: {message}")
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    args += ["no", "--dir", workdir]
    process = subprocess.Popen(  # noqa: S603 - our own arguments
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):  # up to ~10 s for the server to answer
            if _ping(url):
                break
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with status {process.returncode}")
            time.sleep(0.1)
        else:
            pytest.fail("redis-server did not answer within 10 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
