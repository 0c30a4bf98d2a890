/* The file transport: what would be sent, one JSON object a line. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st/error.h"
#include "st/exit.h"
#include "st/outbox.h"
#include "st/util.h"

struct spool {
	struct st_transport t;   /* first, so a transport is a spool */
	char *path;
	int fd;
	struct st_delivery *done;
	size_t ndone, cap;
};

static int
put_line(struct spool *s, const struct st_outmsg *m, struct st_error *err)
{
	json_t *o = json_pack("{s:I, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:s}", "id", (json_int_t)m->id,
	    "key", m->key ? m->key : "", "channel", m->channel, "from", m->from, "to", m->to ? m->to : "",
	    "body", m->body ? m->body : "", "subject", m->subject, "transport", "file");
	char *text;
	size_t len, off = 0;

	if (o == NULL)
		return st_error_set(err, ST_EXIT_FAIL, "cannot encode message %ld", m->id);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	len = strlen(text);
	text[len++] = '\n';   /* json_dumps leaves room: replace the NUL */
	/* One write per line with O_APPEND, so concurrent senders do not interleave. */
	while (off < len) {
		ssize_t w = write(s->fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			free(text);
			return st_error_set(err, ST_EXIT_FAIL, "cannot write '%s': %s", s->path,
			    strerror(errno));
		}
		off += (size_t)w;
	}
	free(text);
	return 0;
}

int
st_spool_write(struct st_transport *t, const struct st_outmsg *m, struct st_error *err)
{
	return put_line((struct spool *)t, m, err);
}

static int
spool_submit(struct st_transport *t, const struct st_outmsg *m, struct st_error *err)
{
	struct spool *s = (struct spool *)t;
	struct st_delivery *d;

	if (put_line(s, m, err) < 0)
		return -1;
	if (s->ndone == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->done = st_xrealloc(s->done, s->cap * sizeof(*s->done));
	}
	d = &s->done[s->ndone++];
	memset(d, 0, sizeof(*d));
	d->id = m->id;
	d->kind = ST_DLV_SENT;
	snprintf(d->provider_id, sizeof(d->provider_id), "spool-%ld", m->id);
	snprintf(d->status, sizeof(d->status), "spooled");
	return 0;
}

static int
spool_wait(struct st_transport *t, int timeout_ms, struct st_delivery *d, int max,
    struct st_error *err)
{
	struct spool *s = (struct spool *)t;
	size_t n = s->ndone < (size_t)max ? s->ndone : (size_t)max;

	(void)timeout_ms;
	(void)err;
	/* The file is the provider: what is written is sent, once it is on disk. */
	if (n && s->fd != STDOUT_FILENO && fdatasync(s->fd) < 0 && errno != EINVAL)
		return st_error_set(err, ST_EXIT_FAIL, "cannot write '%s': %s", s->path,
		    strerror(errno));
	memcpy(d, s->done, n * sizeof(*d));
	memmove(s->done, s->done + n, (s->ndone - n) * sizeof(*d));
	s->ndone -= n;
	return (int)n;
}

static int
spool_inflight(struct st_transport *t)
{
	return (int)((struct spool *)t)->ndone;
}

static int
spool_find(struct st_transport *t, const struct st_outmsg *m, time_t since, struct st_delivery *d,
    struct st_error *err)
{
	struct spool *s = (struct spool *)t;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	(void)since;
	if (s->fd == STDOUT_FILENO)
		return 0;   /* standard output cannot be read back: nothing was kept */
	if ((fp = fopen(s->path, "r")) == NULL)
		return st_error_set(err, ST_EXIT_FAIL, "cannot read '%s': %s", s->path, strerror(errno));
	while (!found && getline(&line, &cap, fp) > 0) {
		json_t *o = json_loads(line, 0, NULL);
		const char *key = json_string_value(json_object_get(o, "key"));

		if (key && m->key && strcmp(key, m->key) == 0) {
			memset(d, 0, sizeof(*d));
			d->id = m->id;
			d->kind = ST_DLV_SENT;
			snprintf(d->provider_id, sizeof(d->provider_id), "spool-%ld", m->id);
			snprintf(d->status, sizeof(d->status), "spooled");
			found = 1;
		}
		json_decref(o);
	}
	free(line);
	fclose(fp);
	return found;
}

static void
spool_free(struct st_transport *t)
{
	struct spool *s = (struct spool *)t;

	if (s == NULL)
		return;
	if (s->fd > STDOUT_FILENO)
		close(s->fd);
	free(s->path);
	free(s->done);
	free(s);
}

struct st_transport *
st_spool_transport_new(const char *path, struct st_error *err)
{
	struct spool *s = st_xcalloc(1, sizeof(*s));

	s->t.name = "file";
	s->t.channels = ST_CH_SMS | ST_CH_WHATSAPP | ST_CH_EMAIL;
	s->t.parallel = 64;
	s->t.submit = spool_submit;
	s->t.wait = spool_wait;
	s->t.inflight = spool_inflight;
	s->t.find = spool_find;
	s->t.free = spool_free;
	s->path = st_xstrdup(path);
	if (strcmp(path, "-") == 0) {
		s->fd = STDOUT_FILENO;
		return &s->t;
	}
	s->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		st_error_set(err, ST_EXIT_FAIL, "cannot open '%s': %s", path, strerror(errno));
		spool_free(&s->t);
		return NULL;
	}
	return &s->t;
}
