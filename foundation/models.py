from django.db import models


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
