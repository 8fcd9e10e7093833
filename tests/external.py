"""Helpers for tests that start a real server (Prometheus, Alertmanager, qcluster workers)."""

import subprocess


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server the test started; kill it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
