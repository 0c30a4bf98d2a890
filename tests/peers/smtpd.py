"""A real SMTP server for the tests (Debian's python3-aiosmtpd) on 127.0.0.1.

smtpd.py DIR: listen on a free port (written to DIR/port), save each message
it accepts as DIR/mail/N.eml with its envelope in DIR/mail/N.json. While the
file DIR/reply holds a status line ("451 try later", "550 no such user"), every
DATA is answered with it instead. With DIR/auth holding "user:password", AUTH
PLAIN/LOGIN is required and checked (plain text allowed: loopback only);
DIR/auth-only names the one mechanism offered (LOGIN or PLAIN). With
DIR/cert.pem and DIR/key.pem, TLS: STARTTLS is required before anything
(and AUTH), or, with DIR/smtps, the connection is TLS from the start."""
import asyncio
import json
import os
import signal
import socket
import ssl
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
    # handled=False: aiosmtpd answers a failure (535) itself.
    return AuthResult(success=ok, handled=False)


def path(name):
    return os.path.join(DIR, name)


need_auth = os.path.exists(path('auth'))
tls = None
if os.path.exists(path('cert.pem')):
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(path('cert.pem'), path('key.pem'))
kw = {}
if need_auth:
    kw = dict(authenticator=authenticator, auth_required=True, auth_require_tls=tls is not None)
    if os.path.exists(path('auth-only')):
        only = open(path('auth-only')).read().strip()
        kw['auth_exclude_mechanism'] = [m for m in ('LOGIN', 'PLAIN') if m != only]
if tls and os.path.exists(path('smtps')):
    # aiosmtpd does not count TLS from the start as TLS for AUTH; it is.
    kw['ssl_context'] = tls
    kw['auth_require_tls'] = False
elif tls:
    kw.update(tls_context=tls, require_starttls=True)
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
