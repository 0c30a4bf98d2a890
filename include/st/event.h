/* Events, their shifts (time slots), RSVPs with capacity and a waitlist,
 * attendance, and engagement levels. */
#ifndef ST_EVENT_H
#define ST_EVENT_H

#include <sqlite3.h>

struct st_error;
struct st_out;

/* An event's fields; NULL (or has_latlon 0, organizer 0) leaves a field as it is
 * when editing, and empty when creating. */
struct st_event_in {
	const char *kind, *title, *description, *location, *area, *tz, *external_id;
	double lat, lon;
	int has_latlon;
	long organizer;          /* a contact id, -1 to clear */
};

/* Create an event (title and tz required, tz a valid zone); *id gets its id. */
int st_event_create(sqlite3 *db, const struct st_event_in *in, long *id, struct st_error *err);

/* Change the fields of event id that in gives. A new time zone keeps each
 * shift's instant (its UTC time), so local times change with it. */
int st_event_edit(sqlite3 *db, long id, const struct st_event_in *in, struct st_error *err);

/* Cancel event id and all of its shifts (RSVPs stay, for the record). */
int st_event_cancel(sqlite3 *db, long id, struct st_error *err);

/* Add a shift to event_id from start to end, each either local time in the
 * event's zone or with an offset (see st_time_parse); capacity < 0 for no
 * limit. The end must be after the start, and the shift must not overlap
 * another live shift of the event. *id gets the shift's id. */
int st_shift_add(sqlite3 *db, long event_id, const char *start, const char *end, long capacity,
    const char *external_id, long *id, struct st_error *err);

/* Move or resize shift id (start, end NULL: unchanged; capacity -2:
 * unchanged, -1: no limit). More room promotes people from the waitlist. */
int st_shift_edit(sqlite3 *db, long id, const char *start, const char *end, long capacity,
    struct st_error *err);

/* Cancel shift id. */
int st_shift_cancel(sqlite3 *db, long id, struct st_error *err);

/* 0 if shift exists and neither it nor its event is cancelled, else -1 and
 * a message (ST_EXIT_DATA). */
int st_shift_open(sqlite3 *db, long shift, struct st_error *err);

/* The contact that who names: a contact id, an e-mail address or a phone
 * number. ST_EXIT_DATA if there is none, or (phone) more than one. */
int st_contact_resolve(sqlite3 *db, const char *who, long *id, struct st_error *err);

/* RSVP contact to shift with status "yes", "maybe" or "no". A "yes" to a
 * full shift goes on the waitlist unless !waitlist_ok (then ST_EXIT_DATA).
 * An existing live RSVP is updated (the same status again changes nothing,
 * so nobody loses their place). The waitlist is served in the order people
 * joined it. A cancelled shift or event is refused.
 * *result (may be NULL) gets the status the RSVP ended with. */
int st_rsvp(sqlite3 *db, long shift, long contact, const char *status, const char *source,
    long referred_by, int waitlist_ok, const char **result, struct st_error *err);

/* What st_rsvp_set records. */
struct st_rsvp_in {
	const char *status;     /* "yes" (NULL), "maybe", "no" or "cancelled" */
	const char *source;     /* may be NULL */
	long referred_by;       /* a contact id, or 0 */
	int confirmed;          /* 1 or 0 sets the confirmation; -1 leaves it */
	int waitlist_ok;
	long import_id;         /* > 0: the import batch writing it, recorded on the row */
};

/* st_rsvp with every detail: "no" and "cancelled" end a live RSVP (or, with
 * none, record the answer). *id (may be NULL) gets the RSVP written, or the
 * live one left as it was, 0 if none. */
int st_rsvp_set(sqlite3 *db, long shift, long contact, const struct st_rsvp_in *in,
    const char **result, long *id, struct st_error *err);

/* Cancel contact's live RSVP to shift; the first on the waitlist moves up
 * into a freed place (*promoted gets that contact, or 0). */
