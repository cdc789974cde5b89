"""How `make test`'s processes share the suite out: in lanes, whole modules at a time.

Some modules spend most of their time waiting: on the gunicorn, nginx, Redis or PostgreSQL they
start, pause and stop, on a storage that hangs, on a provider's rate. Under xdist's own
scheduling they ran last, in every process at once, and the last 40-50 s of a run used one core
of two. A browser test's process waits too, on Chromium and its live server. So the modules go
into three queues, and each process has a lane: the first takes the waiting modules, one after
another, the second those that drive Chromium, the others the rest, which keep both cores busy
meanwhile. A process whose queue is empty helps where the most work is left, with its longest
module, so that the processes finish together.

Each module goes to one process whole: its module-scoped fixtures (a Redis server, two gunicorn
masters, a database of its own) are made once, and its tests keep their order. A test that
commits leaves the database empty behind it; tests/conftest.py puts the migrated rows back before
the next test that rolls back (`MigratedRows`), so the order of the modules does not matter.
"""

from collections import deque

# Modules whose tests mostly wait, longest first (by their time in a run of the suite); a module
# missing here runs in the rest's lane, only later. tests/test_lanes.py checks that each exists.
WAITING = (
    "tests/deploy/test_cdn.py",
    "tests/foundation/test_faults.py",
    "tests/newsroom/test_faults_database.py",
    "tests/media/test_object_storage.py",
    "tests/foundation/test_outbox_worker.py",
    "tests/newsletters/test_sending.py",
    "tests/newsletters/test_send_workers.py",
    "tests/foundation/test_cache.py",
    "tests/foundation/test_worker.py",
    "tests/articles/test_meter_races.py",
    "tests/newsroom/test_faults_responses.py",
)


LANES = ("waiting", "browser", "rest")
# A guess at how long one test of each lane takes on a quiet machine.
SECONDS_PER_TEST = {"waiting": 2.0, "browser": 4.0, "rest": 0.1}


def module_of(nodeid: str) -> str:
    return nodeid.partition("::")[0]


def drives_chromium(module: str, nodeids) -> bool:
    """Whether a module's tests drive Chromium (pytest-playwright gives them its parameter)."""
    return "browser" in module or any(nodeid.endswith("[chromium]") for nodeid in nodeids)


class Lanes:
    """An xdist scheduler (its `Scheduling` protocol) of three queues of whole modules: those
    that wait, those that drive Chromium, and the rest. The first process takes from the first,
    the second from the second, the others from the third; a process whose queue is empty
    helps where the most work is left, with its longest module."""

    def __init__(self, processes: int):
        self.processes = processes
        self.pending = {}  # node: the indexes of the tests it was sent and has not finished
        self.collections = {}
        self.collection = None
        self.queues = {lane: deque() for lane in LANES}  # of modules: lists of indexes

    @property
    def nodes(self):
        return list(self.pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.collections) >= self.processes

    @property
    def tests_finished(self) -> bool:
        return self.collection_is_completed and not self.has_pending

    @property
    def has_pending(self) -> bool:
        return self.work_left() or any(self.pending.values())

    def work_left(self) -> bool:
        return any(self.queues.values())

    def add_node(self, node) -> None:
        self.pending[node] = []

    def add_node_collection(self, node, collection) -> None:
        if self.collection is not None and list(collection) != self.collection:
            raise RuntimeError(f"{node.gateway.id} collected other tests than the first process")
        self.collections[node] = list(collection)

    def schedule(self) -> None:
        if self.collection is None:
            self.collection = next(iter(self.collections.values()))
            modules = {}
            for index, nodeid in enumerate(self.collection):
                modules.setdefault(module_of(nodeid), []).append(index)
            for module in WAITING:
                if module in modules:
                    self.queues["waiting"].append(modules.pop(module))
            for module, indexes in sorted(modules.items(), key=lambda pair: -len(pair[1])):
                nodeids = [self.collection[index] for index in indexes]
                lane = "browser" if drives_chromium(module, nodeids) else "rest"
                self.queues[lane].append(indexes)
        for node in self.nodes:
            self.feed(node)

    def feed(self, node) -> None:
        """Send `node` whole modules until it has two tests ahead of it, or tell it to finish
        what it has when nothing is left (a process runs a test once it knows the next one, or
        that there is none)."""
        if node.shutting_down:
            return
        if not self.work_left():
            node.shutdown()
            return
        own = LANES[min(self.nodes.index(node), len(LANES) - 1)]
        sent = []
        while len(self.pending[node]) + len(sent) < 2 and self.work_left():
            lane = own if self.queues[own] else max(LANES, key=self.seconds_left)
            sent.extend(self.queues[lane].popleft())
        if sent:
            self.pending[node].extend(sent)
            node.send_runtest_some(sent)

    def seconds_left(self, lane: str) -> float:
        """A rough guess of how long what is left in `lane`'s queue takes one process."""
        return sum(map(len, self.queues[lane])) * SECONDS_PER_TEST[lane]

    def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
        self.pending[node].remove(item_index)
        self.feed(node)

    def mark_test_pending(self, item: str) -> None:
        raise NotImplementedError

    def remove_pending_tests_from_node(self, node, indices) -> None:
        raise NotImplementedError

    def remove_node(self, node):
        """Forget `node` (finished, or crashed): return the test it crashed in, if any, and
        hand the rest of what it had to the others."""
        left = self.pending.pop(node)
        if not left:
            return None
        crashed, rest = left[0], left[1:]
        if rest:
            self.queues["rest"].appendleft(rest)
        for other in self.nodes:
            self.feed(other)
        return self.collection[crashed]
