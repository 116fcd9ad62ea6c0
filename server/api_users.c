/*
 * api_users — the console's accounts, for admins (docs/api.md "Users"): list, add, disable,
 * enable and set a password. The rules of names and passwords are auth.h's (as for `delphi
 * user`); hashing a password (PBKDF2, ~0.4 s) runs on a worker thread, the change on the writer.
 * Disabling a user and changing a password end the user's sessions in the same transaction
 * (db_users.h), so they stop working at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_console.h"
#include "auth.h"
#include "log.h"
#include "writer.h"

static json_t *user_json(const struct db_user *u)
{
	return json_pack("{s:s, s:s, s:b, s:s}", "name", u->name, "role", db_role_name(u->role),
			 "disabled", u->disabled, "created_at", u->created_at);
}

/* ---- GET /api/v1/users ---------------------------------------------------------------------- */

static int list_cb(const struct db_user_info *u, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:b, s:s}", "name", u->name,
						    "role", u->role, "disabled", u->disabled,
						    "created_at", u->created_at))
		       ? 1
		       : 0;
}

void api_users_list(struct req *r)
{
	struct db *db = api_db(r);
	json_t *list = json_array();
	int rc = list ? db_user_list(db, list_cb, list) : 1;
	if (rc < 0)
		api_fail_db(r, db, "cannot list the users");
	else if (rc)
		req_reply_error(r, 500, "internal", NULL, "out of memory");
	else
		req_reply_json(r, 200, json_pack("{s:O}", "users", list));
	json_decref(list);
}

/* ---- Jobs ----------------------------------------------------------------------------------- */

enum user_op { OP_ADD, OP_DISABLE, OP_ENABLE, OP_PASSWORD };

struct user_job {
	enum user_op op;
	char actor[API_CONSOLE_ACTOR_MAX];
	char name[DB_USER_NAME_MAX + 1];
	enum db_role role;        /* add */
	char *password;           /* add, password: zeroed and freed once hashed */
	size_t password_len;
	char *hash;               /* add, password: the stored form */
	int outcome;              /* enum db_user_outcome */
	int64_t ended;
	struct db_user user;      /* after the change */
};

static void user_job_free(struct user_job *j)
{
	if (!j)
		return;
	if (j->password) {
		explicit_bzero(j->password, j->password_len);
		free(j->password);
	}
	free(j->hash);
	free(j);
}

static int user_run(struct db *db, void *arg, char *err, size_t errlen)
{
	struct user_job *j = arg;
	char detail[200];
	const char *action = "";
	bool changed = true;
	switch (j->op) {
	case OP_ADD:
		j->outcome = db_user_add(db, j->name, j->role, j->hash, NULL);
		action = "user.add";
		break;
	case OP_DISABLE:
	case OP_ENABLE:
		j->outcome = db_user_set_disabled(db, j->name, j->op == OP_DISABLE, &changed,
						  &j->ended);
		action = j->op == OP_DISABLE ? "user.disable" : "user.enable";
		break;
	case OP_PASSWORD:
		j->outcome = db_user_set_password(db, j->name, j->hash, &j->ended);
		action = "user.password";
		break;
	}
	if (j->outcome < 0)
		goto fail;
	if (j->outcome != DB_USER_DONE)
		return 0;
	if (j->op == OP_ADD)
		snprintf(detail, sizeof detail, "name=%s role=%s", j->name, db_role_name(j->role));
	else
		snprintf(detail, sizeof detail, "name=%s sessions_ended=%lld%s", j->name,
			 (long long)j->ended, changed ? "" : " unchanged=1");
	if (db_audit(db, j->actor, action, detail) || db_user_get(db, j->name, &j->user) != DB_FOUND)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", db_error(db));
	return -1;
}

static void user_reply(struct req *r, void *arg, int rc, const char *err)
{
	struct user_job *j = arg;
	if (rc < 0)
		api_fail_write(r, rc, err);
	else if (j->outcome == DB_USER_EXISTS)
		req_reply_error(r, 409, "user_exists", "name", "there is a user \"%s\" already",
				j->name);
	else if (j->outcome == DB_USER_UNKNOWN)
		req_reply_error(r, 404, "unknown_user", NULL, "there is no user \"%s\"", j->name);
	else if (j->op == OP_ADD)
		req_reply_json(r, 201, json_pack("{s:o?}", "user", user_json(&j->user)));
	else
		req_reply_json(r, 200, json_pack("{s:o?, s:I}", "user", user_json(&j->user),
						 "sessions_ended", (json_int_t)j->ended));
	user_job_free(j);
}

/* On a worker. */
static void hash_password(void *arg)
{
	struct user_job *j = arg;
	j->hash = auth_password_hash(j->password, CRYPTO_PBKDF2_ITERATIONS);
	explicit_bzero(j->password, j->password_len);
}

