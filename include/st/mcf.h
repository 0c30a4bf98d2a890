/* Minimum-cost flow, solved exactly by the primal network simplex method. */
#ifndef ST_MCF_H
#define ST_MCF_H

#include <stdint.h>
#include <stdio.h>

struct st_error;

/* A capacity this large (or larger) means no limit. */
#define ST_MCF_INF ((int64_t)1 << 62)

/* A flow network: nodes 0..n-1, directed arcs with a capacity (lower bound 0)
 * and an integer cost per unit of flow, and a supply per node (positive: the
 * node sends that much; negative: it takes that much in). */
struct st_mcf;

/* A network of n nodes (n >= 0) and no arcs; arcs_hint is how many arcs to
 * make room for (0 if unknown). Aborts on out-of-memory, like st_xmalloc. */
struct st_mcf *st_mcf_new(int n, size_t arcs_hint);

void st_mcf_free(struct st_mcf *m);

int st_mcf_nodes(const struct st_mcf *m);
int st_mcf_arcs(const struct st_mcf *m);

/* Add an arc from -> to with capacity cap (ST_MCF_INF for none) and a cost
 * per unit; returns its index (0, 1, 2, ... in the order added). Nothing is
 * checked here: st_mcf_solve refuses bad nodes, negative capacities and
 * costs that could overflow. */
int st_mcf_add_arc(struct st_mcf *m, int from, int to, int64_t cap, int64_t cost);

/* Set the supply of node (default 0). */
void st_mcf_set_supply(struct st_mcf *m, int node, int64_t supply);

/* Find a flow that meets every supply exactly, keeps each arc within its
 * capacity, and has the least total cost; *cost (may be NULL) gets that cost.
 * The same network always gives the same flow. Returns 0, or -1 with err
 * (ST_EXIT_DATA) when the supplies do not add up to zero, an arc names a node
 * that does not exist or has a negative capacity, no flow meets the supplies
 * (infeasible), the cost is unbounded (a negative cycle without a capacity),
 * or costs and capacities are so large that 64-bit arithmetic could overflow
 * (each |cost| and the costs of the longest path must stay below about 2^59).
 * Solving again (after adding arcs or changing supplies) starts afresh. */
int st_mcf_solve(struct st_mcf *m, int64_t *cost, struct st_error *err);

/* The flow on arc after a successful st_mcf_solve. */
int64_t st_mcf_flow(const struct st_mcf *m, int arc);

/* How many pivots the last st_mcf_solve made (for benchmarks). */
long st_mcf_pivots(const struct st_mcf *m);

/* Write the network as a DIMACS minimum-cost flow problem: "p min N M", an
 * "n NODE SUPPLY" line for each nonzero supply and "a FROM TO 0 CAP COST" for
 * each arc in order, nodes numbered from 1. An unlimited arc is written with
 * the sum of all positive supplies and finite capacities as its capacity,
 * more than any optimal flow puts on one arc. Returns 0, or -1 on a write
 * error. */
int st_mcf_write_dimacs(const struct st_mcf *m, FILE *fp);

#endif
