"""A real SMTP server for the tests (Debian's python3-aiosmtpd) on 127.0.0.1.

smtpd.py DIR: listen on a free port (written to DIR/port), save each message
it accepts as DIR/mail/N.eml with its envelope in DIR/mail/N.json. While the
file DIR/reply holds a status line ("451 try later", "550 no such user"), every
DATA is answered with it instead. With DIR/auth holding "user:password", AUTH
PLAIN/LOGIN is required and checked (plain text allowed: loopback only)."""
import asyncio
import json
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

DIR = sys.argv[1]
MAIL = os.path.join(DIR, 'mail')
os.makedirs(MAIL, exist_ok=True)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        try:
            with open(os.path.join(DIR, 'reply')) as f:
                reply = f.read().strip()
            if reply:
                return reply
        except FileNotFoundError:
            pass
        n = len([x for x in os.listdir(MAIL) if x.endswith('.eml')]) + 1
        base = os.path.join(MAIL, '%d' % n)
        with open(base + '.json', 'w') as f:
            json.dump({'from': envelope.mail_from, 'to': envelope.rcpt_tos,
                       'auth': session.authenticated}, f)
        with open(base + '.tmp', 'wb') as f:
            f.write(envelope.original_content)
        os.rename(base + '.tmp', base + '.eml')
        return '250 OK queued as %d' % n


def authenticator(server, session, envelope, mechanism, auth_data):
    with open(os.path.join(DIR, 'auth')) as f:
        user, pw = f.read().strip().split(':', 1)
    ok = isinstance(auth_data, LoginPassword) and \
        auth_data.login.decode() == user and auth_data.password.decode() == pw
    return AuthResult(success=ok)


need_auth = os.path.exists(os.path.join(DIR, 'auth'))
kw = {}
if need_auth:
    kw = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
# aiosmtpd's controller connects to its own port to start: pick a free one first.
probe = socket.socket()
probe.bind(('127.0.0.1', 0))
port = probe.getsockname()[1]
probe.close()
ctl = Controller(Handler(), hostname='127.0.0.1', port=port, decode_data=False, **kw)
ctl.start()
with open(os.path.join(DIR, 'port.tmp'), 'w') as f:
    f.write('%d\n' % port)
os.rename(os.path.join(DIR, 'port.tmp'), os.path.join(DIR, 'port'))
signal.sigwait([signal.SIGTERM, signal.SIGINT])
ctl.stop()
