from django.db import models
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


class MissedWrite(models.Model):
    """A kept value whose source changed, not yet known to be in the shared cache.

    Written in the transaction of the change (so it commits with it, or not at all), deleted
    once the cache has taken the new value; left, and repaired by `foundation.kept.repair`, when the
    cache was down, hung or the process died first (`foundation.kept` says how).
    """

    kind = models.CharField(max_length=40)
    ident = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "missed cache write"

    def __str__(self):
        return f"{self.kind} {self.ident} (since {self.recorded_at:%Y-%m-%d %H:%M:%S})"


class TaskWorker(models.Model):
    """A worker process of the task engine (`manage.py run_worker`), and when it last beat.

    A worker beats every `NEWSROOM_WORKER_HEARTBEAT_SECONDS` from a thread of its own, whatever
    its task is doing; one that stops beating (killed, frozen, its machine gone) is dead, and
    `foundation.engine.tasks_reap` gives the task it was running to another worker.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # What it is running, as it said when it began: the task's id and since when.
    task_id = models.CharField(max_length=64, blank=True)
    task_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "task worker"

    def __str__(self):
        return f"{self.host} pid {self.pid}"


class BackgroundTask(DBTaskResult):
    """A task on the engine, as the admin shows it (django-tasks-db's own row)."""

    class Meta:
        proxy = True
        verbose_name = "background task"
        permissions = [("retry_backgroundtask", "Can run a failed background task again")]

    def __str__(self):
        return f"{self.task_path.rsplit('.', 1)[-1].replace('_', ' ')} ({self.pk})"


class OutboxMessage(models.Model):
    """One email to one reader, queued with the event that asks for it (`foundation.outbox`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Being handed over"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    event_key = models.CharField(
        max_length=200, unique=True, help_text="What caused it: one message per event."
    )
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    # Emptied once sent: a link in it (a password reset) is not kept once it is on its way.
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField("Message-ID", max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The task handing it over: a task run again after its worker died finds its own claim.
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        verbose_name = "outbox message"
        permissions = [("retry_outboxmessage", "Can send a failed email again")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class PeriodicJob(models.Model):
    """A job of `foundation.periodic`, and when the scheduler last queued it: its due-ness
    outlives a restart of the scheduler, and two schedulers do not both queue it."""

    name = models.CharField(max_length=100, primary_key=True)
    queued_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} (queued {self.queued_at:%Y-%m-%d %H:%M})"
