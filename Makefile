# st — an organizing CRM for the shell. GNU make.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/st
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions

CC ?= cc
CFLAGS ?= -g -O2
PKG_CONFIG ?= pkg-config
PKGS = sqlite3 libcurl jansson readline libcrypto
CSV_LIBS ?= -lcsv
WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
       -Wwrite-strings
ifdef SANITIZE
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) $(SANFLAGS) \
             $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CFLAGS)
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) $(CSV_LIBS) -lm -pthread
ALL_LDFLAGS = -Wl,--as-needed $(SANFLAGS) $(LDFLAGS)

# A sanitized build lives apart so it never mixes with a plain one.
B = build$(if $(SANITIZE),-san)
BIN = bin$(if $(SANITIZE),-san)

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:lib/%.c=$(B)/lib/%.o) $(B)/lib/schema.o $(B)/lib/templates.o
CLI_OBJ = $(B)/cmd/cli.o
CMDS = st st-import st-query st-event st-refmap st-allocate st-text st-remind
PROGS = $(CMDS:%=$(BIN)/%)
UNIT_SRC = $(wildcard tests/unit/*.c)
UNITS = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOLS = $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
MIGRATIONS = $(sort $(wildcard share/sql/*.sql))
TEMPLATES = $(sort $(wildcard share/templates/*/*))

all: $(PROGS)

$(B)/lib $(B)/cmd $(B)/tests $(B)/tools $(BIN):
	mkdir -p $@

$(B)/lib/%.o: lib/%.c $(wildcard include/st/*.h lib/*.h) | $(B)/lib
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The migrations, compiled in so an installed st needs no data files to open a database.
$(B)/lib/schema.c: $(MIGRATIONS) | $(B)/lib
	{ echo '/* generated from share/sql by make */'; \
	  echo 'const char *const st_migrations[] = {'; \
	  for f in $(MIGRATIONS); do \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; echo ','; \
	  done; \
	  echo '};'; \
	  echo 'const int st_nmigrations = sizeof(st_migrations) / sizeof(st_migrations[0]);'; \
	} > $@

$(B)/lib/schema.o: $(B)/lib/schema.c
	$(CC) $(ALL_CFLAGS) -Wno-missing-variable-declarations -c -o $@ $<

# The message templates, compiled in likewise (an organization overrides them in a directory).
$(B)/lib/templates.c: $(TEMPLATES) | $(B)/lib
	{ echo '/* generated from share/templates by make */'; \
	  echo 'const char *const st_templates[][2] = {'; \
	  for f in $(TEMPLATES); do \
	    echo "{ \"$${f#share/templates/}\","; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; echo '},'; \
	  done; \
	  echo '};'; \
	  echo 'const int st_ntemplates = sizeof(st_templates) / sizeof(st_templates[0]);'; \
	} > $@

$(B)/lib/templates.o: $(B)/lib/templates.c
	$(CC) $(ALL_CFLAGS) -Wno-missing-variable-declarations -c -o $@ $<

$(B)/libst.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/cmd/%.o: cmd/%.c cmd/cli.h $(wildcard include/st/*.h) | $(B)/cmd
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BIN)/%: $(B)/cmd/%.o $(CLI_OBJ) $(B)/libst.a | $(BIN)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CLI_OBJ) $(B)/libst.a $(LIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $(B)/libst.a | $(B)/tests
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libst.a $(LIBS) $(ALL_LDFLAGS)

# Small programs the tests use to reach the library directly.
$(B)/tools/%: tests/tools/%.c $(B)/libst.a | $(B)/tools
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libst.a $(LIBS) $(ALL_LDFLAGS)

# The test suite: shell tests and C unit tests, run by prove; the last line
# is "N passed, N failed".
check: all $(UNITS) $(TOOLS)
	@ST_BUILD=$(B) ST_BIN=$(BIN) sh tests/run

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(DATADIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	for p in $(CMDS); do install -m 755 $(BIN)/$$p $(DESTDIR)$(BINDIR)/$$p; done
	install -m 644 share/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 share/man/*.7 $(DESTDIR)$(MANDIR)/man7/
	cp -R share/demo share/sql share/templates $(DESTDIR)$(DATADIR)/
	install -m 644 completions/st.bash $(DESTDIR)$(BASHCOMPDIR)/st
	for p in $(CMDS); do [ $$p = st ] || ln -sf st $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	install -m 644 completions/_st $(DESTDIR)$(ZSHCOMPDIR)/_st

uninstall:
	for p in $(CMDS); do rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	rm -f $(DESTDIR)$(MANDIR)/man1/st-*.1 $(DESTDIR)$(MANDIR)/man7/st.7
	rm -f $(DESTDIR)$(BASHCOMPDIR)/st $(DESTDIR)$(ZSHCOMPDIR)/_st
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san $(BIN)

.PHONY: all check install uninstall clean
.SECONDARY:
