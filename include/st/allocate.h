/* The allocator: volunteers to turfs and shifts, by priority and capacity,
 * optimally (a minimum-cost flow, see st/mcf.h).
 *
 * An instance holds turfs, their shifts with capacity, and volunteers with
 * availability and preferences. It is filled row by row from named fields,
 * the columns of the CSV files st-allocate reads (see st-allocate(1)), or
 * from the database, then solved, then written out or committed as RSVPs.
 *
 * Turf fields (a row is a turf and, with shift, one of its shifts; a turf's
 * fields may repeat on each of its rows, the last non-empty value wins):
 *   turf (required: the turf's key), name, neighbourhood, region, priority
 *   (0..1000, default 1), lat, lon (degrees), zip, shift (a label; in the
 *   database, a shift id), starts, ends (when the shift is, for availability
 *   windows; UTC or with an offset), capacity (places; empty: no limit),
 *   need (how many the turf wants there; default: the capacity).
 * Volunteer fields (a row adds to the volunteer it names):
 *   volunteer (required: a label; in the database, a contact id, e-mail or
 *   phone), name, pref ("turf:KEY", "neighbourhood:NAME", "region:NAME" or
 *   "anywhere"), rank (1 is the first choice; empty: unranked, as good as a
 *   first choice), available (comma-separated shift labels and windows
 *   "START/END"), lat, lon, zip (home, for travel).
 *
 * The model: a volunteer may go to a shift of a turf that one of their
 * preferences names and that they are available for, one shift each; a
 * shift takes no more than its capacity. The allocation maximizes coverage:
 * the k-th volunteer on a turf (counting those already there) is worth
 * floor(priority * 2520 / k), so coverage spreads over turfs in proportion to
 * priority. Among allocations of the same coverage it minimizes the sum over
 * volunteers of (rank - 1) * 501 + travel, where travel is the distance from
 * home in units of 100 m, at most 500 (50 km): 500 when it cannot be known,
 * 0 for a volunteer with no home. For neighbourhood, region and anywhere
 * preferences travel is measured from the centre of the home's 0.02-degree
 * grid square (or the home ZIP), so that volunteers of one square share
 * their arcs. Costs are exact integers: coverage is worth more than any
 * difference in rank and travel (lexicographic). */
#ifndef ST_ALLOCATE_H
#define ST_ALLOCATE_H

#include <stddef.h>
#include <stdio.h>
#include <sqlite3.h>

struct st_error;
struct st_out;

struct st_alloc;

struct st_alloc *st_alloc_new(void);
void st_alloc_free(struct st_alloc *a);

/* Add one turf row or one volunteer row of n named fields (values NULL or ""
 * for empty; unknown names are ignored). where ("turfs.csv:12", may be NULL)
 * starts messages. Fails with ST_EXIT_DATA on a missing key, a bad number,
 * priority, capacity, coordinate, time, preference or rank. */
int st_alloc_add_turf(struct st_alloc *a, size_t n, const char *const *names,
    const char *const *values, const char *where, struct st_error *err);
int st_alloc_add_volunteer(struct st_alloc *a, size_t n, const char *const *names,
    const char *const *values, const char *where, struct st_error *err);

/* Add every row of a CSV, TSV or JSON Lines file (read with st_csvin; name
 * for messages) as turf rows, or as volunteer rows. An input without rows is
 * an error (ST_EXIT_DATA), as is a turfs file without a turf column or a
 * volunteers file without a volunteer column. */
int st_alloc_read_turfs(struct st_alloc *a, FILE *fp, const char *name, struct st_error *err);
int st_alloc_read_volunteers(struct st_alloc *a, FILE *fp, const char *name,
    struct st_error *err);

/* Load the turfs with their upcoming open shifts, and every contact with
 * availability or preferences, from the database's turfs, turf_shifts,
 * volunteers, volunteer_availability and volunteer_prefs tables. No turfs or
 * no volunteers is an error (ST_EXIT_DATA). Then st_alloc_bind. */
