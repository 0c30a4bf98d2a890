"""Make the inputs of bench/allocate: turfs.csv and volunteers.csv.

usage: gen-allocate.py VOLUNTEERS TURFS DIR

TURFS turfs in 5 boroughs (neighbourhoods of 10 turfs), 3 shifts each (two on
Saturday, one on Sunday) with 5 to 30 places, priorities 1 to 10; VOLUNTEERS
volunteers, each living in a borough, available for one to three of the slots
(as time windows), a third of them "anywhere in my borough", the others 1 to
20 ranked turf and neighbourhood preferences near home. Deterministic."""
import random
import sys

nv, nt, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(7)
boroughs = ["Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island"]
centre = [(40.78, -73.97), (40.65, -73.95), (40.72, -73.80), (40.85, -73.87), (40.58, -74.15)]
slots = [("2037-05-02T13:00Z", "2037-05-02T16:00Z"), ("2037-05-02T17:00Z", "2037-05-02T20:00Z"),
         ("2037-05-03T14:00Z", "2037-05-03T17:00Z")]
windows = ["2037-05-02T12:00Z/2037-05-02T16:30Z", "2037-05-02T16:30Z/2037-05-02T21:00Z",
           "2037-05-03T12:00Z/2037-05-03T18:00Z"]
turfs = []
with open(out + "/turfs.csv", "w") as f:
    f.write("turf,name,neighbourhood,region,priority,lat,lon,shift,starts,ends,capacity\n")
    for t in range(nt):
        b = t % 5
        nb = "%s-%d" % (boroughs[b][:3], t // 50)
        lat = centre[b][0] + rnd.uniform(-0.06, 0.06)
        lon = centre[b][1] + rnd.uniform(-0.08, 0.08)
        key = "T%04d" % t
        turfs.append((key, b, nb, lat, lon))
        pr = rnd.randint(1, 10)
        for s, (st, en) in enumerate(slots):
            f.write("%s,Turf %d,%s,%s,%d,%.5f,%.5f,%s-%d,%s,%s,%d\n" % (
                key, t, nb, boroughs[b], pr, lat, lon, key, s, st, en, rnd.randint(5, 30)))
by_borough = [[t for t in turfs if t[1] == b] for b in range(5)]
with open(out + "/volunteers.csv", "w") as f:
    f.write("volunteer,pref,rank,available,lat,lon\n")
    for v in range(nv):
        b = rnd.randrange(5)
        lat = centre[b][0] + rnd.uniform(-0.07, 0.07)
        lon = centre[b][1] + rnd.uniform(-0.09, 0.09)
        av = ",".join(w for w in windows if rnd.random() < 0.6) or windows[rnd.randrange(3)]
        key = "v%06d" % v
        if v % 3 == 0:
            f.write('%s,region:%s,,"%s",%.5f,%.5f\n' % (key, boroughs[b], av, lat, lon))
            continue
        near = sorted(by_borough[b], key=lambda t: (t[3] - lat) ** 2 + (t[4] - lon) ** 2)[:40]
        k = rnd.randint(1, 20)
        picks = rnd.sample(near, k)
        first = True
        for r, t in enumerate(picks, 1):
            pref = "turf:" + t[0] if rnd.random() < 0.85 else "neighbourhood:" + t[2]
            if first:
                f.write('%s,%s,%d,"%s",%.5f,%.5f\n' % (key, pref, r, av, lat, lon))
                first = False
            else:
                f.write("%s,%s,%d,,,\n" % (key, pref, r))
