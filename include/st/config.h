/* Settings files: "key = value" lines, kept where only their owner can read
 * them, since they hold secrets (an auth token, an SMTP password). */
#ifndef ST_CONFIG_H
#define ST_CONFIG_H

struct st_error;

/* Read the settings file at path: blank lines and lines starting with '#'
 * are skipped, others are "key = value" (blanks around both trimmed). For
 * each, slot(arg, key) gives where the value goes (NULL: the key is unknown,
 * an error naming the line); a value there is freed and replaced by a copy.
 * A file that does not exist is no error unless must_exist; one that another
 * user owns or that group or others may read or write is refused. */
int st_config_read(const char *path, int must_exist, char **(*slot)(void *arg, const char *key),
    void *arg, struct st_error *err);

#endif
