"""A stand-in mail server for the outbox's tests: SMTP on a free localhost port, in threads.

It answers as an SMTP server does (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), and the test
decides the rest: `refuse()` answers every recipient with a temporary 451 (or the code given:
`refuse(550)` refuses for good) until `accept()`; `hold()`
keeps the answer to a message's end of data until `release()`, and a message whose client goes
away meanwhile is dropped, never accepted (as a server that has not said 250 has not taken it).
What it accepted is in `accepted` (the message's bytes); `message_ids()` reads their Message-IDs.
"""

import contextlib
import email
import select
import socket
import threading


class SMTPStandIn:
    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = []
        self.refused = 0  # recipients refused
        self.dropped = 0  # messages whose client went away before the answer
        self.refusing = None  # the code that refuses every recipient
        self.holding = False
        self.released = threading.Event()
        self.message_held = threading.Event()  # set while a message waits for `release()`
        self.lock = threading.Lock()

    def start(self):
        self.listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.released.set()

    def refuse(self, code=451):
        self.refusing = code

    def accept(self):
        self.refusing = None

    def hold(self):
        self.released.clear()
        self.message_held.clear()
        self.holding = True

    def release(self):
        self.holding = False
        self.released.set()

    def message_ids(self) -> list[str]:
        return [email.message_from_bytes(raw)["Message-ID"] for raw in self.accepted]

    def messages(self):
        return [email.message_from_bytes(raw) for raw in self.accepted]

    def _accept(self):
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 stand-in ESMTP\r\n")
            for line in lines:
                command = line.decode("ascii", "replace").strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    connection.sendall(b"250-stand-in\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif command.startswith("MAIL"):
                    connection.sendall(b"250 OK\r\n")
                elif command.startswith("RCPT"):
                    if self.refusing:
                        with self.lock:
                            self.refused += 1
                        connection.sendall(f"{self.refusing} Not now\r\n".encode())
                    else:
                        connection.sendall(b"250 OK\r\n")
                elif command == "DATA":
                    connection.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    raw = self._read_data(lines)
                    if not self._answer_when_released(connection):
                        with self.lock:
                            self.dropped += 1
                        return
                    with self.lock:
                        self.accepted.append(raw)
                    connection.sendall(b"250 OK queued\r\n")
                elif command in {"RSET", "NOOP"}:
                    connection.sendall(b"250 OK\r\n")
                elif command == "QUIT":
                    connection.sendall(b"221 Bye\r\n")
                    return
                else:
                    connection.sendall(b"502 Not implemented\r\n")

    def _read_data(self, lines) -> bytes:
        body = []
        for line in lines:
            if line in {b".\r\n", b".\n"}:
                break
            body.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(body)

    def _answer_when_released(self, connection) -> bool:
        """Wait while holding; return False if the client went away meanwhile."""
        if not self.holding:
            return True
        self.message_held.set()
        while not self.released.wait(0.05):
            readable, _, _ = select.select([connection], [], [], 0)
            if readable and connection.recv(1, socket.MSG_PEEK) == b"":
                return False  # closed: its process is gone
        return True
