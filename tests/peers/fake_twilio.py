#!/usr/bin/python3
"""A fake Twilio Messages API on 127.0.0.1 for st's tests.

usage: fake_twilio.py STATE_DIR ACCOUNT_SID AUTH_TOKEN

Listens on a free port and writes it to STATE_DIR/port. Every POST to
/2010-04-01/Accounts/SID/Messages.json is logged to STATE_DIR/posts.jsonl
(one JSON object a line, before any answer) with what it became. Behaviour:

  STATE_DIR/faults.json    a JSON list, consumed one entry per POST:
                           {"status": 429, "retry_after": 1}  answer 429 (not created)
                           {"status": 500}                    answer 500 (not created)
                           {"status": 500, "create": true}    create it, then answer 500
                           {"sleep": 3, "create": true}       create it, answer after 3 s
                           {"ok": true}                       behave
  STATE_DIR/numbers.json   {"+15551230000": 21610, ...}: an error code for a To number
  STATE_DIR/delay          seconds to wait before answering every POST

GET on Messages.json lists messages newest first with To, From, DateSent>,
PageSize and paging (next_page_uri). Test hooks: POST /_inbound (From, To,
Body) adds an inbound message; POST /_status (Sid, Status, ErrorCode) sets a
message's status; GET /_messages returns every message as JSON.
"""
import base64
import json
import os
import random
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE, SID, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
LOCK = threading.Lock()
MESSAGES = []  # dicts in creation order
BASE = "/2010-04-01/Accounts/%s/Messages.json" % SID


def rfc2822(t):
    return formatdate(t, usegmt=False).replace("-0000", "+0000")


def next_fault():
    path = os.path.join(STATE, "faults.json")
    with LOCK:
        try:
            with open(path) as f:
                faults = json.load(f)
        except (OSError, ValueError):
            return {}
        if not faults:
            return {}
        first = faults.pop(0)
        with open(path + ".tmp", "w") as f:
            json.dump(faults, f)
        os.replace(path + ".tmp", path)
        return first


def number_error(to):
    try:
        with open(os.path.join(STATE, "numbers.json")) as f:
            return json.load(f).get(to)
    except (OSError, ValueError):
        return None


def log(entry):
    with LOCK:
        with open(os.path.join(STATE, "posts.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()


def resource(m):
    return {
        "account_sid": SID, "api_version": "2010-04-01", "body": m["body"],
        "date_created": rfc2822(m["created"]),
        "date_sent": rfc2822(m["sent"]) if m["sent"] else None,
        "date_updated": rfc2822(m["created"]), "direction": m["direction"],
        "error_code": m["error_code"], "error_message": None, "from": m["from"],
        "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD",
        "messaging_service_sid": None, "sid": m["sid"], "status": m["status"],
        "subresource_uris": {}, "to": m["to"],
        "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (SID, m["sid"]),
    }


def create(to, frm, body, direction="outbound-api", status="queued"):
    now = time.time()
    m = {"sid": "SM%032x" % random.getrandbits(128), "to": to, "from": frm, "body": body,
         "direction": direction, "status": status, "created": now,
         "sent": now if direction == "inbound" else None, "error_code": None}
    with LOCK:
        MESSAGES.append(m)
    return m


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        want = "Basic " + base64.b64encode(("%s:%s" % (SID, TOKEN)).encode()).decode()
        if self.headers.get("Authorization") != want:
            self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return False
        return True

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def do_POST(self):
        path = urllib.parse.urlparse(self.path).path
        if path == "/_inbound":
            f = self.form()
            m = create(f["To"], f["From"], f["Body"], "inbound", "received")
            return self.reply(201, resource(m))
        if path == "/_status":
            f = self.form()
            with LOCK:
                for m in MESSAGES:
                    if m["sid"] == f["Sid"]:
                        m["status"] = f["Status"]
                        m["sent"] = m["sent"] or time.time()
                        if f.get("ErrorCode"):
                            m["error_code"] = int(f["ErrorCode"])
            return self.reply(200, {})
        if path != BASE:
            return self.reply(404, {"code": 20404, "message": "not found", "status": 404})
        if not self.authorized():
            return
        f = self.form()
        entry = {"t": time.time(), "to": f.get("To"), "from": f.get("From"), "body": f.get("Body"),
                 "fields": sorted(f)}
        if not f.get("To") or not f.get("From") or "Body" not in f:
            entry["result"] = 400
            log(entry)
            return self.reply(400, {"code": 21604, "message": "A 'To' phone number is required.",
                                    "status": 400})
        try:
            with open(os.path.join(STATE, "delay")) as d:
                time.sleep(float(d.read().strip() or 0))
        except (OSError, ValueError):
            pass
        fault = next_fault()
        code = number_error(f["To"])
        if code:
            entry["result"] = code
            log(entry)
            msg = {21610: "Attempt to send to unsubscribed recipient",
                   21211: "The 'To' number is not a valid phone number.",
                   21614: "'To' number is not a valid mobile number"}.get(code, "error")
            return self.reply(400, {"code": code, "message": msg, "status": 400})
        if fault.get("status") and not fault.get("create"):
            entry["result"] = fault["status"]
            log(entry)
            headers = [("Retry-After", str(fault["retry_after"]))] if "retry_after" in fault else []
            return self.reply(fault["status"], {"code": 20429 if fault["status"] == 429 else 20500,
                                                "message": "fault", "status": fault["status"]},
                              headers)
        m = create(f["To"], f["From"], f["Body"])
        entry["result"] = "created"
        entry["sid"] = m["sid"]
        log(entry)
        if fault.get("sleep"):
            time.sleep(fault["sleep"])
        if fault.get("status"):
            return self.reply(fault["status"], {"code": 20500, "message": "fault",
                                                "status": fault["status"]})
        try:
            self.reply(201, resource(m))
        except OSError:
            pass

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/_messages":
            with LOCK:
                return self.reply(200, [resource(m) for m in MESSAGES])
        if u.path != BASE:
            return self.reply(404, {"code": 20404, "message": "not found", "status": 404})
        if not self.authorized():
            return
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        after = None
        if "DateSent>" in q:
            s = q["DateSent>"]
            after = time.mktime(time.strptime(s[:10], "%Y-%m-%d")) - time.timezone
        with LOCK:
            found = [m for m in reversed(MESSAGES)
                     if ("To" not in q or m["to"] == q["To"])
                     and ("From" not in q or m["from"] == q["From"])
                     and (after is None or (m["sent"] is not None and m["sent"] >= after))]
        size = int(q.get("PageSize", 50))
        page = int(q.get("Page", 0))
        chunk = found[page * size:(page + 1) * size]
        rest = {k: v for k, v in q.items() if k not in ("Page", "PageToken")}
        nxt = None
        if (page + 1) * size < len(found):
            nxt = BASE + "?" + urllib.parse.urlencode(dict(rest, Page=page + 1,
                                                            PageToken="PA%d" % (page + 1)))
        self.reply(200, {"messages": [resource(m) for m in chunk], "page": page, "page_size": size,
                         "start": page * size, "end": page * size + len(chunk),
                         "first_page_uri": BASE, "next_page_uri": nxt, "previous_page_uri": None,
                         "uri": self.path})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients killed mid-request (the crash tests) reset connections


def main():
    server = Server(("127.0.0.1", 0), Handler)
    with open(os.path.join(STATE, "port.tmp"), "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(os.path.join(STATE, "port.tmp"), os.path.join(STATE, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
