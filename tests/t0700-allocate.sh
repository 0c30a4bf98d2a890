#!/bin/sh
# st-allocate: the allocation on small instances whose answer is known, its
# optimality on random instances against networkx and GLPK solving the model
# built independently in Python, bad input, and the database: commit as RSVPs,
# keep on re-runs, rebalance.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db
PY=/usr/bin/python3
TOOLS=$TOP/$ST_BUILD/tools

cat >turfs.csv <<\EOT
turf,name,neighbourhood,region,priority,lat,lon,shift,starts,ends,capacity
BK1,Bushwick North,Bushwick,Brooklyn,3,40.70,-73.92,bk1-sat,2037-05-02T14:00Z,2037-05-02T17:00Z,2
BK1,,,,,,,bk1-sun,2037-05-03T14:00Z,2037-05-03T17:00Z,2
BK2,Bushwick South,Bushwick,Brooklyn,1,40.69,-73.91,bk2-sat,2037-05-02T14:00Z,2037-05-02T17:00Z,3
BK3,Flatbush,Flatbush,Brooklyn,2,40.64,-73.96,bk3-sat,2037-05-02T14:00Z,2037-05-02T17:00Z,2
QN1,Astoria,Astoria,Queens,5,40.77,-73.92,qn1-sat,2037-05-02T14:00Z,2037-05-02T17:00Z,1
EOT
cat >vols.csv <<\EOT
volunteer,pref,rank,available,lat,lon
ana,turf:BK1,1,bk1-sat,40.70,-73.93
ana,turf:BK2,2,,,
bo,region:Brooklyn,,2037-05-02T09:00Z/2037-05-02T23:00Z,40.65,-73.95
cy,anywhere,,2037-05-02T00:00Z/2037-05-04T00:00Z,,
di,neighbourhood:Bushwick,1,2037-05-02T00:00Z/2037-05-04T00:00Z,40.69,-73.92
ed,turf:QN1,1,bk1-sat,,
fa,region:Queens,1,,,
EOT

test_expect_success 'a small allocation: priorities, preferences, availability, reasons' '
	st-allocate --turfs turfs.csv --volunteers vols.csv >got &&
	cat >expect <<-\EOT &&
	volunteer,name,status,shift,turf,turf_name,starts,pref,rank,travel_km,reason
	ana,,assigned,bk1-sat,BK1,Bushwick North,2037-05-02T14:00:00Z,turf:BK1,1,0.8,
	bo,,assigned,bk3-sat,BK3,Flatbush,2037-05-02T14:00:00Z,region:Brooklyn,,1.4,
	cy,,assigned,qn1-sat,QN1,Astoria,2037-05-02T14:00:00Z,anywhere,,0.0,
	di,,assigned,bk1-sun,BK1,Bushwick North,2037-05-03T14:00:00Z,neighbourhood:Bushwick,1,1.1,
	ed,,unassigned,,,,,,,,no shift matches availability and preferences
	fa,,unassigned,,,,,,,,no availability
	EOT
	test_cmp expect got
'

test_expect_success 'coverage per turf against need' '
	st-allocate --turfs turfs.csv --volunteers vols.csv --coverage >got &&
	cat >expect <<-\EOT &&
	turf,name,neighbourhood,region,priority,shifts,capacity,need,taken,assigned,filled,short
	BK1,Bushwick North,Bushwick,Brooklyn,3,2,4,4,0,2,2,2
	BK2,Bushwick South,Bushwick,Brooklyn,1,1,3,3,0,0,0,3
	BK3,Flatbush,Flatbush,Brooklyn,2,1,2,2,0,1,1,1
	QN1,Astoria,Astoria,Queens,5,1,1,1,0,1,1,0
	EOT
	test_cmp expect got
'

