"""A sweep on a ``dask.distributed`` scheduler: addresses, services that are not a Dask
scheduler (started here on 127.0.0.1, each on a port of its own), and a real
``LocalCluster`` (the same bytes as ``--scheduler synchronous``, a worker killed mid-run)."""

import contextlib
import http.server
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from distributed import LocalCluster

from dlnverify.errors import InvalidParameter
from reports.cli import ExitCode, main
from reports.experiments import cluster
from reports.experiments.cluster import SchedulerAddress, check_scheduler, scheduler_address

#: A sweep small enough to take a second on one core (two runs).
SWEEP = ["simulate", "--steps", "40", "--width", "4", "--quiet", "--sweep", "seed=1,2"]


# --- addresses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("tcp://127.0.0.1:8786", "127.0.0.1", 8786),
        ("tcp://[::1]:1", "::1", 1),
        ("tcp://scheduler.example.org:65535", "scheduler.example.org", 65535),
    ],
)
def test_a_scheduler_address_is_read(text, host, port):
    address = scheduler_address(text)
    assert address == SchedulerAddress(host, port)
    assert address.uri == text


@pytest.mark.parametrize(
    "text",
    [
        "proccesses",  # a typo of a local scheduler
        "127.0.0.1:8786",  # no tcp://
        "tls://127.0.0.1:8786",
        "http://127.0.0.1:8786",
        "tcp://127.0.0.1",
        "tcp://127.0.0.1:0",
        "tcp://127.0.0.1:65536",
        "tcp://127.0.0.1:8786/path",
        "tcp://a b:1",
        "tcp://-host:1",
        "tcp://127.0.0.1:8786\n",
    ],
)
def test_anything_else_is_refused_naming_the_form(text):
    with pytest.raises(InvalidParameter, match=r"tcp://HOST:PORT") as refused:
        scheduler_address(text, local=("processes", "threads"))
    assert str(refused.value).startswith(f"Got scheduler {text!r}, but it must be processes,")


# --- services that are not a Dask scheduler -------------------------------------------------------


