"""A small SMTP server on loopback for the end-to-end tests (RFC 5321's
minimum: EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT).

It keeps every message it accepts, can refuse transactions with 451 for a
while (to test retries), or stall (accept connections and never greet, to
test that the portal stops even in the middle of a transfer).

    with SMTPServer() as smtp:
        ... smtp.port ...
        msgs = smtp.wait_for(lambda m: m.to == ['a@b.kz'])
        msgs[0].parsed['Subject']
"""
import email
import email.policy
import socket
import socketserver
import threading
import time

LINE_MAX = 1000  # RFC 5321 4.5.3.1.6: a text line, CRLF included
DATA_MAX = 10 * 1024 * 1024


class Message:
    """One accepted message: the envelope and the bytes after DATA."""

    def __init__(self, mail_from, rcpts, data, bare_lf):
        self.mail_from = mail_from
        self.to = rcpts
        self.data = data          # as received, dot-unstuffed, CRLF line ends
        self.bare_lf = bare_lf    # a line of the message ended in LF alone
        self.parsed = email.message_from_bytes(data, policy=email.policy.default)

    def body(self):
        """The decoded text, with LF line ends."""
        return self.parsed.get_content().replace('\r\n', '\n')

    def __repr__(self):
        return f'<Message from {self.mail_from} to {self.to}: {self.parsed["Subject"]!r}>'


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, text):
        self.wfile.write(text.encode() + b'\r\n')
        self.wfile.flush()

    def handle(self):
        srv = self.server.owner
        if srv.stall:
            # never greet: the client waits until it gives up or stops
            while srv.stall and not srv.closing:
                time.sleep(0.05)
            return
        self.reply('220 localhost ESMTP e2e')
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline(LINE_MAX + 1)
            if not line:
                return
            if len(line) > LINE_MAX:
                self.reply('500 5.5.2 line too long')
                return
            cmd = line.rstrip(b'\r\n').decode('utf-8', 'replace')
            verb = cmd[:4].upper()
            srv.log.append(cmd)
            if verb == 'EHLO':
                self.reply('250-localhost greets you\r\n250-8BITMIME\r\n250 SIZE 10485760')
            elif verb == 'HELO':
                self.reply('250 localhost')
            elif verb == 'MAIL':
                if srv.take_refusal():
                    self.reply('451 4.3.0 try again later')
                elif mail_from is not None:
                    self.reply('503 5.5.1 nested MAIL')
                elif not cmd.upper().startswith('MAIL FROM:<') or '>' not in cmd:
                    self.reply('501 5.5.4 syntax: MAIL FROM:<address>')
                else:
                    mail_from, rcpts = cmd[cmd.index('<') + 1:cmd.index('>')], []
                    self.reply('250 2.1.0 ok')
            elif verb == 'RCPT':
                if mail_from is None:
                    self.reply('503 5.5.1 MAIL first')
                elif not cmd.upper().startswith('RCPT TO:<') or '>' not in cmd:
                    self.reply('501 5.5.4 syntax: RCPT TO:<address>')
                else:
                    rcpts.append(cmd[cmd.index('<') + 1:cmd.index('>')])
                    self.reply('250 2.1.5 ok')
            elif verb == 'DATA':
                if not rcpts:
                    self.reply('503 5.5.1 RCPT first')
                    continue
                self.reply('354 end data with <CR><LF>.<CR><LF>')
                data = self.read_data()
                if data is None:
                    return
                srv.accept(Message(mail_from, rcpts, *data))
                mail_from, rcpts = None, []
                self.reply('250 2.0.0 queued')
            elif verb == 'RSET':
                mail_from, rcpts = None, []
                self.reply('250 2.0.0 ok')
            elif verb == 'NOOP':
                self.reply('250 2.0.0 ok')
            elif verb == 'QUIT':
                self.reply('221 2.0.0 bye')
                return
            else:
                self.reply('502 5.5.1 not implemented')

    def read_data(self):
        """The message up to the line '.', dot-unstuffed; None when the
        client goes away first."""
        out, size, bare_lf = [], 0, False
        while True:
            line = self.rfile.readline(LINE_MAX + 1)
            if not line:
                return None
            if line in (b'.\r\n', b'.\n'):
                return b''.join(out), bare_lf
            if not line.endswith(b'\r\n'):
                bare_lf = bare_lf or line.endswith(b'\n') or len(line) > LINE_MAX
            if line.startswith(b'.'):
                line = line[1:]
            size += len(line)
            if size <= DATA_MAX:
                out.append(line)


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SMTPServer:
    def __init__(self, port=0):
        self.messages = []
        self.log = []
        self.refusals = 0      # transactions still to refuse; -1: every one
        self.stall = False
        self.closing = False
        self._cond = threading.Condition()
        self._server = _TCPServer(('127.0.0.1', port), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.closing = True
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def refuse(self, n=-1):
        """Answers 451 to the next n transactions (-1: until told otherwise;
        0: stop refusing)."""
        with self._cond:
            self.refusals = n

    def take_refusal(self):
        with self._cond:
            if self.refusals == 0:
                return False
            if self.refusals > 0:
                self.refusals -= 1
            return True

    def accept(self, msg):
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()

    def to(self, address):
        with self._cond:
            return [m for m in self.messages if address in m.to]

    def wait_for(self, pred, n=1, timeout=20):
        """Waits until n accepted messages satisfy pred; returns them."""
        deadline = time.time() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if pred(m)]
                if len(found) >= n:
                    return found
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f'{len(found)} of {n} expected messages arrived; '
                                         f'all: {self.messages}')
                self._cond.wait(left)


def dead_port():
    """A loopback port nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
