-- Turfs and where volunteers can go: what st-allocate reads.

CREATE TABLE turfs (
	id INTEGER PRIMARY KEY,
	key TEXT NOT NULL UNIQUE,               -- the turf's id as the campaign names it, e.g. "BK-12"
	name TEXT,
	neighbourhood TEXT,
	region TEXT,                            -- borough or region
	priority INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 1000),
	latitude REAL CHECK (latitude IS NULL OR latitude BETWEEN -90 AND 90),
	longitude REAL CHECK (longitude IS NULL OR longitude BETWEEN -180 AND 180),
	zip TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX turfs_neighbourhood ON turfs(neighbourhood);
CREATE INDEX turfs_region ON turfs(region);

-- A shift worked on a turf: each shift belongs to at most one turf, so an RSVP to
-- it says where the volunteer goes. capacity caps the places (besides the shift's
-- own capacity); need is how many the turf wants (default: its capacity).
CREATE TABLE turf_shifts (
	shift_id INTEGER PRIMARY KEY REFERENCES shifts(id) ON DELETE CASCADE,
	turf_id INTEGER NOT NULL REFERENCES turfs(id) ON DELETE CASCADE,
	capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
	need INTEGER CHECK (need IS NULL OR need >= 0)
);
CREATE INDEX turf_shifts_turf ON turf_shifts(turf_id);

-- A volunteer's home, for travel (contacts.zip serves when there are no coordinates).
CREATE TABLE volunteers (
	contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
	latitude REAL CHECK (latitude IS NULL OR latitude BETWEEN -90 AND 90),
	longitude REAL CHECK (longitude IS NULL OR longitude BETWEEN -180 AND 180),
	updated_at TEXT NOT NULL
);

-- When a volunteer can go: a shift, or a time window (UTC) holding whole shifts.
CREATE TABLE volunteer_availability (
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	shift_id INTEGER REFERENCES shifts(id) ON DELETE CASCADE,
	starts_at TEXT,
	ends_at TEXT,
	CHECK ((shift_id IS NULL) = (starts_at IS NOT NULL) AND (starts_at IS NULL) = (ends_at IS NULL)),
	CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE UNIQUE INDEX volunteer_availability_key ON volunteer_availability(contact_id,
	coalesce(shift_id, 0), coalesce(starts_at, ''), coalesce(ends_at, ''));

-- Where a volunteer will go: a turf (its key), a neighbourhood, a region, or
-- anywhere (value NULL); rank 1 is the first choice, NULL unranked.
CREATE TABLE volunteer_prefs (
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	level TEXT NOT NULL CHECK (level IN ('turf', 'neighbourhood', 'region', 'anywhere')),
	value TEXT CHECK ((level = 'anywhere') = (value IS NULL)),
	rank INTEGER CHECK (rank IS NULL OR rank BETWEEN 1 AND 100)
);
CREATE UNIQUE INDEX volunteer_prefs_key ON volunteer_prefs(contact_id, level, coalesce(value, ''));
