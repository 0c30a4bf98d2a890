"""A simulated week of st-remind, and an oracle of what it must send.

remind_week.py MODE STEP_MINUTES: in the current directory (a fresh one), set up
people, an event with shifts and RSVPs; then run cron ticks (st-remind --now T)
every STEP_MINUTES over seven days, applying the schedule's changes (RSVPs,
a moved shift, cancellations) between ticks. MODE is
  plain   one tick a moment, e-mail delivered to a real SMTP server;
  twice   two ticks at once at each moment, both delivering;
  kill    each tick killed with SIGKILL after a random moment, then run
          again at the same moment to finish its work (e-mail at the end).
At the end, the texts are delivered to the fake Twilio. Writes:
  expected  the keys the oracle says must be queued, sorted
  queued    the remind keys in the outbox, sorted
  smtp      the keys of the e-mail the SMTP server received, sorted (repeats kept)
  twilio    'ok' if the fake Twilio got each queued text exactly once
The oracle is a separate reading of st-remind(1): it simulates the same ticks
with the rules (confirm, update, cancel; email:1d, sms:eve@18:00, sms:2h with
60 minutes' grace; texts 09:00-21:00; the Monday 09:00 digest of the next 7
days, sent to people with two or more shifts in it, whose day-before
reminders it replaces by one per person, rule and local day).
Needs /usr/bin/python3 with aiosmtpd; ST tools on PATH."""
import datetime as dt
import email
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from zoneinfo import ZoneInfo

MODE, STEP = sys.argv[1], int(sys.argv[2])
PEERS = os.path.dirname(os.path.abspath(__file__))
NY = ZoneInfo('America/New_York')
UTC = dt.timezone.utc
GRACE = 3600
RULES = [('email', 'email-1d', 86400, None), ('sms', 'sms-eve1800', None, 18 * 60),
         ('sms', 'sms-2h', 7200, None)]
DAY_RULES = {'email-1d', 'sms-eve1800'}   # replaced for what a digest listed
DIGEST_MIN = 2      # shifts a person needs in the window to get a digest
SID = 'AC0123456789abcdef0123456789abcdef'
TOKEN = 'tok-week'
FROM = '+19195550100'
random.seed(int(os.environ.get('WEEK_SEED', '5')))


def local(s):
    """'2099-10-18 10:00' in New York -> an aware UTC datetime."""
    return dt.datetime.strptime(s, '%Y-%m-%d %H:%M').replace(tzinfo=NY).astimezone(UTC)


def iso(t):
    return t.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def arg(t):
    return t.astimezone(NY).strftime('%Y-%m-%d %H:%M')


# ---- the schedule ----
PEOPLE = [  # first, email, phone, lang, sms_status
    ('Ana', 'ana@example.net', '919-555-0101', 'es', ''),
    ('Bo', 'bo@example.net', '919-555-0102', 'en', ''),
    ('Cy', '', '919-555-0103', 'en', ''),
    ('Di', 'di@example.net', '', 'en', ''),
    ('Ed', 'ed@example.net', '919-555-0105', 'en', 'opted_out'),
    ('Flo', 'flo@example.net', '919-555-0106', 'en', ''),
]
SHIFTS = [  # local start, local end
    ('2099-10-20 10:00', '2099-10-20 12:00'),
    ('2099-10-21 18:00', '2099-10-21 20:00'),
    ('2099-10-22 09:00', '2099-10-22 11:00'),
    ('2099-10-23 14:00', '2099-10-23 16:00'),
    ('2099-10-24 10:00', '2099-10-24 13:00'),
    ('2099-10-24 15:00', '2099-10-24 17:00'),
    ('2099-10-24 18:00', '2099-10-24 19:00'),
]
SETUP_AT = local('2099-10-17 12:00')
RSVPS = [(1, 1), (1, 2), (1, 4), (2, 1), (2, 5), (3, 3), (3, 5), (3, 6), (4, 2), (4, 4),
         (5, 1), (5, 6), (6, 4)]   # (contact, shift) made before the week
