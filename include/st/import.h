/* Importing contacts from delimited files, as undoable batches. */
#ifndef ST_IMPORT_H
#define ST_IMPORT_H

#include <stdio.h>
#include <sqlite3.h>

#include "st/csvin.h"

struct st_error;
struct st_out;

struct st_import_opts {
	const char *name;         /* the file's name, for messages and the batch ("-": stdin) */
	FILE *fp;                 /* the open file */
	struct st_csv_opts csv;
	const char *key;          /* "FIELD" or "FIELD=COLUMN" (voter_id, van_id, phone,
	                             email); NULL matches on phone, else e-mail */
	char *const *maps;        /* NULL-terminated "COLUMN=FIELD" entries; FIELD "-" drops
	                             the column, a name that is not a contact field renames
	                             it in extra; may be NULL */
	char *const *tags;        /* NULL-terminated tag names to add; may be NULL */
	const char *source;       /* recorded on new contacts and the batch; may be NULL */
	int keep_existing;        /* never overwrite a value a contact already has */
	int dry_run;              /* do everything, then roll back */
	struct st_out *rejects;   /* rejected rows go here (columns line, reason, then the
	                             file's); may be NULL */
	void (*progress)(void *arg, size_t bytes, long rows); /* called now and then; may be NULL */
	void *progress_arg;
	void (*mapped)(void *arg, const char *column, const char *field); /* told where each
	                             column goes: a field, "extra.NAME" or "-"; may be NULL */
	void *mapped_arg;
	/* Events, shifts, RSVPs and attendance (st_import_activity): */
	long event, shift;        /* > 0: every row is for this event or shift */
	const char *tz;           /* the time zone of events the rows create; may be NULL */
	int strict;               /* a row that cannot be imported fails the batch */
};

struct st_import_result {
	long id;                  /* the batch (0 for a dry run) */
	long read, inserted, updated, unchanged, rejected;
	long contacts_added;      /* st_import_activity: people it did not know */
	long referred, ref_unknown, ref_ignored;  /* rows with a referral code (a ref, r or
	                             referral_code column): edges made, codes nobody has, and
	                             others ignored (see st_referral_record) */
};

/* Import the contacts in o->fp into db in one transaction: map columns to
 * contact fields (aliases, then o->maps), normalize them, match each row to a
 * contact by the key, insert or merge (filling empty fields and updating
 * others, or with keep_existing only filling), keep every other column in
 * the contact's extra JSON, tag, and record the batch with what it changed.
 * Rows that cannot be imported are counted as rejected and written to
 * o->rejects; read = inserted + updated + unchanged + rejected. A row with
 * a referral code records who brought its contact (st_referral_record). On error
 * nothing is written and -1 is returned with err filled. */
int st_import_contacts(sqlite3 *db, const struct st_import_opts *o, struct st_import_result *res,
    struct st_error *err);

/* Import events, shifts, RSVPs or attendance (kind "events", "shifts",
 * "rsvps" or "attendance") from o->fp in one transaction, as a batch.
 * Columns map by name (aliases such as Mobilize's event_id, timeslot_id,
 * timeslot_start, status and attended; o->maps overrides). Each row names
 * its event (st's id in "event", another system's in "event_id", or by
 * title) and shift (st's "shift", another's "shift_id", or its start);
 * missing ones are created when the row says enough (a title and a zone; a
 * start and an end), and events and shifts files update the ones they name.
 * RSVP and attendance rows name a person by contact id, phone or e-mail; one
 * not known is added (res->contacts_added). A full shift waitlists a "yes".
 * Rows that cannot be imported are rejected as st_import_contacts does. */
int st_import_activity(sqlite3 *db, const char *kind, const struct st_import_opts *o,
    struct st_import_result *res, struct st_error *err);

/* Revert batch id exactly: delete the contacts (and events, shifts, RSVPs
 * and attendance) it created, restore those it changed and remove the tags
 * it added. Refused when a later batch changed
 * the same contacts (undo that one first) or the batch was undone already.
 * *restored and *deleted (may be NULL) get the counts. */
int st_import_undo(sqlite3 *db, long id, long *restored, long *deleted, struct st_error *err);

#endif