test_expect_success '--explain lists the shifts a volunteer could take, and why not' '
	st-allocate --turfs turfs.csv --volunteers vols.csv --explain cy >got &&
	cat >expect <<-\EOT &&
	volunteer,shift,turf,pref,rank,travel_km,places_left,outcome
	cy,bk1-sat,BK1,anywhere,,0.0,1,not chosen
	cy,bk2-sat,BK2,anywhere,,0.0,3,not chosen
	cy,bk3-sat,BK3,anywhere,,0.0,1,not chosen
	cy,qn1-sat,QN1,anywhere,,0.0,0,assigned
	cy,bk1-sun,BK1,anywhere,,0.0,1,not chosen
	EOT
	test_cmp expect got &&
	st-allocate --turfs turfs.csv --volunteers vols.csv --explain fa --json >got &&
	test_grep "\"outcome\":\"no availability\"" got &&
	test_exit 3 st-allocate --turfs turfs.csv --volunteers vols.csv --explain zed 2>err &&
	test_one_line err && test_grep "no volunteer .zed." err
'

test_expect_success 'a full shift sends the next volunteer elsewhere: the first choice is full' '
	cat >v2.csv <<-\EOT &&
	volunteer,pref,rank,available
	a,turf:QN1,1,qn1-sat
	b,turf:QN1,1,qn1-sat
	EOT
	st-allocate --turfs turfs.csv --volunteers v2.csv -H -f tsv | cut -f1,3,11 >got &&
	printf "a\tassigned\t\nb\tunassigned\tpreferred shifts full\n" >expect &&
	test_cmp expect got
'

# Two places, three takers: picky (no home) gets its first choice B, far goes to
# A near home; near would travel 2 km to B, which only a worse tie-break allows.
test_expect_success 'ranked choices and travel break ties; output is deterministic' '
	cat >t3.csv <<-\EOT &&
	turf,region,priority,lat,lon,shift,capacity
	A,R,1,40.00,-73.00,a,1
	B,R,1,40.00,-73.50,b,1
	EOT
	cat >v3.csv <<-\EOT &&
	volunteer,pref,rank,available,lat,lon
	near,region:R,,"a,b",40.00,-73.49
	far,region:R,,"a,b",40.00,-73.01
	picky,turf:B,1,"a,b",,
	picky,turf:A,2,,,
	EOT
	st-allocate --turfs t3.csv --volunteers v3.csv -H | cut -d, -f1,3,5 >got &&
	printf "near,unassigned,\nfar,assigned,A\npicky,assigned,B\n" >expect &&
	test_cmp expect got &&
	st-allocate --turfs t3.csv --volunteers v3.csv >again &&
	st-allocate --turfs t3.csv --volunteers v3.csv >again2 && test_cmp again again2
'

test_expect_success 'bad input: one line, exit 3, naming file and line' '
	printf "volunteer,pref,rank,available\nx,turf:NOPE,1,bk1-sat\n" >bad.csv &&
	test_exit 3 st-allocate --turfs turfs.csv --volunteers bad.csv 2>err &&
	test_one_line err && test_grep "^st-allocate: bad.csv:2: unknown turf .NOPE.$" err &&
	printf "turf,shift,capacity\nA,s1,-1\n" >neg.csv &&
	test_exit 3 st-allocate --turfs neg.csv --volunteers vols.csv 2>err &&
	test_one_line err && test_grep "neg.csv:2: invalid capacity .-1." err &&
	printf "turf,shift,capacity\n" >empty.csv &&
	test_exit 3 st-allocate --turfs empty.csv --volunteers vols.csv 2>err &&
	test_one_line err && test_grep "empty.csv: no turfs" err &&
	printf "volunteer,pref\n" >empty.csv &&
	test_exit 3 st-allocate --turfs turfs.csv --volunteers empty.csv 2>err &&
	test_one_line err && test_grep "empty.csv: no volunteers" err &&
	: >nothing.csv &&
	test_exit 3 st-allocate --turfs turfs.csv --volunteers nothing.csv 2>err && test_one_line err &&
	printf "name,pref\nx,anywhere\n" >nokey.csv &&
	test_exit 3 st-allocate --turfs turfs.csv --volunteers nokey.csv 2>err &&
	test_grep "nokey.csv: no volunteer column" err &&
	printf "volunteer,pref\nx,somewhere\n" >badpref.csv &&
	test_exit 3 st-allocate --turfs turfs.csv --volunteers badpref.csv 2>err &&
	test_grep "badpref.csv:2: invalid preference .somewhere." err &&
	printf "volunteer,pref,rank\nx,anywhere,0\n" >badrank.csv &&
	test_exit 3 st-allocate --turfs turfs.csv --volunteers badrank.csv 2>err &&
	test_grep "invalid rank" err &&
	printf "turf,priority\nA,1001\n" >badprio.csv &&
	test_exit 3 st-allocate --turfs badprio.csv --volunteers vols.csv 2>err &&
	test_grep "badprio.csv:2: invalid priority" err &&
	printf "turf,shift,starts,ends\nA,s,2037-05-02T14:00Z,2037-05-02T13:00Z\n" >badtime.csv &&
	test_exit 3 st-allocate --turfs badtime.csv --volunteers vols.csv 2>err &&
	test_grep "invalid shift times" err &&
	printf "turf,shift\nA,s\nB,s\n" >twice.csv &&
	test_exit 3 st-allocate --turfs twice.csv --volunteers vols.csv 2>err &&
	test_grep "twice.csv:3: shift .s. is on two rows" err &&
	test_exit 1 st-allocate --turfs missing.csv --volunteers vols.csv 2>err &&
	test_grep "cannot open .missing.csv." err