int st_rsvp_cancel(sqlite3 *db, long shift, long contact, long *promoted, struct st_error *err);

/* Record that contact attended shift (or, with no_show, did not), checked in
 * by `by` (may be NULL); someone with no RSVP is a walk-in. A cancelled shift
 * is refused. Updates the contact's attended count and engagement level. */
int st_attend(sqlite3 *db, long shift, long contact, int no_show, const char *by,
    struct st_error *err);

/* Record one attendance mark in the caller's transaction, for loops that
 * record many: the statement is prepared into *cache on first use (the
 * caller finalizes it). The shift and contact are not checked and levels are
 * not updated (see st_levels_update). at is the check-in time (NULL: none),
 * import_id > 0 the batch writing it. Returns 1 if the mark was written or
 * changed, 0 if it was already so, -1 on error. */
int st_attend_mark(sqlite3 *db, sqlite3_stmt **cache, long shift, long contact, int no_show,
    const char *at, const char *by, long import_id, struct st_error *err);

/* Undo contact's attendance mark for shift (the check-in desk's undo). */
int st_attend_undo(sqlite3 *db, long shift, long contact, struct st_error *err);

/* Set contact's role ("host", "lead" or NULL) or organizer (0 for none);
 * both update the engagement level. */
int st_contact_set_role(sqlite3 *db, long contact, const char *role, struct st_error *err);
int st_contact_set_organizer(sqlite3 *db, long contact, long organizer, struct st_error *err);

/* Recompute every contact's count of shifts attended and engagement level
 * (0: contact, 1: attended once, 2: attended twice or more, 3: host or lead);
 * *changed gets how many contacts changed. */
int st_levels_recompute(sqlite3 *db, long *changed, struct st_error *err);

/* The same for the contacts with attendance recorded by import batch
 * import_id (all contacts when import_id is 0). */
int st_levels_update(sqlite3 *db, long import_id, long *changed, struct st_error *err);

/* Write shifts with their events to out: when > 0 only upcoming ones (ends
 * after now), < 0 only past ones, 0 all; kind NULL for any kind; event > 0
 * for one event. Times in UTC and local to the event. */
int st_shift_list(sqlite3 *db, int when, const char *kind, long event, struct st_out *out,
    long *nrows, struct st_error *err);

/* Write the roster of shift: everyone with an RSVP or an attendance mark. */
int st_roster(sqlite3 *db, long shift, struct st_out *out, long *nrows, struct st_error *err);

/* One person found at the check-in desk. */
struct st_checkin_hit {
	long id;
	char name[160];
	char phone[20];
	char rsvp[12];          /* yes, maybe, waitlisted or empty */
	char attendance[10];    /* attended, no_show or empty */
};

/* Make the indexes the check-in desk's lookups need, if they are missing (a
 * few seconds once on a million contacts; imports keep them up to date). */
int st_checkin_prepare(sqlite3 *db, struct st_error *err);

/* Find up to max contacts for the check-in desk of shift: text is a name
 * prefix ("ana"), first and last name prefixes ("ana re"), or at least four
 * digits of a phone number; people with an RSVP to shift come first. *n gets
 * how many were found. */
int st_checkin_find(sqlite3 *db, long shift, const char *text, struct st_checkin_hit *hits,
    size_t max, size_t *n, struct st_error *err);

/* Add a contact (a walk-in): names may be NULL, phone and email are
 * normalized and at least one must be valid. *id gets the new contact. */
int st_contact_add(sqlite3 *db, const char *first, const char *last, const char *phone,
    const char *email, const char *source, long *id, struct st_error *err);

/* The keys st_contact_add stores for phone and email (either may be NULL):
 * normalized into p and e, with *has_p / *has_e 1 for each given and valid. */
void st_contact_keys(const char *phone, const char *email, char p[32], char e[256], int *has_p,
    int *has_e);

#endif