int st_alloc_load_db(struct st_alloc *a, sqlite3 *db, int rebalance, struct st_error *err);

/* Tie the instance to the database: each shift label must be an open shift's
 * id (its times and capacity come from the database too), each volunteer
 * must name a contact (id, e-mail or phone). Places already taken by "yes"
 * RSVPs count against capacity and toward coverage, and a volunteer with a
 * "yes" RSVP to one of the shifts keeps it and is not allocated again;
 * unless rebalance, under which the allocator's own RSVPs (source
 * 'allocator') are set aside and made again. */
int st_alloc_bind(struct st_alloc *a, sqlite3 *db, int rebalance, struct st_error *err);

/* Check the preferences (a preference naming a turf, neighbourhood or region
 * that no turf row has is an error, naming the row, for rows read from files;
 * from the database it only leaves the preference unused), build the flow
 * network and solve it. */
int st_alloc_solve(struct st_alloc *a, struct st_error *err);

struct st_alloc_stats {
	long volunteers, assigned, kept, unassigned;
	long long coverage;      /* the worth of the new assignments (the objective's first term) */
	long long tiebreak;      /* their summed (rank - 1) * 501 + travel (the second term) */
	long nodes, arcs, pivots;
};
void st_alloc_stats(const struct st_alloc *a, struct st_alloc_stats *st);

/* After st_alloc_solve: one row per volunteer to out, in the order they were
 * added: volunteer, name, status (assigned, kept or unassigned), shift,
 * turf, turf_name, starts, pref (the preference it satisfies), rank,
 * travel_km, reason (why a volunteer is unassigned: no availability, no
 * preferences, no shift matches, preferred shifts full, not needed, or an
 * unknown turf, neighbourhood or region). */
int st_alloc_write(const struct st_alloc *a, struct st_out *out, struct st_error *err);

/* Per turf: turf, name, neighbourhood, region, priority, shifts, capacity,
 * need, taken (places taken before), assigned (new), filled (the two),
 * short (need not met). */
int st_alloc_write_coverage(const struct st_alloc *a, struct st_out *out, struct st_error *err);

/* Why volunteer (as its key was given) went where they did: one row per
 * shift they could have gone to (volunteer, shift, turf, pref, rank,
 * travel_km, places_left, outcome: assigned, kept, full or not chosen), or a
 * single row with the reason when there is none. ST_EXIT_DATA if there is no
 * such volunteer. */
int st_alloc_explain(const struct st_alloc *a, const char *volunteer, struct st_out *out,
    struct st_error *err);

/* Write the flow network in DIMACS form (see st_mcf_write_dimacs). */
int st_alloc_write_dimacs(const struct st_alloc *a, FILE *fp);

/* After st_alloc_bind and st_alloc_solve: make the new assignments RSVPs
 * ("yes", source 'allocator', never waitlisted), and with rebalance cancel
 * the allocator's RSVPs of volunteers who now go elsewhere or nowhere, first.
 * Each RSVP is its own transaction; one refused because its shift filled up
 * meanwhile is counted in *refused and the rest go on. */
int st_alloc_commit(struct st_alloc *a, sqlite3 *db, long *made, long *cancelled,
    long *refused, struct st_error *err);

/* For importers: store one turf row (the turf fields above; shift is a shift
 * id, linked to the turf with its capacity and need) in the turfs and
 * turf_shifts tables, updating the turf with that key if there is one. */
int st_turf_upsert(sqlite3 *db, size_t n, const char *const *names, const char *const *values,
    struct st_error *err);

/* For importers: store one volunteer row (the volunteer fields above;
 * volunteer names a contact, available holds shift ids and windows) in the
 * volunteers, volunteer_prefs and volunteer_availability tables; a
 * preference given again changes its rank. */
int st_volunteer_upsert(sqlite3 *db, size_t n, const char *const *names,
    const char *const *values, struct st_error *err);

#endif