'

test_expect_success 'usage errors exit 2' '
	test_exit 2 st-allocate --turfs turfs.csv 2>err && test_grep "go together" err &&
	test_exit 2 st-allocate --coverage --explain 1 2>err &&
	test_exit 2 st-allocate --bogus 2>err && test_grep "try .st-allocate --help." err &&
	test_exit 2 st-allocate extra 2>err &&
	test_exit 2 st-allocate -f xml 2>err &&
	st-allocate --help >out && test_grep "^usage: st-allocate" out &&
	st-allocate --list-options >out && test_grep "^--explain=$" out && test_grep "^--commit$" out
'

test_expect_success 'volunteers read from standard input, as JSON out' '
	st-allocate --turfs turfs.csv --volunteers - --json <vols.csv >got &&
	[ "$(wc -l <got)" -eq 6 ] &&
	test_grep "{\"volunteer\":\"ana\",\"name\":null,\"status\":\"assigned\",\"shift\":\"bk1-sat\"" got
'

# The independent check: the model of st-allocate(1), built from the files in
# Python, solved by networkx (and GLPK), against what st-allocate printed.
cat >model.py <<\EOT
import csv, math, random, sys

RANK, TMAX, SCALE = 501, 500, 2520

def travel(f, t):
    if f.get("ll") and t.get("ll"):
        rad = math.pi / 180
        x = (t["lon"] - f["lon"]) * rad * math.cos((f["lat"] + t["lat"]) / 2 * rad)
        y = (t["lat"] - f["lat"]) * rad
        km = 6371.0 * math.sqrt(x * x + y * y)
        return TMAX if km * 10 >= TMAX else math.floor(km * 10 + 0.5)
    if f.get("zip") and t.get("zip") and f["zip"] == t["zip"]:
        return 0
    return TMAX if f.get("ll") or f.get("zip") else 0

def zone(h):
    if h.get("ll"):
        return {"ll": True, "lat": math.floor(h["lat"] * 50 + 0.5) / 50,
                "lon": math.floor(h["lon"] * 50 + 0.5) / 50}
    return {"zip": h.get("zip")} if h.get("zip") else {}

