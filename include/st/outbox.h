/* The outbox: every outgoing message (SMS, WhatsApp, e-mail) is first a row of
 * the messages table with an idempotency key naming why it is sent; a sender
 * claims due rows with a lease, hands them to a transport and records the
 * provider's id and status. Transports (Twilio, a spool file, SMTP) plug in
 * through struct st_transport and know nothing of the database. */
#ifndef ST_OUTBOX_H
#define ST_OUTBOX_H

#include <sqlite3.h>
#include <time.h>

struct st_error;

/* Channels, as bits of st_transport.channels. */
enum { ST_CH_SMS = 1, ST_CH_WHATSAPP = 2, ST_CH_EMAIL = 4 };

/* The bit of a channel name ("sms", "whatsapp", "email"), 0 if unknown. */
unsigned st_channel_bit(const char *name);

/* One message handed to a transport. Addresses are as the provider wants
 * them ("whatsapp:+15551234567" on WhatsApp). */
struct st_outmsg {
	long id;                 /* messages.id, echoed in the delivery */
	const char *channel;
	const char *from, *to;
	const char *subject;     /* e-mail only, else NULL */
	const char *body;
	const char *key;         /* the idempotency key */
	int attempt;             /* 1 for the first try */
};

enum st_delivery_kind {
	ST_DLV_SENT,      /* the provider took it: provider_id and status are set */
	ST_DLV_RETRY,     /* it was not taken and may be tried again (429, 5xx, no connection) */
	ST_DLV_UNKNOWN,   /* it may have been taken (a timeout once the request was out):
	                     the provider must be asked before any resend */
	ST_DLV_REJECTED   /* permanent: never to be retried */
};

enum st_reject_reason {
	ST_REJ_OTHER,
	ST_REJ_OPTED_OUT,   /* the recipient unsubscribed (Twilio 21610) */
	ST_REJ_INVALID,     /* not a valid number for the channel (21211) */
	ST_REJ_LANDLINE     /* cannot receive texts (21614) */
};

/* What became of one submission. */
struct st_delivery {
	long id;
	enum st_delivery_kind kind;
	enum st_reject_reason reason;
	char provider_id[64];
	char status[24];        /* the provider's status word (queued, accepted, ...) */
	int error_code;         /* the provider's error code, else the HTTP status, else 0 */
	char error[200];
	double retry_after;     /* seconds the provider asked to wait (Retry-After), else 0 */
	int fatal;              /* the transport cannot go on (credentials, a bad sender, a
	                           request the provider does not accept): the run stops and
	                           the message stays queued */
};

/* A transport. submit starts delivering a message (it may return before the
 * provider answers); wait reports finished ones; find asks the provider
 * whether it took a message since a time, which is how rows left in flight
 * by a crash are reconciled before any resend. */
struct st_transport {
	const char *name;       /* recorded as messages.provider */
	unsigned channels;      /* ST_CH_* bits it carries */
	int parallel;           /* most submissions outstanding at once (>= 1) */
	/* Start delivering m (its strings are copied). -1 and err only when the
	 * transport itself is broken; a failed delivery is reported by wait. */
	int (*submit)(struct st_transport *t, const struct st_outmsg *m, struct st_error *err);
	/* Wait up to timeout_ms for submissions to finish; write up to max of them
	 * to d. Returns how many (0 on timeout), or -1 and err. */
	int (*wait)(struct st_transport *t, int timeout_ms, struct st_delivery *d, int max,
	    struct st_error *err);
	/* Number of submissions not yet reported by wait. */
	int (*inflight)(struct st_transport *t);
	/* 1 and d (kind ST_DLV_SENT) if the provider took m at or after since; 0
	 * if it did not; -1 and err if it cannot tell now (network: ST_EXIT_TEMP). */
	int (*find)(struct st_transport *t, const struct st_outmsg *m, time_t since,
	    struct st_delivery *d, struct st_error *err);
	void (*free)(struct st_transport *t);
};

/* A message to queue. */
struct st_outbox_item {
	long contact_id;         /* 0: none */
	const char *channel;     /* "sms" (NULL), "whatsapp" or "email" */
	const char *from, *to;   /* provider addresses */
	const char *subject;
	const char *body;
	const char *key;         /* idempotency key: unique in the database, required */
	const char *campaign;    /* may be NULL */
	const char *tz;          /* recipient's zone for quiet hours; NULL: none applies */
	time_t not_before;       /* 0: now */
	int segments;            /* for the record; 0: counted from body (not e-mail) */
	const char *encoding;
};

/* Queue it, in the caller's transaction if there is one. Returns 1 if
 * queued (*id gets the row), 0 if a message with that key already exists
 * (*id gets it; nothing changes), -1 and err. */
int st_outbox_enqueue(sqlite3 *db, const struct st_outbox_item *it, long *id,
    struct st_error *err);

struct st_outbox_opts {
	double rate;             /* messages a second per sending address; 0: no limit */
	int max_attempts;        /* tries before a provider's retryable answer (429, 5xx) is
	                            final (0: 6); no connection at all never is */
	int lease;               /* seconds a claim holds (0: 120); longer than a request */
	int grace;               /* seconds after a dead sender's claim before its rows are
	                            reconciled (0: 2; -1: none) */
	int max_wait;            /* wait for rows due within this many seconds (retries);
	                            later ones (quiet hours) are left queued */
	int quiet_start, quiet_end;  /* allowed local hours as minutes of the day; equal: any */
	int quiet_applies;       /* enforce them for rows that carry a time zone */
	long only_id;            /* > 0: deliver only this row */
	const volatile int *stop;  /* set (by a signal) to stop claiming and finish */
};

struct st_outbox_stats {
	long sent;               /* taken by the provider */
	long failed;             /* permanent errors and exhausted retries */
	long opted_out;          /* of those: the provider says the recipient unsubscribed */
	long bad_address;        /* of those: invalid or landline numbers */
	long cancelled;          /* not sent: opted out or bad number before their turn */
	long retried;            /* retryable failures, tried again */
	long reconciled;         /* rows in flight found at the provider (not resent) */
	long requeued;           /* rows in flight not found at the provider (sent again) */
	long deferred;           /* outside quiet hours: left queued */
	long waiting;            /* still queued when the run ended */
	long unresolved;         /* still in flight or unknown when the run ended */
};

/* Deliver due rows for t's channels until none is left that is due within
 * max_wait: first reconcile rows left in flight (a dead sender's, or
 * unknown) with t->find, then claim rows (status 'sending', lease), throttle
 * them per sending address across every running sender (the senders table),
 * submit them, and record each delivery. A recipient who opted out or whose
 * number is bad by the time of their turn is cancelled, not sent; permanent
 * rejections mark the contact (opted out; phone invalid or landline).
 * Returns 0, or -1 and err (ST_EXIT_TEMP when the provider could not be
 * reached and rows remain). */
int st_outbox_run(sqlite3 *db, struct st_transport *t, const struct st_outbox_opts *o,
    struct st_outbox_stats *s, struct st_error *err);

/* The file transport: each message is appended as a JSON Lines object to
 * path (created 0600), or, when path is NULL, written to fd (the caller's,
 * left open). It carries every channel; find looks for the key in the file
 * (with an fd, it finds nothing). */
struct st_transport *st_spool_transport_new(const char *path, int fd, struct st_error *err);

/* Write m to the spool t as it would be sent, without the outbox (dry runs). */
int st_spool_write(struct st_transport *t, const struct st_outmsg *m, struct st_error *err);

#endif