static void hashed(struct req *r, void *arg, bool ran)
{
	struct user_job *j = arg;
	if (!ran) {
		api_console_busy(r);
		user_job_free(j);
	} else if (!j->hash) {
		req_reply_error(r, 500, "internal", NULL, "cannot hash the password");
		user_job_free(j);
	} else {
		api_console_write(r, user_run, user_reply, j);
	}
}

/* Copies the "password" member into j after checking it; 0, or -1 after replying 422. */
static int take_password(struct req *r, json_t *body, struct user_job *j)
{
	json_t *pw = json_object_get(body, "password");
	if (!json_is_string(pw)) {
		req_reply_error(r, 422, "invalid_request", "password",
				"expected \"password\": a string");
		return -1;
	}
	int problem = auth_password_check(json_string_value(pw), json_string_length(pw));
	if (problem != AUTH_PASSWORD_OK) {
		req_reply_error(r, 422, "invalid_request", "password", "the password %s",
				auth_password_problem_text(problem));
		return -1;
	}
	j->password_len = json_string_length(pw);
	if (!(j->password = malloc(j->password_len + 1))) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return -1;
	}
	memcpy(j->password, json_string_value(pw), j->password_len + 1);
	return 0;
}

static void wipe_password(json_t *body)
{
	json_t *pw = json_object_get(body, "password");
	if (json_is_string(pw))
		explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
	json_decref(body);
}

/* A job for the request's user with op; the {name} parameter copied unless from_body. */
static struct user_job *job_new(struct req *r, enum user_op op, bool from_param)
{
	struct user_job *j = calloc(1, sizeof *j);
	if (!j) {
		req_reply_error(r, 500, "internal", NULL, "out of memory");
		return NULL;
	}
	j->op = op;
	if (api_console_actor(r, j->actor)) {
		free(j);
		return NULL;
	}
	if (from_param) {
		const char *name = req_param(r, "name");
		if (!name || !auth_user_name_valid(name)) {
			req_reply_error(r, 404, "unknown_user", NULL, "there is no user \"%.64s\"",
					name ? name : "");
			free(j);
			return NULL;
		}
		snprintf(j->name, sizeof j->name, "%s", name);
	}
	return j;
}

/* ---- POST /api/v1/users --------------------------------------------------------------------- */

void api_users_add(struct req *r)
{
	json_t *body = NULL;
	struct user_job *j = NULL;
	if (req_json_body(r, &body))
		return;
	if (!json_is_object(body)) {
		req_reply_error(r, 400, "bad_json", NULL,
				"expected {\"name\": ..., \"role\": ..., \"password\": ...}");
		goto out;
	}
	json_t *name = json_object_get(body, "name"), *role = json_object_get(body, "role");
	if (!json_is_string(name) || !auth_user_name_valid(json_string_value(name))) {
		req_reply_error(r, 422, "invalid_request", "name",
				"a user name is 1 to %d of a-z, 0-9, '.', '_', '-', '@', starting "
				"with a letter or a digit", DB_USER_NAME_MAX);
		goto out;
	}
	int rl = json_is_string(role) ? db_role_parse(json_string_value(role)) : -1;
	if (rl < 0) {
		req_reply_error(r, 422, "invalid_request", "role",
				"role must be admin, coordinator or planner");
		goto out;
	}
	if (!(j = job_new(r, OP_ADD, false)))
		goto out;
	snprintf(j->name, sizeof j->name, "%s", json_string_value(name));
	j->role = (enum db_role)rl;
	if (take_password(r, body, j))
		goto out;
	api_console_offload(r, api_of(r)->console->work, hash_password, hashed, j);
	j = NULL;
out:
	user_job_free(j);
	wipe_password(body);
}

/* ---- POST /api/v1/users/{name}/disable | enable | password ---------------------------------- */

static void set_disabled(struct req *r, bool disabled)
{
	json_t *body = NULL;
	struct user_job *j;
	if (api_console_body(r, &body))
		return;
	json_decref(body); /* nothing is read from it */
	if (!(j = job_new(r, disabled ? OP_DISABLE : OP_ENABLE, true)))
		return;
	if (disabled && !strcmp(j->actor + 5, j->name)) {
		req_reply_error(r, 409, "self", NULL, "you cannot disable your own account");
		user_job_free(j);
		return;
	}
	api_console_write(r, user_run, user_reply, j);
}

void api_users_disable(struct req *r)
{
	set_disabled(r, true);
}

void api_users_enable(struct req *r)
{
	set_disabled(r, false);
}

void api_users_password(struct req *r)
{
	json_t *body = NULL;
	struct user_job *j = NULL;
	if (req_json_body(r, &body))
		return;
	if (!json_is_object(body)) {
		req_reply_error(r, 400, "bad_json", NULL, "expected {\"password\": ...}");
		goto out;
	}
	if (!(j = job_new(r, OP_PASSWORD, true)) || take_password(r, body, j))
		goto out;
	api_console_offload(r, api_of(r)->console->work, hash_password, hashed, j);
	j = NULL;
out:
	user_job_free(j);
	wipe_password(body);
}