HOURS = [(10, 13), (14, 17), (34, 37), (38, 41)]
def stamp(h):
    return "2037-05-%02dT%02d:00Z" % (1 + h // 24, h % 24)

def gen(seed, d):
    r = random.Random(seed)
    nt, nv = r.randint(2, 9), r.randint(1, 30)
    regions, nbhds = ["R%d" % i for i in range(r.randint(1, 3))], ["N%d" % i for i in range(r.randint(1, 4))]
    turfs, shifts = [], []
    with open(d + "/t.csv", "w") as f:
        f.write("turf,neighbourhood,region,priority,lat,lon,zip,shift,starts,ends,capacity,taken\n")
        for t in range(nt):
            nb, rg = r.choice(nbhds), r.choice(regions)
            pr = r.choice([0, 1, 1, 2, 3, 5, 10, 1000]) if r.random() < 0.9 else r.randint(0, 7)
            ll = r.random() < 0.8
            lat, lon = r.uniform(40.5, 40.9), r.uniform(-74.1, -73.7)
            zp = r.choice(["", "11211", "11206"])
            turfs.append((t, nb, rg))
            for s in r.sample(range(len(HOURS)), r.randint(0, 3)):
                cap = "" if r.random() < 0.15 else str(r.randint(0, 4))
                taken = str(r.randint(0, 2)) if r.random() < 0.2 else ""
                timed = r.random() < 0.85
                shifts.append(("t%d-%d" % (t, s), t, s if timed else None))
                f.write("T%d,%s,%s,%d,%s,%s,%s,t%d-%d,%s,%s,%s,%s\n" % (
                    t, nb, rg, pr, "%.5f" % lat if ll else "", "%.5f" % lon if ll else "", zp, t, s,
                    stamp(HOURS[s][0]) if timed else "", stamp(HOURS[s][1]) if timed else "", cap, taken))
            if not any(sh[1] == t for sh in shifts):
                f.write("T%d,%s,%s,%d,,,,,,,,\n" % (t, nb, rg, pr))
    used_nb = sorted({t[1] for t in turfs})
    used_rg = sorted({t[2] for t in turfs})
    with open(d + "/v.csv", "w") as f:
        f.write("volunteer,pref,rank,available,lat,lon,zip\n")
        for v in range(nv):
            av = []
            for _ in range(r.randint(0, 3)):
                if shifts and r.random() < 0.4:
                    av.append(r.choice(shifts)[0])
                else:
                    a = r.randint(0, 40)
                    av.append("%s/%s" % (stamp(a), stamp(a + r.randint(1, 30))))
            home = r.random()
            lat, lon = ("%.5f" % r.uniform(40.5, 40.9), "%.5f" % r.uniform(-74.1, -73.7)) if home < 0.6 else ("", "")
            zp = r.choice(["11211", "11206"]) if 0.6 <= home < 0.8 else ""
            prefs, seen = [], set()
            for _ in range(r.randint(0, 4)):
                k = r.random()
                p = ("turf:T%d" % r.randrange(nt) if k < 0.4 else "neighbourhood:" + r.choice(used_nb)
                     if k < 0.6 else "region:" + r.choice(used_rg) if k < 0.85 else "anywhere")
                if p not in seen:
                    seen.add(p)
                    prefs.append(p)
            ranked = r.random() < 0.6
            rows = [(p, str(i + 1) if ranked else "") for i, p in enumerate(prefs)] or [("", "")]
            for i, (p, rk) in enumerate(rows):
                f.write('v%d,%s,%s,"%s",%s,%s,%s\n' % (v, p, rk, ",".join(av) if i == 0 else "",
                        lat if i == 0 else "", lon if i == 0 else "", zp if i == 0 else ""))

def load(d):
    turfs, ts, vols = {}, {}, {}
    for row in csv.DictReader(open(d + "/t.csv")):
        t = turfs.setdefault(row["turf"], {"key": row["turf"], "shifts": []})
        t.update(nb=row["neighbourhood"], rg=row["region"], pr=int(row["priority"]),
                 ll=bool(row["lat"]), zip=row["zip"])
        if row["lat"]:
            t.update(lat=float(row["lat"]), lon=float(row["lon"]))
        if row["shift"]:
            h = None
            if row["starts"]:
                st = row["starts"]
                h = (int(st[8:10]) - 1) * 24 + int(st[11:13]), None
                en = row["ends"]
                h = (h[0], (int(en[8:10]) - 1) * 24 + int(en[11:13]))
            cap = int(row["capacity"]) if row["capacity"] else None
            taken = int(row["taken"] or 0)
            ts[row["shift"]] = {"turf": row["turf"], "h": h, "cap": cap, "taken": taken}
            t["shifts"].append(row["shift"])
    for row in csv.DictReader(open(d + "/v.csv")):
        v = vols.setdefault(row["volunteer"], {"prefs": [], "av": [], "home": {}})
        if row["pref"]:
            v["prefs"].append((row["pref"], int(row["rank"]) if row["rank"] else 0))
        for a in filter(None, row["available"].split(",")):
            if "/" in a:
                s, e = a.split("/")
                v["av"].append(("w", (int(s[8:10]) - 1) * 24 + int(s[11:13]), (int(e[8:10]) - 1) * 24 + int(e[11:13])))
            else:
                v["av"].append(("s", a))
        if row["lat"]:
            v["home"].update(ll=True, lat=float(row["lat"]), lon=float(row["lon"]))
        if row["zip"]:
            v["home"]["zip"] = row["zip"]
    return turfs, ts, vols

def in_scope(p, t):
    lvl, _, val = p.partition(":")
    return (lvl == "anywhere" or (lvl == "turf" and t["key"] == val) or
            (lvl == "neighbourhood" and t["nb"] == val) or (lvl == "region" and t["rg"] == val))

def options(turfs, ts, v):
    """Each turf shift v can take, with the least (rank - 1) * 501 + travel."""
    best = {}
    for p, rk in v["prefs"]:
        rc = (rk - 1 if rk else 0) * RANK
        wide = not p.startswith("turf:")
        for sid, s in ts.items():
            t = turfs[s["turf"]]
            if not in_scope(p, t):
                continue
            ways = []
            if ("s", sid) in v["av"]:
                ways.append(rc + travel(v["home"], t))
            if s["h"] and any(a[0] == "w" and a[1] <= s["h"][0] and s["h"][1] <= a[2] for a in v["av"]):
                ways.append(rc + travel(zone(v["home"]) if wide else v["home"], t))
            for c in ways:
                if sid not in best or c < best[sid]:
                    best[sid] = c
    return best

def room(s, nv):
    return nv if s["cap"] is None else max(0, s["cap"] - s["taken"])

def worth(t, ts, k):
    return t["pr"] * SCALE // (sum(ts[x]["taken"] for x in t["shifts"]) + k)

def solve(d):
    import networkx as nx
    turfs, ts, vols = load(d)
    opts = {k: options(turfs, ts, v) for k, v in vols.items()}
    M = 1 + sum(max(o.values()) + TMAX for o in opts.values() if o)   # any bound above the tie-break's range
    pool = sum(1 for o in opts.values() if o)
    G = nx.DiGraph()
    G.add_node("S", demand=-pool)
    G.add_node("Z", demand=pool)
    G.add_edge("S", "Z", capacity=pool, weight=0)
    for k, o in opts.items():
        if o:
            G.add_edge("S", "v" + k, capacity=1, weight=0)
            for sid, c in o.items():
                G.add_edge("v" + k, "s" + sid, capacity=1, weight=c)
    for sid, s in ts.items():
        G.add_edge("s" + sid, "t" + s["turf"], capacity=room(s, len(vols)), weight=0)
    for key, t in turfs.items():
        for k in range(1, len(vols) + 1):
            G.add_edge("t" + key, ("k", key, k), capacity=1, weight=-worth(t, ts, k) * M)
            G.add_edge(("k", key, k), "Z", capacity=1, weight=0)
    cost = nx.min_cost_flow_cost(G)
    P = (-cost + M - 1) // M
    return P, cost + P * M, M, turfs, ts, vols, opts

def check(d, stout, sterr):
    P, S, M, turfs, ts, vols, opts = solve(d)
    got = list(csv.DictReader(open(stout)))
    used, count, Sst = {}, {}, 0
    problems = []
    if sorted(r["volunteer"] for r in got) != sorted(vols):
        problems.append("not one row per volunteer")
    for r in got:
        if r["status"] == "assigned":
            o = opts.get(r["volunteer"], {})
            if r["shift"] not in o:
                problems.append("%s may not take %s" % (r["volunteer"], r["shift"]))
                continue
            Sst += o[r["shift"]]
            used[r["shift"]] = used.get(r["shift"], 0) + 1
            count[ts[r["shift"]]["turf"]] = count.get(ts[r["shift"]]["turf"], 0) + 1
        elif opts.get(r["volunteer"]) and not r["reason"]:
            problems.append("%s unassigned without a reason" % r["volunteer"])
    for sid, n in used.items():
        if n > room(ts[sid], len(vols)):
            problems.append("shift %s over capacity" % sid)
    Pst = sum(worth(turfs[k], ts, i) for k, n in count.items() for i in range(1, n + 1))
    if (Pst, Sst) != (P, S):
        problems.append("objective (%d, %d), optimum (%d, %d)" % (Pst, Sst, P, S))
    line = open(sterr).read()
    if "coverage %d, rank and travel %d;" % (P, S) not in line:
        problems.append("st-allocate -v says: " + line.strip())
    return problems, P, S, M, turfs, ts, opts

def mathprog(d, out):
    """The same model for GLPK, with the objective printed as an integer."""
    P, S, M, turfs, ts, vols, opts = solve(d)
    arcs = []
    for k, o in opts.items():
        for sid, c in o.items():
            arcs.append(("v" + k, sid, c))
    with open(out, "w") as f:
        f.write("set A dimen 2; param c{A}; set V; set T; set K dimen 2; param w{K};\n")
        f.write("set TS; param room{TS}; param turf{TS} symbolic;\n")
        f.write("var x{A} >= 0, <= 1; var y{TS} >= 0; var z{K} >= 0, <= 1;\n")
        f.write("minimize obj: sum{(v, s) in A} c[v, s] * x[v, s] - sum{(t, k) in K} %d * w[t, k] * z[t, k];\n" % M)
        f.write("s.t. one{v in V}: sum{(v, s) in A} x[v, s] <= 1;\n")
        f.write("s.t. into{s in TS}: sum{(v, s) in A} x[v, s] = y[s];\n")
        f.write("s.t. cap{s in TS}: y[s] <= room[s];\n")
        f.write("s.t. turfs{t in T}: sum{s in TS: turf[s] = t} y[s] = sum{(t, k) in K} z[t, k];\n")
        f.write('solve;\nprintf "%.0f\\n", sum{(v, s) in A} c[v, s] * x[v, s] - sum{(t, k) in K} ' + str(M) + ' * w[t, k] * z[t, k];\ndata;\n')
        f.write("set V := %s;\n" % " ".join('"%s"' % ("v" + k) for k in vols))
        f.write("set T := %s;\n" % " ".join('"%s"' % k for k in turfs))
        f.write("param : A : c := %s;\n" % " ".join('"%s" "%s" %d' % a for a in arcs))
        f.write("param : TS : room turf := %s;\n" % " ".join('"%s" %d "%s"' % (s, room(x, len(vols)), x["turf"]) for s, x in ts.items()))
        f.write("param : K : w := %s;\n" % " ".join('"%s" %d %d' % (k, i, worth(t, ts, i)) for k, t in turfs.items() for i in range(1, len(vols) + 1)))
        f.write("end;\n")
    return -P * M + S

if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "check":
        problems, P, S = check(sys.argv[2], sys.argv[3], sys.argv[4])[:3]
        for p in problems:
            print(p)
        print("optimum", P, S, file=sys.stderr)
        sys.exit(1 if problems else 0)
    elif sys.argv[1] == "mathprog":
        print(mathprog(sys.argv[2], sys.argv[3]))
EOT

if $PY -c 'import networkx' 2>/dev/null; then
	test_expect_success 'random instances: the optimum networkx finds for the model, and nothing infeasible' '
		i=0 && fails=0 && nonzero=0 &&
		while [ $i -lt 40 ]; do
			mkdir -p r$i && $PY model.py gen $i r$i &&
			st-allocate --turfs r$i/t.csv --volunteers r$i/v.csv -v >r$i/out.csv 2>r$i/err &&
			if ! $PY model.py check r$i r$i/out.csv r$i/err >r$i/problems 2>r$i/opt; then
				echo "instance $i:" && cat r$i/problems && fails=$((fails + 1))
			fi &&
			grep -q "optimum [1-9]" r$i/opt && nonzero=$((nonzero + 1))
			i=$((i + 1))
		done &&
		echo "$nonzero instances with some coverage" &&
		[ "$fails" -eq 0 ] && [ "$nonzero" -ge 20 ]
	'
	test_expect_success 'the check fails a worse allocation (a volunteer dropped)' '
		i=0 && while ! grep -q ",assigned," r$i/out.csv; do i=$((i + 1)); done &&
		awk -F, -v OFS=, "!done && \$3 == \"assigned\" { \$3 = \"unassigned\"; done = 1 } 1" \
			r$i/out.csv >worse.csv &&
		test_must_fail $PY model.py check r$i worse.csv r$i/err >problems 2>/dev/null &&
		test_grep objective problems
	'
else
	test_skip 'random instances against networkx' 'python3-networkx is not installed'
	test_skip 'the check fails a worse allocation' 'python3-networkx is not installed'
fi

if command -v glpsol >/dev/null 2>&1 && $PY -c 'import networkx' 2>/dev/null; then
	test_expect_success 'random instances: the same optimum as GLPK on the LP' '
		i=0 && while [ $i -lt 12 ]; do
			want=$($PY model.py mathprog r$i r$i/model.mod) || exit 1
			glpsol --math r$i/model.mod >r$i/glpk.out 2>&1 || { cat r$i/glpk.out; exit 1; }
			got=$(grep -E "^-?[0-9]+$" r$i/glpk.out | tail -1)
			[ "$got" = "$want" ] || { echo "instance $i: GLPK $got, networkx $want"; exit 1; }
			i=$((i + 1))
		done
	'
else
	test_skip 'random instances against GLPK' 'glpk-utils or python3-networkx is not installed'
fi

# The database: turfs and volunteers stored the way an importer stores them.
test_expect_success 'set up contacts, shifts, turfs and volunteers in the database' '
	cat >people.csv <<-\EOT &&
	first_name,last_name,email,zip
	Ana,Reyes,ana@example.org,11211
	Bo,Li,bo@example.org,11206
	Cy,Ott,cy@example.org,
	Di,Pe,di@example.org,
	Ed,Uh,ed@example.org,
	EOT
	st-import people.csv >/dev/null &&
	st-event create --title "Bushwick canvass" --tz America/New_York >/dev/null &&
	st-event create --title "Astoria canvass" --tz America/New_York >/dev/null &&
	st-event add-shift 1 --start "2037-05-02 10:00" --end "2037-05-02 13:00" --capacity 2 >/dev/null &&
	st-event add-shift 2 --start "2037-05-02 10:00" --end "2037-05-02 13:00" --capacity 5 >/dev/null &&
	st-event add-shift 1 --start "2020-05-02 10:00" --end "2020-05-02 13:00" >/dev/null &&
	cat >dbturfs.csv <<-\EOT &&
	turf,name,neighbourhood,region,priority,lat,lon,shift,capacity
	BK1,Bushwick,Bushwick,Brooklyn,2,40.70,-73.92,1,3
	QN1,Astoria,Astoria,Queens,1,40.77,-73.92,2,1
	BK1,,,,,,,3,
	EOT
	st-import --kind turfs dbturfs.csv >/dev/null &&
	cat >dbvols.csv <<-\EOT &&
	volunteer,pref,rank,available,lat,lon
	ana@example.org,region:Brooklyn,1,2037-05-02T00:00Z/2037-05-03T00:00Z,40.71,-73.95
	bo@example.org,anywhere,,"1,2",,
	cy@example.org,turf:QN1,1,2,,
	cy@example.org,turf:BK1,2,,,
	di@example.org,turf:BK1,,1,,
	EOT
	st-import --kind volunteers dbvols.csv >/dev/null &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM volunteer_prefs")" = 5 ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM volunteer_availability")" = 5 ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT group_concat(key || priority) FROM turfs")" = "BK12,QN11" ] &&
	printf "volunteer,pref,rank\nana@example.org,region:Brooklyn,3\n" >again.csv &&
	st-import --kind volunteers again.csv >/dev/null &&
	[ "$(sqlite3 "$ST_DB" "SELECT rank FROM volunteer_prefs WHERE contact_id = 1")" = 3 ] &&
	printf "turf,shift\nX,99\n" >noshift.csv &&
	st-import --kind turfs -r rej.csv noshift.csv >out && test_grep "rejected 1" out &&
	test_grep "^2,no shift 99," rej.csv &&
	printf "volunteer,pref\nnobody@example.org,anywhere\n" >nobody.csv &&
	st-import --kind volunteers -r rej.csv nobody.csv >out && test_grep "rejected 1" out &&
	test_grep "^2,no contact with e-mail nobody@example.org," rej.csv