EVENTS = [  # local time, what
    ('2099-10-18 15:02', ('rsvp', 6, 5)),
    ('2099-10-18 23:40', ('rsvp', 3, 7)),
    ('2099-10-19 09:02', ('rsvp', 2, 6)),
    ('2099-10-20 08:30', ('rsvp', 4, 1)),
    ('2099-10-20 11:00', ('rsvp', 6, 2)),
    ('2099-10-20 20:00', ('move', 4, '2099-10-23 16:00', '2099-10-23 18:00')),
    ('2099-10-21 12:00', ('cancel', 1, 4)),
    ('2099-10-22 13:00', ('cancel-shift', 6)),
    ('2099-10-23 17:30', ('cancel', 2, 5)),
    ('2099-10-24 16:10', ('rsvp', 1, 7)),
]
START, END = local('2099-10-18 00:00'), local('2099-10-25 00:00')


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, **kw).stdout.decode()


def sql(q):
    return run('sqlite3', os.environ['ST_DB'], q).strip()


# ---- the oracle ----
class Oracle:
    def __init__(self):
        self.shifts = {i + 1: {'start': local(a), 'end': local(b), 'active': True}
                       for i, (a, b) in enumerate(SHIFTS)}
        self.rsvps = {}
        self.invites = {}      # rsvp -> [seq, start, end, cancelled]
        self.pending = set()
        self.asked = set()     # (rsvp) listed in a digest
        self.keys = set()

    def rsvp(self, rid, contact, shift, at):
        self.rsvps[rid] = {'contact': contact, 'shift': shift, 'live': True, 'created': at}
        self.pending.add(rid)

    def apply(self, ev, ids):
        if ev[0] == 'rsvp':
            self.rsvp(ids, ev[1], ev[2], None)
        elif ev[0] == 'move':
            s = self.shifts[ev[1]]
            s['start'], s['end'] = local(ev[2]), local(ev[3])
            self.pending |= {r for r, x in self.rsvps.items() if x['shift'] == ev[1]}
        elif ev[0] == 'cancel':
            for r, x in self.rsvps.items():
                if x['contact'] == ev[1] and x['shift'] == ev[2] and x['live']:
                    x['live'] = False
                    self.pending.add(r)
        elif ev[0] == 'cancel-shift':
            self.shifts[ev[1]]['active'] = False
            self.pending |= {r for r, x in self.rsvps.items() if x['shift'] == ev[1]}

    def live(self, r):
        return self.rsvps[r]['live'] and self.shifts[self.rsvps[r]['shift']]['active']

    @staticmethod
    def sendable(t):
        """The first moment at or after t within 09:00-21:00 in New York."""
        lt = t.astimezone(NY)
        if 9 <= lt.hour < 21:
            return t
        day = lt.date() if lt.hour < 9 else lt.date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(9, 0), NY).astimezone(UTC)

    @staticmethod
    def person(c):
        return PEOPLE[c - 1]

    def email_ok(self, c):
        return bool(self.person(c)[1])

    def sms_ok(self, c):
        p = self.person(c)
        return bool(p[2]) and p[4] != 'opted_out'

    def send(self, t, r, base, deadline, channels=('email', 'sms')):
        c = self.rsvps[r]['contact']
        if 'email' in channels and self.email_ok(c):
            self.keys.add(base + ':ch=email')
        if 'sms' in channels and self.sms_ok(c) and self.sendable(t) < deadline:
            self.keys.add(base + ':ch=sms')

    def due(self, rule, start):
        if rule[3] is not None:
            day = start.astimezone(NY).date() - dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(rule[3] // 60, rule[3] % 60),
                                       NY).astimezone(UTC)
        return start - dt.timedelta(seconds=rule[2])

    def tick(self, t):
        for r in sorted(self.pending):
            x, s = self.rsvps[r], self.shifts[self.rsvps[r]['shift']]
            inv = self.invites.get(r)
            if s['start'] <= t:
                pass
            elif self.live(r) and (inv is None or inv[3]):
                seq = inv[0] + 1 if inv else 0
                self.send(t, r, 'remind:rsvp=%d:kind=confirm:seq=%d' % (r, seq), s['start'])
                self.invites[r] = [seq, s['start'], s['end'], False]
            elif self.live(r) and (inv[1] != s['start'] or inv[2] != s['end']):
                self.send(t, r, 'remind:rsvp=%d:kind=update:seq=%d' % (r, inv[0] + 1), s['start'])
                self.invites[r] = [inv[0] + 1, s['start'], s['end'], False]
            elif not self.live(r) and inv and not inv[3]:
                self.send(t, r, 'remind:rsvp=%d:kind=cancel:seq=%d' % (r, inv[0] + 1), s['start'])
                self.invites[r] = [inv[0] + 1, s['start'], s['end'], True]
        self.pending.clear()
        # Reminders; the day-before ones of what a digest listed, one per person, rule, day.
        for r in sorted(self.rsvps):
            x, s = self.rsvps[r], self.shifts[self.rsvps[r]['shift']]
            if not self.live(r) or s['start'] <= t:
                continue
            for rule in RULES:
                due = self.due(rule, s['start'])
                deadline = min(due + dt.timedelta(seconds=GRACE), s['start'])
                if due > t or t >= deadline or due < x['created']:
                    continue
                if rule[1] in DAY_RULES and r in self.asked:
                    day = s['start'].astimezone(NY).strftime('%Y-%m-%d')
                    self.send(t, r, 'remind:day:contact=%d:kind=%s:day=%s' %
                              (x['contact'], rule[1], day), deadline, (rule[0],))
                else:
                    self.send(t, r, 'remind:rsvp=%d:kind=%s:start=%s' %
                              (r, rule[1], iso(s['start'])), deadline, (rule[0],))
        # The Monday 09:00 digest.
        lt = t.astimezone(NY)
        monday = lt.date() - dt.timedelta(days=lt.weekday())
        slot = dt.datetime.combine(monday, dt.time(9, 0), NY).astimezone(UTC)
        if slot <= t < slot + dt.timedelta(seconds=GRACE):
            mine = {}
            for r, x in self.rsvps.items():
                s = self.shifts[x['shift']]
                if self.live(r) and t < s['start'] <= t + dt.timedelta(days=7):
                    mine.setdefault(x['contact'], []).append(r)
            for c, rs in mine.items():
                key = 'remind:digest:contact=%d:at=%s' % (c, iso(slot))
                if len(rs) < DIGEST_MIN:
                    continue
                if self.email_ok(c):
                    ch = 'email'
                elif self.sms_ok(c) and self.sendable(t) < slot + dt.timedelta(seconds=GRACE + 86400):
                    ch = 'sms'
                else:
                    continue
                if key + ':ch=' + ch not in self.keys:
                    self.keys.add(key + ':ch=' + ch)
                    self.asked |= set(rs)