@contextlib.contextmanager
def serving(answer):
    """A TCP service on 127.0.0.1 that calls ``answer(connection)`` on every connection it
    accepts and keeps the connection open; yields its address."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    stop = threading.Event()
    held = []

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            held.append(connection)
            with contextlib.suppress(OSError):
                answer(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()


@contextlib.contextmanager
def http_server():
    """A real HTTP server (Python's own) on 127.0.0.1; yields its address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port():
    """A port of 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _refused_sweep(capsys, address):
    """``simulate --sweep ... --scheduler ADDRESS --json``: exit 2, the one line (without
    its prefix) that stderr holds and the JSON error object repeats, and the seconds taken."""
    start = time.monotonic()
    code = main([*SWEEP, "--scheduler", address, "--json"])
    elapsed = time.monotonic() - start
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT, captured
    assert captured.err.count("\n") == 1, captured.err
    message = captured.err.removeprefix("dlnverify: error: ").removesuffix("\n")
    assert json.loads(captured.out) == {"error": message, "exit_code": 2}
    assert address in message
    assert "not enough memory" not in message
    return message, elapsed


#: Answers of services that speak first but not Dask: an HTTP reply (whose first eight bytes,
#: read as a frame length, are 3 EiB: it was reported as "not enough memory"), an SSH
#: banner, and random bytes.
FOREIGN_ANSWERS = {
    "http reply": b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    "ssh banner": b"SSH-2.0-OpenSSH_9.6\r\n",
    "random bytes": random.Random(30).randbytes(4096),
}


@pytest.mark.parametrize("name", sorted(FOREIGN_ANSWERS))
def test_a_service_that_answers_otherwise_is_not_a_dask_scheduler(capsys, name):
    answer = FOREIGN_ANSWERS[name]
    with serving(lambda connection: connection.sendall(answer)) as address:
        message, elapsed = _refused_sweep(capsys, address)
    assert message.startswith(f"{address} is not a Dask scheduler: its answer is not the Dask")
    quoted = answer[:16].decode("latin-1")
    if quoted.isprintable():
        assert f"(it began '{quoted}')" in message
    assert elapsed < cluster.CONNECT_TIMEOUT  # at once, not at the timeout


@pytest.mark.parametrize("silent", ["accepts and never answers", "a real HTTP server"])
def test_a_silent_service_is_refused_when_the_connect_timeout_is_up(capsys, monkeypatch, silent):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    service = serving(lambda connection: None) if silent.startswith("accepts") else http_server()
    with service as address:
        message, elapsed = _refused_sweep(capsys, address)
    assert message == (
        f"{address} is not a Dask scheduler: it accepted a connection but sent nothing within"
        " 1 s, where a Dask scheduler sends its handshake at once."
    )
    assert 1.0 <= elapsed < 6.0  # the timeout, not for ever (wall clock: it waits, idle)


def test_a_service_that_closes_at_once_is_not_a_dask_scheduler(capsys):
    with serving(lambda connection: connection.close()) as address:
        message, elapsed = _refused_sweep(capsys, address)
    assert "it accepted a connection and closed it without a word" in message
    assert elapsed < cluster.CONNECT_TIMEOUT


def test_a_closed_port_is_refused_at_once(capsys):
    address = f"tcp://127.0.0.1:{closed_port()}"
    message, elapsed = _refused_sweep(capsys, address)
    assert message == f"Cannot reach the Dask scheduler {address}: connection refused."
    assert elapsed < cluster.CONNECT_TIMEOUT


def test_the_timeout_bounds_the_whole_check(monkeypatch):
    """A service that sends one byte, then nothing: the Dask handshake never completes, and
    the check still ends at its timeout (distributed's own read has none)."""
    with serving(lambda connection: connection.sendall(b"\x08")) as address:
        start = time.monotonic()
        with pytest.raises(InvalidParameter, match="did not complete the Dask handshake in time"):
            check_scheduler(scheduler_address(address), timeout=1.0)
        assert time.monotonic() - start < 6.0


# --- a real LocalCluster ---------------------------------------------------------------------------

#: The tests that share the cluster run on one xdist worker.
in_the_cluster_group = pytest.mark.xdist_group("dask_cluster")


@pytest.fixture(scope="module")
def local_cluster():
    """One worker process with one thread (a second worker would only share the two cores)."""
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as running:
        yield running


def _sweep_output(capsys, tmp_path, scheduler, *extra):
    """stdout and the ``--output`` file of a sweep on ``scheduler``."""
    output = tmp_path / f"sweep-{len(list(tmp_path.iterdir()))}.json"
    argv = [*SWEEP, *extra, "--scheduler", scheduler, "--output", str(output), "--json"]
    assert main(argv) == ExitCode.OK
    return capsys.readouterr().out, output.read_bytes()


@in_the_cluster_group
def test_a_sweep_on_a_local_cluster_gives_the_bytes_of_the_synchronous_scheduler(
    local_cluster, tmp_path, capsys
):
    on_cluster = _sweep_output(capsys, tmp_path, local_cluster.scheduler_address)
    synchronous = _sweep_output(capsys, tmp_path, "synchronous")
    assert on_cluster == synchronous
    other_step = _sweep_output(capsys, tmp_path, "synchronous", "--eta", "0.02")
    assert other_step[1] != synchronous[1]  # the comparison can fail


@in_the_cluster_group
def test_a_dask_worker_is_not_a_scheduler(local_cluster, capsys):
    worker = next(iter(local_cluster.scheduler_info["workers"]))
    message, _ = _refused_sweep(capsys, worker)
    assert message.startswith(f"{worker} is not a Dask scheduler: it is a Dask Worker;")


def _kill_the_worker_mid_run(local_cluster, argv):
    """``main(argv)`` in a thread, its worker process killed (SIGKILL) while it runs a task;
    the exit code, and how many runs were running (or queued) on the worker when it died."""
    nanny = next(iter(local_cluster.workers.values()))
    killed = nanny.pid
    lost_before = _lost_runs(local_cluster)
    codes = []
    thread = threading.Thread(target=lambda: codes.append(main(argv)))
    thread.start()
    scheduler = local_cluster.scheduler
    deadline = time.monotonic() + 30
    while not any(worker.processing for worker in scheduler.workers.values()):
        assert time.monotonic() < deadline, "the sweep never started on the cluster"
        time.sleep(0.02)
    time.sleep(0.1)  # inside the first run (a second or two of steps)
    os.kill(killed, signal.SIGKILL)
    thread.join(timeout=60)
    assert not thread.is_alive(), "the sweep hung after its worker was killed"
    return codes[0], _lost_runs(local_cluster) - lost_before


def _lost_runs(local_cluster):
    """How many sweep runs (Dask tasks named after ``sweep._run``) lost their worker so far."""
    prefix = local_cluster.scheduler.task_prefixes.get("run")
    return 0 if prefix is None else prefix.suspicious


#: Two runs of most of a second each on one core.
LONG_SWEEP = ["simulate", "--steps", "2000", "--width", "4", "--quiet", "--sweep", "seed=1,2"]


@in_the_cluster_group
def test_a_worker_killed_mid_run_is_survived_with_the_same_bytes(local_cluster, tmp_path, capsys):
    """The scheduler runs the lost run again on the worker the nanny restarts (allowed
    failures: 3), and the result is the synchronous scheduler's, byte for byte."""
    output = tmp_path / "cluster.json"
    argv = [*LONG_SWEEP, "--scheduler", local_cluster.scheduler_address, "--output", str(output)]
    code, lost = _kill_the_worker_mid_run(local_cluster, argv)
    assert code == ExitCode.OK
    assert lost >= 1
    reference = tmp_path / "synchronous.json"
    assert main([*LONG_SWEEP, "--scheduler", "synchronous", "--output", str(reference)]) == 0
    assert output.read_bytes() == reference.read_bytes()


@in_the_cluster_group
def test_a_worker_killed_more_often_than_allowed_is_one_line_and_exit_1(
    local_cluster, capsys, monkeypatch
):
    monkeypatch.setattr(local_cluster.scheduler, "allowed_failures", 0)
    argv = [*LONG_SWEEP, "--scheduler", local_cluster.scheduler_address, "--json"]
    code, lost = _kill_the_worker_mid_run(local_cluster, argv)
    assert code == ExitCode.FAILED
    assert lost >= 1
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("dlnverify")]
    message = (
        f"The sweep on the Dask scheduler {local_cluster.scheduler_address} failed: the workers"
        " running one of its runs died 1 time, more than the scheduler allows"
        " (distributed.scheduler.allowed-failures = 0); see the workers' logs."
    )
    assert lines == [f"dlnverify: error: {message}"]
    assert "Traceback" not in captured.err
    assert json.loads(captured.out) == {"error": message, "exit_code": 1}


# --- the scheduler lost mid-sweep ----------------------------------------------------------------

#: A scheduler with one worker thread in one process of its own (killing it kills both) on a
#: free port of 127.0.0.1: it prints its address, then "running" once a run has started on
#: its worker, then waits to be killed.
_SCHEDULER = """
import time
from pathlib import Path
from distributed import LocalCluster
with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                  host="127.0.0.1", dashboard_address=None) as cluster:
    print(cluster.scheduler_address, flush=True)
    while not any(worker.processing for worker in cluster.scheduler.workers.values()):
        time.sleep(0.02)
    print("running", flush=True)
    time.sleep(600)
"""


@contextlib.contextmanager
def _process(argv, **options):
    """``argv`` as a process with pipes, killed (if still running) and reaped at the end."""
    process = subprocess.Popen(argv, text=True, **options)
    try:
        yield process
    finally:
        process.kill()
        process.communicate(timeout=30)


@in_the_cluster_group
def test_a_scheduler_lost_mid_sweep_is_one_line_exit_1_and_no_output(tmp_path):
    """The scheduler (and its worker) killed with SIGKILL while the sweep's first run runs:
    ``dlnverify`` (a process of its own: what a user sees) ends at once with the one line of
    :class:`~dlnverify.errors.RunFailed`, exit 1, its JSON, no traceback and no log lines of
    distributed, and leaves no file under the output's name, nor any other."""
    scheduler_argv = [sys.executable, "-c", _SCHEDULER]
    with _process(scheduler_argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as scheduler:
        address = scheduler.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), address
        argv = [sys.executable, "-m", "reports.cli", *LONG_SWEEP, "--steps", "200000"]
        argv += ["--scheduler", address, "--output", "sweep.json", "--json"]
        with _process(
            argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_ENVIRONMENT
        ) as sweep:
            assert scheduler.stdout.readline() == "running\n"  # a run is under way
            scheduler.kill()
            killed = time.monotonic()
            out, err = sweep.communicate(timeout=60)
    assert time.monotonic() - killed < 15  # at once, not when the steps are done
    message = (
        f"The sweep on the Dask scheduler {address} failed: the connection to the scheduler"
        " was lost while its runs ran."
    )
    assert (sweep.returncode, err) == (ExitCode.FAILED, f"dlnverify: error: {message}\n")
    assert json.loads(out) == {"error": message, "exit_code": 1}
    assert list(tmp_path.iterdir()) == []


#: The environment of a ``dlnverify`` process: this checkout first on the path.
_ENVIRONMENT = os.environ | {
    "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).parents[3]), os.environ.get("PYTHONPATH", "")]
    )
}