'

# Shift 1 (BK1) has two places (the shift's capacity, under the turf's 3),
# shift 2 (QN1) one, shift 3 is past. Ana ranks Brooklyn third: Bo (anywhere)
# takes her place, and Cy gets QN1.
test_expect_success 'from the database: shift capacity counts, past shifts do not' '
	st-allocate -v >got 2>err &&
	cut -d, -f1-5,11 got >cut &&
	cat >expect <<-\EOT &&
	volunteer,name,status,shift,turf,reason
	1,Ana Reyes,unassigned,,,preferred shifts full
	2,Bo Li,assigned,1,BK1,
	3,Cy Ott,assigned,2,QN1,
	4,Di Pe,assigned,1,BK1,
	EOT
	test_cmp expect cut &&
	test_grep "4 volunteers: 3 assigned, 0 kept, 1 unassigned" err &&
	st-allocate --explain ana@example.org -H >got &&
	test_grep "^1,1,BK1,region:Brooklyn,3,.*,0,full$" got
'

test_expect_success '--commit makes RSVPs (source allocator) within capacity' '
	st-event rsvp 2 5 >/dev/null &&
	st-allocate --commit >got &&
	sqlite3 "$ST_DB" "SELECT shift_id, contact_id, status, source FROM rsvps ORDER BY id" >rsvps &&
	cat >expect <<-\EOT &&
	2|5|yes|cli
	1|2|yes|allocator
	1|4|yes|allocator
	EOT
	test_cmp expect rsvps &&
	test_grep "^1,Ana Reyes,unassigned" got && test_grep "^3,Cy Ott,unassigned" got