# ---- the real thing ----
def tick_cmd(t, send):
    cmd = ['st-remind', '--tz', 'America/New_York', '--now', arg(t)]
    return cmd if send else cmd + ['--no-send']


def main():
    env = os.environ
    env['ST_DB'] = os.path.abspath('st.db')
    env['ST_MAIL_FROM'] = 'field@example.org'
    env['ST_TEXT_FROM'] = FROM
    env['TWILIO_ACCOUNT_SID'], env['TWILIO_AUTH_TOKEN'] = SID, TOKEN
    os.makedirs('smtp', exist_ok=True)
    os.makedirs('fake', exist_ok=True)
    smtpd = subprocess.Popen(['/usr/bin/python3', os.path.join(PEERS, 'smtpd.py'), 'smtp'])
    fake = subprocess.Popen(['/usr/bin/python3', os.path.join(PEERS, 'fake_twilio.py'), 'fake',
                             SID, TOKEN], stderr=subprocess.DEVNULL)
    try:
        for i in range(100):
            if os.path.exists('smtp/port') and os.path.exists('fake/port'):
                break
            time.sleep(0.1)
        env['ST_SMTP_URL'] = 'smtp://127.0.0.1:%s' % open('smtp/port').read().strip()
        twilio = 'http://127.0.0.1:%s' % open('fake/port').read().strip()
        env['ST_TWILIO_BASE_URL'] = twilio
        week(env, twilio)
    finally:
        smtpd.terminate()
        fake.terminate()
        smtpd.wait()
        fake.wait()


