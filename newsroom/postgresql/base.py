"""Django's PostgreSQL backend, giving up on a server that stops answering.

A connect timeout bounds a new connection and the server's statement timeout bounds a query on
a live server, but neither helps when the server accepts connections and answers nothing (hung,
stopped with SIGSTOP, a dead link behind a proxy): the kernel still acknowledges every packet,
so a query on an open connection would wait for ever, and Django's health check of a reused
connection (`SELECT 1`) with it. Here the client itself stops waiting:

- the health check of a reused connection gives up after `HEALTH_CHECK_SECONDS` (a live server
  answers `SELECT 1` at once), and Django then opens a new connection, bounded by
  `connect_timeout`;
- any other wait gives up after OPTIONS `answer_timeout` seconds (the settings make it the
  statement timeout plus a second: a live server has answered by then, if only to cancel).

Giving up closes the connection, which is then useless (a query may still be in flight), and
raises `OperationalError`, which `newsroom.middleware` turns into a 503.
"""

import time

import psycopg
from django.db.backends.postgresql import base

HEALTH_CHECK_SECONDS = 0.5


class AnswerDeadlineConnection(psycopg.Connection):
    """A psycopg connection that waits at most `answer_timeout` seconds for the server."""

    answer_timeout: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        if timeout is not None or self.answer_timeout is None:
            # psycopg's own timed waits (notifications, cancelling) handle their timeout.
            return super().wait(gen, interval=interval, timeout=timeout)
        timeout = self.answer_timeout
        started = time.monotonic()
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except psycopg.OperationalError as error:
            if time.monotonic() - started < timeout:
                raise
            self.close()
            raise psycopg.OperationalError(
                f"The database did not answer within {timeout:g} s; connection closed."
            ) from error


class _Psycopg:
    """The psycopg module, as Django's backend uses it, but connecting with the class above."""

    def __getattr__(self, name):
        return getattr(psycopg, name)

    @staticmethod
    def connect(**params):
        return AnswerDeadlineConnection.connect(**params)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg()

    def get_connection_params(self):
        params = super().get_connection_params()
        self._answer_timeout = params.pop("answer_timeout", None)
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if isinstance(connection, AnswerDeadlineConnection):
            connection.answer_timeout = self._answer_timeout
        return connection

    def is_usable(self):
        connection = self.connection
        if not isinstance(connection, AnswerDeadlineConnection):
            return super().is_usable()
        usual, connection.answer_timeout = connection.answer_timeout, HEALTH_CHECK_SECONDS
        try:
            return super().is_usable()
        finally:
            connection.answer_timeout = usual
