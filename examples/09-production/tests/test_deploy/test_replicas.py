"""Two replicas behind a real proxy share every kind of state: proved on loopback.

The production topology, from real parts on this machine: two API processes started with
the image's command, HAProxy with the stage's configuration for hosts without Docker
(deploy/haproxy/haproxy-hosts.cfg as it is, its ports given by the environment), one taskiq
worker started with compose's command, PostgreSQL and Redis. Every request goes through the
proxy; each replica's access log says which one answered (by the request's id).

Needs PostgreSQL, Redis and HAProxy; fails without them when REQUIRE_SERVICES=1.
"""

import asyncio
import csv
import io
import json
import os
import secrets
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis
from conftest import key_prefix, redis_url
from deployment import (
    PROXY_HOSTS_CONFIG,
    Process,
    accepts_connections,
    compose,
    executable,
    haproxy,
    prod_command,
    prod_environment,
    proxy_ports,
    run_health_check,
    started,
    wait_until,
)
from ports import free_port
from sqlalchemy.engine import make_url

from fast_api_template.config import MIN_PASSWORD_MEMORY_COST, SecuritySettings

REPLICAS = ("api1", "api2")
# Seconds that a request, a job or a replica's log line gets at most.
DEADLINE = 20.0
# Concurrent clients of the load, and the requests it must see served in each phase.
CLIENTS = 4
REQUESTS_PER_PHASE = 20


def asyncpg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    """Plain SQL on the replicas' database, behind the service's back, from a sync test."""

    def __init__(self, url: str) -> None:
        self._runner = asyncio.Runner()
        self._connection: asyncpg.Connection = self._runner.run(asyncpg.connect(url))

    def execute(self, statement: str, *arguments: Any) -> str:
        result: str = self._runner.run(self._connection.execute(statement, *arguments))
        return result

    def fetch(self, query: str, *arguments: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = self._runner.run(self._connection.fetch(query, *arguments))
        return rows

    def close(self) -> None:
        self._runner.run(self._connection.close())
        self._runner.close()


@dataclass
class Topology:
    """The running parts, and a client of the proxy."""

    proxy: httpx.Client
    replicas: dict[str, Process]
    ports: dict[str, int]
    worker: Process
    proxy_process: Process
    database_url: str
    environment: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)

    def served_by(self, response: httpx.Response) -> str:
        """The replica that answered, found by the response's request id in the access logs."""
        request_id = response.headers["x-request-id"]
        found: list[str] = []

        def logged() -> bool:
            found[:] = [n for n, p in self.replicas.items() if f'"{request_id}"' in p.output()]
            return bool(found)

        wait_until(logged, f"the access line of request {request_id}", DEADLINE)
        (name,) = found
        return name

    def call(self, method: str, path: str, **options: Any) -> tuple[httpx.Response, str]:
        """Send a request through the proxy; return the response and the replica that served it."""
        response = self.proxy.request(method, path, headers=self.headers, **options)
        return response, self.served_by(response)

    def proxy_log(self) -> str:
        """What HAProxy logged: one line per request, with the replica that served it."""
        return self.proxy_process.output()

    def both_ready(self) -> bool:
        """Whether the proxy has sent a successful /ready to each replica (two calls or more)."""
        seen = set()
        for _ in range(2 * len(REPLICAS)):
            try:
                response = self.proxy.get("/ready")
            except httpx.TransportError:
                return False
            if response.status_code != 200:
                return False
            seen.add(self.served_by(response))
        return seen == set(REPLICAS)

    def read_elsewhere(self, replica: str, path: str) -> httpx.Response:
        """GET through the proxy until a replica other than `replica` answers (reads only)."""
        for _ in range(2 * len(REPLICAS)):
            response, served = self.call("GET", path)
            if served != replica:
                return response
        raise AssertionError(f"the proxy sent every GET {path} to {replica}")