def week(env, twilio):
    o = Oracle()
    with open('people.csv', 'w') as f:
        f.write('first_name,email,phone,lang,sms_status\n')
        for p in PEOPLE:
            f.write(','.join(p) + '\n')
    run('st-import', 'people.csv')
    run('st-event', 'create', '--title', 'Canvass', '--tz', 'America/New_York')
    for a, b in SHIFTS:
        run('st-event', 'add-shift', '1', '--start', a, '--end', b)
    nrsvp = 0

    def rsvp(contact, shift, at):
        nonlocal nrsvp
        run('st-event', 'rsvp', str(shift), str(contact))
        nrsvp += 1
        sql("UPDATE rsvps SET created_at = '%s' WHERE id = %d" % (iso(at), nrsvp))
        o.rsvp(nrsvp, contact, shift, at)

    for c, s in RSVPS:
        rsvp(c, s, SETUP_AT)
    events = [(local(a), e) for a, e in EVENTS]
    t = START
    send = MODE != 'kill'
    ticks = killed = 0
    while t < END:
        while events and events[0][0] <= t:
            at, e = events.pop(0)
            if e[0] == 'rsvp':
                rsvp(e[1], e[2], at)
            else:
                if e[0] == 'move':
                    run('st-event', 'edit-shift', str(e[1]), '--start', e[2], '--end', e[3])
                elif e[0] == 'cancel':
                    run('st-event', 'cancel', str(e[2]), str(e[1]))
                else:
                    run('st-event', 'cancel-shift', str(e[1]))
                o.apply(e, None)
        o.tick(t)
        if MODE == 'plain':
            run(*tick_cmd(t, send))
        elif MODE == 'twice':
            ps = [subprocess.Popen(tick_cmd(t, send)) for _ in range(2)]
            if any(p.wait() != 0 for p in ps):
                sys.exit('a tick failed at %s' % arg(t))
        else:
            p = subprocess.Popen(tick_cmd(t, send))
            time.sleep(random.random() * 0.04)
            p.send_signal(signal.SIGKILL)
            killed += p.wait() == -signal.SIGKILL
            run(*tick_cmd(t, send))
        ticks += 1
        t += dt.timedelta(minutes=STEP)
    # What is still queued goes now: e-mail by st-remind, texts held for sending hours too.
    if MODE == 'kill':
        run(*tick_cmd(END, True))
        sys.stderr.write('%d ticks, %d killed before they ended\n' % (ticks, killed))
    sql("UPDATE messages SET not_before = '2000-01-01T00:00:00Z' WHERE status = 'queued'")
    run('st-text', 'deliver', '--hours', '00:00-00:00', '--rate', '0')
    with open('expected', 'w') as f:
        f.write(''.join(k + '\n' for k in sorted(o.keys)))
    with open('queued', 'w') as f:
        f.write(sql("SELECT idem_key FROM messages WHERE idem_key LIKE 'remind:%' "
                    "ORDER BY idem_key") + '\n')
    got = []
    for n in sorted(os.listdir('smtp/mail')):
        if n.endswith('.eml'):
            with open(os.path.join('smtp/mail', n), 'rb') as f:
                got.append(email.message_from_bytes(f.read())['Message-ID'])
    ids = dict(line.split('|', 1) for line in sql(
        "SELECT idem_key || '|' || id FROM messages WHERE channel = 'email' AND "
        "idem_key LIKE 'remind:%'").splitlines())
    mid = {}
    for k in ids:
        m = ''.join(c if c.isalnum() or c in '-=.' else '.' for c in k)
        mid['<%s@example.org>' % m] = k
    with open('smtp-keys', 'w') as f:
        f.write(''.join(sorted(mid.get(m, 'unknown ' + str(m)) + '\n' for m in got)))
    with urllib.request.urlopen(twilio + '/_messages') as r:
        fake = [m for m in json.load(r) if m['direction'] == 'outbound-api']
    rows = sql("SELECT provider_id FROM messages WHERE channel = 'sms' AND "
               "idem_key LIKE 'remind:%' AND status = 'sent'").split()
    nsms = int(sql("SELECT count(*) FROM messages WHERE channel = 'sms' AND "
                   "idem_key LIKE 'remind:%'"))
    ok = sorted(m['sid'] for m in fake) == sorted(rows) and len(rows) == nsms
    with open('twilio', 'w') as f:
        f.write('ok\n' if ok else 'fake got %d, outbox has %d texts, %d sent\n' %
                (len(fake), nsms, len(rows)))


if __name__ == '__main__':
    main()
