/* The e-mail transport of the outbox: SMTP over libcurl. A message's body is
 * the whole RFC 5322 message (st_mime_write); from and to are the envelope
 * addresses. */
#ifndef ST_SMTP_H
#define ST_SMTP_H

struct st_error;
struct st_transport;

struct st_smtp_config {
	const char *url;        /* smtp://host[:port] (STARTTLS when starttls) or smtps://host */
	const char *user, *password;   /* NULL: no AUTH */
	int starttls;           /* 1: require STARTTLS on smtp:// */
	const char *ca_file;    /* NULL: the system's */
	long timeout;           /* seconds for one message (0: 60) */
};

/* A transport for the "email" channel that sends each message in one SMTP
 * transaction (MAIL FROM, RCPT TO, DATA). The server's reply decides: 2xx
 * sent, 4xx (and no connection) retried, 5xx rejected for good; a failure
 * after DATA went out with no reply is unknown. SMTP cannot be asked whether
 * it took a message, so find answers "not taken" and a row left in flight by
 * a crash in that moment is sent again. The configuration's strings are
 * copied; the password is never part of a message. NULL and err if url is
 * not smtp:// or smtps://. */
struct st_transport *st_smtp_transport_new(const struct st_smtp_config *c, struct st_error *err);

#endif
