"""Run the tasks queued on the engine (`foundation.engine`), until stopped.

django-tasks-db's worker (`db_worker`) does the running; this adds what it lacks for crash
safety: a heartbeat per worker, the reaping of dead workers' tasks, and a time limit per task.
Run it with this command, never `db_worker` alone: the reaper would take a plain worker's long
tasks for a dead worker's. Ctrl-C (or SIGTERM) lets the task in hand finish, then stops.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from foundation.engine import WorkerPresence


class Command(BaseCommand):
    help = "Run background tasks (emails, renditions, …) as they are queued, until stopped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait, when nothing is queued, before looking again (default 1).",
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run what is queued now, then stop."
        )

    def handle(self, *args, interval=1.0, batch=False, verbosity=1, **options):
        presence = WorkerPresence()
        presence.start()
        try:
            call_command(
                "db_worker",
                worker_id=presence.worker_id,
                queue_name="*",
                interval=interval,
                batch=batch,
                reload=False,
                verbosity=verbosity,
            )
        finally:
            presence.stop()