def replica_environment(database_url: str, redis: str, prefix: str) -> dict[str, str]:
    """The image's environment, with production settings on the test's servers."""
    floor = SecuritySettings(
        password_memory_cost=MIN_PASSWORD_MEMORY_COST, password_time_cost=1, password_parallelism=1
    )
    return prod_environment(
        FAST_API_TEMPLATE_DATABASE__URL=database_url,
        FAST_API_TEMPLATE_REDIS__URL=redis,
        # The test's Redis listens on this machine's loopback, without a password.
        FAST_API_TEMPLATE_REDIS__PRIVATE_NETWORK="true",
        FAST_API_TEMPLATE_REDIS__KEY_PREFIX=prefix,
        FAST_API_TEMPLATE_SECURITY__SECRET_KEY=secrets.token_urlsafe(32),
        # The cheapest hashes that production accepts: the tests log in a few times.
        FAST_API_TEMPLATE_SECURITY__PASSWORD_MEMORY_COST=str(floor.password_memory_cost),
        FAST_API_TEMPLATE_SECURITY__PASSWORD_TIME_COST=str(floor.password_time_cost),
        FAST_API_TEMPLATE_SECURITY__PASSWORD_PARALLELISM=str(floor.password_parallelism),
        # The proxy runs on this machine.
        FAST_API_TEMPLATE_APP__TRUSTED_PROXIES="127.0.0.1",
        # `Topology.both_ready` tells the replicas apart by their access lines, /ready's too.
        FAST_API_TEMPLATE_LOG__PROBE_ACCESS="true",
    )


@pytest.fixture(scope="module")
def topology(
    postgres_url: str, empty_postgres: Callable[[], None], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    """Start the replicas, the worker and the proxy; stop them all at the end of the module."""
    program = haproxy()
    if program is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but HAProxy is not installed")
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy)")
    empty_postgres()
    prefix, server = key_prefix(), redis_url()
    directory = tmp_path_factory.mktemp("replicas")
    env = replica_environment(postgres_url, server, prefix)
    ports = {name: free_port() for name in REPLICAS}
    proxy_port = free_port()
    worker_command = executable(compose()["services"]["worker"]["command"])

    with ExitStack() as stack:
        replicas = {
            name: stack.enter_context(
                started(name, prod_command(port), env=env, directory=directory)
            )
            for name, port in ports.items()
        }
        worker = stack.enter_context(
            started("worker", worker_command, env=env, directory=directory)
        )
        for name, process in replicas.items():
            wait_until(serving(process, ports[name]), name)
        # After the replicas: HAProxy's first health checks find them ready.
        proxy_command = [program, "-f", str(PROXY_HOSTS_CONFIG), "-db"]
        proxy_env = env | proxy_ports(proxy_port, list(ports.values()))
        proxy = stack.enter_context(
            started("haproxy", proxy_command, env=proxy_env, directory=directory)
        )
        client = stack.enter_context(
            httpx.Client(base_url=f"http://127.0.0.1:{proxy_port}", timeout=DEADLINE)
        )
        topology = Topology(client, replicas, ports, worker, proxy, postgres_url, env)
        wait_until(lambda: proxy.running() and topology.both_ready(), "both replicas in the proxy")
        wait_until(lambda: worker.running() and "worker_started" in worker.output(), "the worker")
        yield topology
    empty_postgres()
    with redis.Redis.from_url(server) as connection:
        keys = list(connection.scan_iter(match=f"{prefix}*"))
        if keys:
            connection.delete(*keys)


def serving(process: Process, port: int) -> Callable[[], bool]:
    """A condition: the replica runs and accepts connections (its start-up is complete)."""
    return lambda: process.running() and accepts_connections(port)


def test_each_replica_runs_the_image_command_and_passes_its_health_check(
    topology: Topology,
) -> None:
    for port in topology.ports.values():
        health = httpx.get(f"http://127.0.0.1:{port}/health")
        checked = run_health_check(port, topology.environment)

        assert health.status_code == 200
        assert "server" not in health.headers
        assert checked.returncode == 0, checked.stderr


@pytest.fixture(scope="module")
def password() -> str:
    return secrets.token_urlsafe(12)


@pytest.fixture(scope="module")
def logged_in(topology: Topology, password: str) -> tuple[str, str]:
    """Register ada through the proxy and log her in; the replica that issued her token."""
    registered, _ = topology.call(
        "POST", "/api/v1/users", json={"email": "ada@example.com", "password": password}
    )
    assert registered.status_code == 201, registered.text
    login, issuer = topology.call(
        "POST", "/api/v1/auth/token", data={"username": "ada@example.com", "password": password}
    )
    assert login.status_code == 200, login.text
    topology.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    return login.json()["access_token"], issuer


def test_a_token_from_one_replica_works_on_the_other(
    topology: Topology, logged_in: tuple[str, str]
) -> None:
    _token, issuer = logged_in

    me = topology.read_elsewhere(issuer, "/api/v1/users/me")

    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"