'

test_expect_success 'a re-run keeps the committed assignments and places only newcomers' '
	printf "volunteer,pref,available\ned@example.org,anywhere,\"1,2\"\n" >ed.csv &&
	st-import --kind volunteers ed.csv >/dev/null &&
	sqlite3 "$ST_DB" "UPDATE shifts SET capacity = 3 WHERE id = 1" &&
	st-allocate --commit -H | cut -d, -f1,3,4 >got &&
	cat >expect <<-\EOT &&
	1,assigned,1
	2,kept,1
	3,unassigned,
	4,kept,1
	5,kept,2
	EOT
	test_cmp expect got &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM rsvps WHERE status = \"yes\"")" = 4 ]
'

test_expect_success '--rebalance reconsiders the allocator'"'"'s RSVPs, never over capacity' '
	sqlite3 "$ST_DB" "UPDATE turfs SET priority = 1 WHERE key = \"BK1\"; UPDATE turfs SET priority = 50 WHERE key = \"QN1\"; UPDATE turf_shifts SET capacity = 3 WHERE shift_id = 2" &&
	st-allocate --commit --rebalance -H | cut -d, -f1,3,4 >got &&
	cat >expect <<-\EOT &&
	1,assigned,1
	2,assigned,2
	3,assigned,2
	4,assigned,1
	5,kept,2
	EOT
	test_cmp expect got &&
	sqlite3 "$ST_DB" "SELECT shift_id, count(*) FROM rsvps WHERE status = \"yes\" GROUP BY shift_id" >got &&
	printf "1|2\n2|3\n" >expect && test_cmp expect got &&
	st-allocate --commit --rebalance -H | cut -d, -f3 | sort | uniq -c | tr -s " " >got &&
	printf " 4 assigned\n 1 kept\n" >expect && test_cmp expect got &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM rsvps WHERE status = \"yes\"")" = 5 ]
'

test_expect_success 'files with --commit name contacts and shift ids in the database' '
	printf "turf,shift,capacity\nQN1,2,\n" >ft.csv &&
	printf "volunteer,pref,available\nana@example.org,turf:QN1,2\nzed,turf:QN1,2\n" >fv.csv &&
	test_exit 3 st-allocate --turfs ft.csv --volunteers fv.csv --commit 2>err &&
	test_one_line err && test_grep "zed.* is not a contact" err &&
	printf "turf,shift,capacity\nQN1,77,\n" >ft.csv &&
	test_exit 3 st-allocate --turfs ft.csv --volunteers vols.csv --commit 2>err &&
	test_grep "no shift 77" err
'

test_expect_success 'no turfs in the database is an error' '
	test_exit 3 st-allocate --db empty.db 2>err && test_one_line err &&
	test_grep "no turfs in the database" err
'

test_done
