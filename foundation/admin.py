"""The engine, the outbox and the kept values' repairs in the admin: what ran, what failed and
why, a retry, and what the shared cache still owes.

Read-only lists; the only write is "Run again" / "Send again", each an action that declares
its permission (`foundation.retry_backgroundtask`, `foundation.retry_outboxmessage`, which the
Editor group has) and goes through the service that checks it again.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from foundation.clock import short_time
from foundation.engine import RETRY_PERMISSION as TASK_RETRY_PERMISSION
from foundation.engine import dead_after, task_retry
from foundation.models import BackgroundTask, MissedWrite, OutboxMessage, TaskWorker
from foundation.outbox import RETRY_PERMISSION as OUTBOX_RETRY_PERMISSION
from foundation.outbox import outbox_retry

# django-tasks-db's own admin shows every row to anyone with its view permission, and has no
# retry: ours replaces it.
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the site writes, never a person: looked at, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BackgroundTask)
class BackgroundTaskAdmin(ReadOnlyAdmin):
    list_display = ["task", "status", "error", "attempts", "enqueued", "finished"]
    list_filter = ["status", "queue_name"]
    search_fields = ["task_path", "exception_class_path"]
    ordering = ["-enqueued_at"]
    fields = [
        "task",
        "status",
        "arguments",
        "attempts",
        "enqueued_at",
        "run_after_shown",
        "started_at",
        "finished_at",
        "error_in_full",
    ]
    readonly_fields = fields
    actions = ["run_again"]

    def has_retry_permission(self, request):
        return request.user.has_perm(TASK_RETRY_PERMISSION)

    @admin.action(description="Run the selected failed tasks again", permissions=["retry"])
    def run_again(self, request, queryset):
        failed = list(queryset.filter(status=TaskResultStatus.FAILED))
        retried = set(task_retry(task_ids=[task.pk for task in failed], by=request.user))
        for task in failed:
            if str(task.pk) in retried:
                self.log_change(request, task, f"Queued again after {task.exception_class_path}.")
        skipped = queryset.count() - len(retried)
        self.message_user(request, f"{len(retried)} failed task(s) queued again.")
        if skipped:
            self.message_user(
                request, f"{skipped} task(s) had not failed and were left.", messages.WARNING
            )

    @admin.display(description="Task", ordering="task_path")
    def task(self, task):
        return task.task_path.rsplit(".", 1)[-1].replace("_", " ")

    @admin.display(description="Error")
    def error(self, task):
        if task.status != TaskResultStatus.FAILED:
            return "—"
        last_line = (task.traceback.strip().splitlines() or [""])[-1]
        return Truncator(last_line or task.exception_class_path).chars(120)

    @admin.display(description="Enqueued", ordering="enqueued_at")
    def enqueued(self, task):
        return short_time(task.enqueued_at)

    @admin.display(description="Finished", ordering="finished_at")
    def finished(self, task):
        return short_time(task.finished_at) if task.finished_at else "—"

    @admin.display(description="Error")
    def error_in_full(self, task):
        return format_html("<pre>{}</pre>", task.traceback) if task.traceback else "—"

    @admin.display(description="Attempts")
    def attempts(self, task):
        return len(task.worker_ids)

    @admin.display(description="Arguments")
    def arguments(self, task):
        return format_html("<code>{}</code>", task.args_kwargs)

    @admin.display(description="Not before")
    def run_after_shown(self, task):
        return "—" if task.run_after.year == 9999 else task.run_after


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["subject", "to", "status", "attempts", "when", "error"]
    list_filter = ["status"]
    search_fields = ["to", "subject", "event_key"]
    date_hierarchy = "queued_at"
    # Not the text: a password reset link is nobody's business but its reader's.
    fields = [
        "to",
        "subject",
        "event_key",
        "message_id",
        "status",
        "attempts",
        "queued_at",
        "next_attempt_at",
        "last_attempt_at",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    def has_retry_permission(self, request):
        return request.user.has_perm(OUTBOX_RETRY_PERMISSION)

    @admin.action(description="Send the selected failed emails again", permissions=["retry"])
    def send_again(self, request, queryset):
        failed = list(queryset.filter(status=OutboxMessage.Status.FAILED))
        retried = set(outbox_retry(message_ids=[m.pk for m in failed], by=request.user))
        for message in failed:
            if message.pk in retried:
                self.log_change(request, message, f"Sent again after: {message.last_error}")
        self.message_user(request, f"{len(retried)} failed email(s) queued to be sent again.")
        if queryset.count() > len(retried):
            self.message_user(
                request,
                f"{queryset.count() - len(retried)} email(s) had not failed and were left.",
                messages.WARNING,
            )

    @admin.display(description="Last error")
    def error(self, message):
        return Truncator(message.last_error).chars(80) or "—"

    @admin.display(description="When", ordering="queued_at")
    def when(self, message):
        """Sent, or else queued: one column, which the list at a laptop's width has room for."""
        if message.sent_at:
            return f"sent {short_time(message.sent_at)}"
        return f"queued {short_time(message.queued_at)}"


@admin.register(TaskWorker)
class TaskWorkerAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "alive", "started_at", "beat_at", "task_id", "task_started_at"]
    fields = ["worker_id", "host", "pid", "started_at", "beat_at", "stopped_at", "task_id"]
    readonly_fields = fields

    @admin.display(description="Alive", boolean=True)
    def alive(self, worker):
        return worker.stopped_at is None and worker.beat_at >= timezone.now() - dead_after()


@admin.register(MissedWrite)
class MissedWriteAdmin(ReadOnlyAdmin):
    """Kept values the shared cache did not take: read from the database until the scheduler's
    repair sets them (`foundation.kept`). For whoever runs the site (no group is given it): a
    list that stays long or old says the cache, or the scheduler, is not doing its part."""

    list_display = ["__str__", "kind", "ident", "recorded_at"]
    list_filter = ["kind"]
    fields = ["kind", "ident", "recorded_at"]
    readonly_fields = fields