def test_the_summaries_cache_is_shared_and_a_write_anywhere_refreshes_it(
    topology: Topology, logged_in: tuple[str, str]
) -> None:
    del logged_in
    created, _ = topology.call("POST", "/api/v2/projects", json={"name": "Garden"})
    project = created.json()["id"]
    first, filler = topology.call("GET", "/api/v2/projects/summaries")
    # Behind the service's back: no replica knows, so none invalidates its cache.
    database = Database(asyncpg_url(topology.database_url))
    try:
        database.execute("UPDATE projects SET name = 'Renamed in SQL' WHERE id = $1", project)
    finally:
        database.close()

    cached = topology.read_elsewhere(filler, "/api/v2/projects/summaries")
    added, writer = topology.call(
        "POST", f"/api/v2/projects/{project}/tasks", json={"title": "Dig"}
    )
    fresh = topology.read_elsewhere(writer, "/api/v2/projects/summaries")

    assert first.json()[0]["name"] == "Garden"
    # The other replica answered from the entry that the first one cached, in Redis.
    assert cached.json() == first.json()
    assert added.status_code == 201
    # The write on one replica made the cache stale for both.
    assert fresh.json()[0]["name"] == "Renamed in SQL"
    assert fresh.json()[0]["tasks"]["todo"] == 1


def test_an_export_queued_on_one_replica_runs_on_the_worker_and_is_read_on_the_other(
    topology: Topology, logged_in: tuple[str, str]
) -> None:
    del logged_in
    created, _ = topology.call("POST", "/api/v2/projects", json={"name": "Kitchen"})
    project = created.json()["id"]
    topology.call("POST", f"/api/v2/projects/{project}/tasks", json={"title": "Sweep"})

    accepted, queued_on = topology.call("POST", f"/api/v2/projects/{project}/exports")
    assert accepted.status_code == 202, accepted.text
    job_url = accepted.headers["location"]
    job: dict[str, Any] = {}

    def finished() -> bool:
        job.update(topology.proxy.get(job_url, headers=topology.headers).json())
        return job["status"] in {"done", "failed"}

    wait_until(finished, "the export job", DEADLINE)
    file = topology.read_elsewhere(queued_on, job["links"]["file"])

    assert (job["status"], job["attempts"]) == ("done", 1)
    assert ("export_done", job["id"]) in worker_events(topology.worker)
    assert [row[1] for row in csv.reader(io.StringIO(file.text))] == ["title", "Sweep"]


def worker_events(worker: Process) -> set[tuple[str, str]]:
    """The (event, job id) pairs of the worker's JSON log lines that name a job."""
    lines = [json.loads(line) for line in worker.output().splitlines() if line.startswith("{")]
    return {(line["event"], line["job_id"]) for line in lines if "job_id" in line}


def test_failed_logins_count_across_replicas(topology: Topology, password: str) -> None:
    attempts = SecuritySettings().login_attempts
    wrong = {"username": "ada@example.com", "password": password + "x"}
    served = []
    for _ in range(attempts):
        response, replica = topology.call("POST", "/api/v1/auth/token", data=wrong)
        assert response.status_code == 401
        served.append(replica)

    right = {"username": "ada@example.com", "password": password}
    refused, _ = topology.call("POST", "/api/v1/auth/token", data=right)

    # Each replica saw fewer failures than the limit; together they reached it.
    assert set(served) == set(REPLICAS)
    assert max(Counter(served).values()) < attempts
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0


@dataclass
class Load:
    """Clients that send requests through the proxy until told to stop, and what they got."""

    topology: Topology
    project: int
    outcomes: list[tuple[str, int | str]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, client_number: int) -> None:
        """Alternate a read and a write, as one client; record each status (or error)."""
        with httpx.Client(
            base_url=self.topology.proxy.base_url, headers=self.topology.headers, timeout=DEADLINE
        ) as client:
            sent = 0
            while not self.stopping.is_set():
                if sent % 2:
                    method, path = "POST", f"/api/v2/projects/{self.project}/tasks"
                    body: dict[str, Any] | None = {"title": f"client {client_number} #{sent}"}
                else:
                    method, path, body = "GET", "/api/v2/projects", None
                try:
                    outcome: int | str = client.request(method, path, json=body).status_code
                except httpx.TransportError as error:
                    outcome = type(error).__name__
                with self._lock:
                    self.outcomes.append((method, outcome))
                sent += 1

    def served(self) -> int:
        with self._lock:
            return len(self.outcomes)

    def wait_for(self, more: int) -> None:
        """Wait until the clients have `more` answers than now."""
        target = self.served() + more
        wait_until(lambda: self.served() >= target, f"{more} more requests under load", DEADLINE)


