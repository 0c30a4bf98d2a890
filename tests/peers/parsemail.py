"""Parse e-mail files with Python's email package and every calendar in them
with python3-icalendar; print one JSON object per message with what a mail
client and a calendar would see. Any parse error is fatal (exit 1)."""
import email
import email.policy
import json
import sys

import icalendar


def props(cal):
    out = {}
    for ev in cal.walk('VEVENT'):
        att = ev.get('ATTENDEE')
        org = ev.get('ORGANIZER')
        out = {
            'uid': str(ev.get('UID')),
            'sequence': int(ev.get('SEQUENCE', 0)),
            'start': ev.decoded('DTSTART').strftime('%Y-%m-%dT%H:%M:%SZ'),
            'end': ev.decoded('DTEND').strftime('%Y-%m-%dT%H:%M:%SZ'),
            'tzstart': str(ev.decoded('DTSTART').tzinfo),
            'summary': str(ev.get('SUMMARY')),
            'location': str(ev.get('LOCATION', '')),
            'description': str(ev.get('DESCRIPTION', '')),
            'attendee': str(att), 'attendee_cn': str(att.params.get('CN', '')),
            'organizer': str(org),
            'status': str(ev.get('STATUS', '')),
        }
    out['method'] = str(cal.get('METHOD'))
    out['prodid'] = str(cal.get('PRODID'))
    out['version'] = str(cal.get('VERSION'))
    return out


def main():
    for path in sys.argv[1:]:
        with open(path, 'rb') as f:
            raw = f.read()
        for line in raw.split(b'\r\n'):
            if len(line) > 998:
                sys.exit('%s: a line longer than 998 octets' % path)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if msg.defects:
            sys.exit('%s: defects %r' % (path, msg.defects))
        rec = {'file': path, 'from': str(msg['From']), 'to': str(msg['To']),
               'subject': str(msg['Subject']), 'date': str(msg['Date']),
               'message_id': str(msg['Message-ID']),
               'list_unsubscribe': str(msg.get('List-Unsubscribe', '')),
               'parts': [], 'calendars': []}
        for part in msg.walk():
            if part.is_multipart():
                continue
            ct = part.get_content_type()
            rec['parts'].append(ct)
            if ct == 'text/plain':
                rec['text'] = part.get_content()
            if ct in ('text/calendar', 'application/ics'):
                data = part.get_payload(decode=True)
                if not data.endswith(b'\r\n'):
                    sys.exit('%s: a calendar not ending in CRLF' % path)
                for ln in data[:-2].split(b'\r\n'):
                    if len(ln) > 75 or b'\n' in ln or b'\r' in ln:
                        sys.exit('%s: calendar line %r' % (path, ln))
                    ln.decode('utf-8')  # each folded piece whole UTF-8
                cal = icalendar.Calendar.from_ical(data)
                p = props(cal)
                p['content_method'] = part.get_param('method') or ''
                rec['calendars'].append(p)
        print(json.dumps(rec, ensure_ascii=False, sort_keys=True))


main()
