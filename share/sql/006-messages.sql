-- Messages, both directions and every channel: the conversation history and the outbox.
-- An outgoing message is first a row here (status 'queued') with an idempotency key that
-- names why it is sent; a sender claims it (status 'sending', with a lease), delivers it and
-- records the provider's id and status. Times are UTC ISO 8601 text.
CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
	channel TEXT NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'whatsapp', 'email')),
	idem_key TEXT UNIQUE,            -- outgoing: why it is sent, e.g. blast:campaign=x:contact=9
	campaign TEXT,
	from_addr TEXT NOT NULL,         -- E.164 (sms, whatsapp) or an e-mail address
	to_addr TEXT NOT NULL,
	subject TEXT,                    -- e-mail
	body TEXT NOT NULL,
	-- outgoing: queued, sending (claimed), unknown (the provider may have it: reconcile
	-- before any resend), sent (the provider took it), delivered, undelivered, failed,
	-- cancelled (never sent: opted out before its turn); incoming: received
	status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'unknown', 'sent', 'delivered',
	    'undelivered', 'failed', 'cancelled', 'received')),
	provider TEXT,                   -- twilio, file, ...
	provider_id TEXT,                -- the provider's id (Twilio's SM... sid)
	provider_status TEXT,            -- the provider's own word (accepted, queued, read, ...)
	error_code INTEGER,
	error TEXT,
	attempts INTEGER NOT NULL DEFAULT 0,
	not_before TEXT,                 -- not to be tried before (quiet hours, backoff)
	tz TEXT,                         -- the recipient's time zone, for quiet hours
	claimed_by TEXT,                 -- host:pid:start of the sender holding the lease
	claimed_at TEXT,
	lease_until TEXT,
	segments INTEGER,
	encoding TEXT,                   -- GSM-7 or UCS-2
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	sent_at TEXT,
	read_at TEXT,                    -- incoming: read in the inbox
	handled_at TEXT                  -- incoming: answered or marked done
);
CREATE UNIQUE INDEX messages_provider ON messages(provider, provider_id) WHERE provider_id IS NOT NULL;
-- Not partial: SQLite uses a partial index only when the query repeats its WHERE.
CREATE INDEX messages_queue ON messages(status, not_before);
CREATE INDEX messages_contact ON messages(contact_id, direction, created_at);
CREATE INDEX messages_campaign ON messages(campaign) WHERE campaign IS NOT NULL;

-- Throttling shared by every sender: the next free instant of each sending address.
CREATE TABLE senders (
	addr TEXT PRIMARY KEY,
	next_at REAL NOT NULL DEFAULT 0   -- Unix time, fractional
);

-- Where st-text sync left off, per account and address.
CREATE TABLE message_sync (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Opt-out state per channel (sms_status and email_status exist) and numbers that cannot
-- be texted ('invalid' or 'landline', from the provider's permanent errors).
ALTER TABLE contacts ADD COLUMN whatsapp_status TEXT;
ALTER TABLE contacts ADD COLUMN phone_status TEXT;
