#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st/config.h"
#include "st/error.h"
#include "st/exit.h"
#include "st/util.h"

int
st_config_read(const char *path, int must_exist, char **(*slot)(void *arg, const char *key),
    void *arg, struct st_error *err)
{
	struct stat sb;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return st_error_set(err, ST_EXIT_FAIL, "cannot open '%s': %s", path, strerror(errno));
	}
	/* It holds secrets: only its owner may read it. */
	if (fstat(fileno(fp), &sb) < 0 || sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		fclose(fp);
		return st_error_set(err, ST_EXIT_FAIL, "config file '%s' must belong to you and be "
		    "readable by nobody else (chmod 600)", path);
	}
	while (rc == 0 && getline(&line, &cap, fp) > 0) {
		char *k = line, *eq, *v, *end, **where;

		lineno++;
		while (isspace((unsigned char)*k))
			k++;
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			rc = st_error_set(err, ST_EXIT_DATA, "%s:%ld: not 'key = value'", path, lineno);
			break;
		}
		for (end = eq; end > k && isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		for (v = eq + 1; isspace((unsigned char)*v); v++)
			;
		for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		if ((where = slot(arg, k)) == NULL) {
			rc = st_error_set(err, ST_EXIT_DATA, "%s:%ld: unknown setting '%s'", path, lineno,
			    k);
			break;
		}
		free(*where);
		*where = st_xstrdup(v);
	}
	free(line);
	fclose(fp);
	return rc;
}

char *
st_config_path(const char *envvar, const char *name, int *named)
{
	const char *env = getenv(envvar), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct st_buf p = { 0 };

	if (named)
		*named = env && *env;
	if (env && *env)
		return st_xstrdup(env);
	if (xdg && *xdg == '/')
		st_buf_printf(&p, "%s/st/%s", xdg, name);
	else if (home && *home)
		st_buf_printf(&p, "%s/.config/st/%s", home, name);
	return p.s;
}

void
st_config_env(const char *const env[][2], char **(*slot)(void *arg, const char *key), void *arg)
{
	const char *v;
	char **where;
	size_t i;

	for (i = 0; env[i][0]; i++) {
		if ((v = getenv(env[i][0])) == NULL || *v == '\0' || (where = slot(arg, env[i][1])) ==
		    NULL)
			continue;
		free(*where);
		*where = st_xstrdup(v);
	}
}