def replica_holding(port: int, replicas: dict[str, Process]) -> str:
    """The replica whose process owns the TCP connection from local `port` (Linux's /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for name, process in replicas.items():
        for descriptor in Path(f"/proc/{process.popen.pid}/fd").iterdir():
            try:
                if str(descriptor.readlink()) in inodes:
                    return name
            except OSError:
                continue  # closed meanwhile
    raise AssertionError(f"no replica owns the connection from port {port}")


# --8<-- [start:stop]
def test_a_replica_stops_under_load_and_no_read_fails(
    topology: Topology, logged_in: tuple[str, str]
) -> None:
    """SIGTERM one replica while a write waits in it and clients keep sending requests.

    The write in flight is held by a row lock that the test takes, so that it is still
    running when the signal arrives; the test then releases it.
    """
    del logged_in
    locked, _ = topology.call("POST", "/api/v2/projects", json={"name": "Locked"})
    busy, _ = topology.call("POST", "/api/v2/projects", json={"name": "Busy"})
    locked_id, busy_id = locked.json()["id"], busy.json()["id"]
    database = Database(asyncpg_url(topology.database_url))
    database.execute("BEGIN")
    # NO KEY UPDATE: blocks the rename below, not the rows that merely refer to the project.
    database.fetch("SELECT id FROM projects WHERE id = $1 FOR NO KEY UPDATE", locked_id)
    load = Load(topology, busy_id)
    with ThreadPoolExecutor(max_workers=CLIENTS + 1) as pool:
        clients = [pool.submit(load.run, number) for number in range(CLIENTS)]
        try:
            in_flight: Future[httpx.Response] = pool.submit(
                topology.proxy.patch,
                f"/api/v2/projects/{locked_id}",
                json={"name": "Renamed in flight"},
                headers=topology.headers,
            )
            stopped, port = stop_the_replica_holding_the_write(topology, database, load)
            still_waiting = not in_flight.done()
            database.execute("ROLLBACK")  # the write in flight goes on
            renamed = in_flight.result(timeout=DEADLINE)
            code = topology.replicas[stopped].stop(DEADLINE)
            load.wait_for(REQUESTS_PER_PHASE)  # with the replica gone
        finally:
            load.stopping.set()
        for client in clients:
            client.result()
        (stored,) = database.fetch("SELECT count(*) FROM tasks WHERE project_id = $1", busy_id)
        database.close()

    outcomes = Counter(load.outcomes)
    created = outcomes[("POST", 201)]
    failed_writes = sum(
        n for (method, code), n in outcomes.items() if method == "POST" and code != 201
    )
    redispatched = retried_by_the_proxy(topology.proxy_log())
    print(f"{stopped} stopped under load: {sorted(outcomes.items(), key=str)}")
    print(f"{redispatched} requests retried by the proxy; {stored[0]} tasks stored")
    assert not accepts_connections(port)
    assert still_waiting, "the write finished before the replica was told to stop"
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Renamed in flight"
    assert code == -signal.SIGTERM, topology.replicas[stopped].output()
    assert "Application shutdown complete" in topology.replicas[stopped].output()
    # Every read gets its answer: the proxy retries a read that the stopping replica refused.
    assert {code for (method, code) in outcomes if method == "GET"} == {200}, outcomes
    assert redispatched > 0
    # A write is never retried by the proxy. One that met the replica closing its idle
    # connection fails, visibly, at most one per client; every write answered 201 is stored.
    assert failed_writes <= CLIENTS, outcomes
    assert created <= stored[0] <= created + failed_writes


# --8<-- [end:stop]


def retried_by_the_proxy(log: str) -> int:
    """Count the requests that HAProxy sent again, to another replica ("+1" in its log line).

    Its log line's eleventh field is `active/frontend/backend/server/retries`, with a "+"
    before the retries when the request went to another server.
    """
    lines = [line.split() for line in log.splitlines() if '"' in line]
    return sum(1 for fields in lines if len(fields) > 10 and "/+" in fields[10])


def stop_the_replica_holding_the_write(
    topology: Topology, database: Database, load: Load
) -> tuple[str, int]:
    """Find the replica whose database connection waits on the test's lock; SIGTERM it.

    Returns the replica's name and port, once it no longer accepts connections.
    """
    waiting: list[asyncpg.Record] = []

    def write_waits() -> bool:
        waiting[:] = database.fetch(
            "SELECT client_port FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(waiting)

    wait_until(write_waits, "the write waiting on the lock", DEADLINE)
    replica = replica_holding(waiting[0]["client_port"], topology.replicas)
    load.wait_for(REQUESTS_PER_PHASE)  # both replicas serving
    topology.replicas[replica].popen.terminate()
    port = topology.ports[replica]
    wait_until(lambda: not accepts_connections(port), f"{replica} closing its port", DEADLINE)
    load.wait_for(REQUESTS_PER_PHASE)  # while the replica finishes its write
    return replica, port
