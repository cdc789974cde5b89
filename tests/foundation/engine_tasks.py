"""Tasks that the worker tests queue, and whose progress they watch in a folder of files.

Each keeps its own record in the folder, as every task the project runs does in the database:
run twice, it does its work once.
"""

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def mark_when_told(folder: str) -> str:
    """Say it started (its pid in `started`), wait for a file `go`, then mark `done` once."""
    folder = Path(folder)
    with open(folder / "started", "a") as started:
        started.write(f"{os.getpid()}\n")
    while not (folder / "go").exists():
        time.sleep(0.02)
    done = folder / "done"
    if done.exists():  # its own record: the work is done already
        return "Done already."
    with open(done, "a") as record:
        record.write(f"{os.getpid()}\n")
    return "Done."


@task()
def take_too_long(seconds: float) -> str:
    """Sleep `seconds`: longer than the time limit the test gives its worker."""
    time.sleep(seconds)
    return "Slept."
