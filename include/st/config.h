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

/* Settings from the environment: for each { VARIABLE, key } of env (ending
 * with { NULL, NULL }), a variable that is set and not empty replaces the
 * setting slot(arg, key) names. */
void st_config_env(const char *const env[][2], char **(*slot)(void *arg, const char *key),
    void *arg);

/* Where st's file name lives: $envvar when it is set, else
 * $XDG_CONFIG_HOME/st/NAME (when that is an absolute path), else
 * $HOME/.config/st/NAME; NULL when none can be made. *named (may be NULL)
 * is set when envvar named it, so it must exist. Free the result. */
char *st_config_path(const char *envvar, const char *name, int *named);

#endif
