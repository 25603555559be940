#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

struct audit {
	int fd;
	char *path;
	struct audit_context ctx;
};

int audit_open(struct audit **out, const char *path, const struct audit_context *ctx)
{
	struct audit *a;
	int fd;

	*out = NULL;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(MW_EIO, "cannot open audit log '%s': %s", path, strerror(errno));
	a = xcalloc(1, sizeof(*a));
	a->fd = fd;
	a->path = xstrdup(path);
	a->ctx = *ctx;
	*out = a;
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *audit_entry(const struct audit_context *ctx, const struct apply_item *item)
{
	const struct plan *p = ctx->plan;
	const struct plan_change *c = item->change;
	const struct api_op *op = &item->op;
	char stamp[32];
	json_t *o = json_object();
	json_t *body = NULL;

	time_format_now_ms(stamp);
	json_object_set_new(o, "time", json_string(stamp));
	json_object_set_new(o, "run_id", json_string(ctx->run_id));
	json_object_set_new(o, "actor", json_string(ctx->actor));
	json_object_set_new(
		o, "tool",
		json_pack("{s:s, s:s}", "name", "mailward", "version", MAILWARD_VERSION));
	json_object_set_new(o, "account_id", json_string(p->account_id));
	json_object_set_new(o, "api_url", json_string(p->api_url));
	json_object_set_new(o, "repo", str_or_null(p->source.repo));
	json_object_set_new(o, "commit", str_or_null(p->source.commit));
	json_object_set_new(o, "plan_digest", json_string(p->digest));
	json_object_set_new(o, "action", json_string(plan_action_name(c->action)));
	json_object_set_new(o, "domain", json_string(c->domain));
	json_object_set_new(o, "domain_id", json_string(c->id));
	json_object_set_new(o, "method", json_string(op->method == API_PATCH ? "PATCH" : "DELETE"));
	json_object_set_new(o, "path", str_or_null(op->path));
	if (op->body_text)
		body = json_loads(op->body_text, 0, NULL);
	json_object_set_new(o, "request_body", body ? body : json_null());
	json_object_set_new(o, "status",
			    op->req.status ? json_integer(op->req.status) : json_null());
	json_object_set_new(o, "cf_ray",
			    op->req.cf_ray[0] ? json_string(op->req.cf_ray) : json_null());
	json_object_set_new(o, "attempts", json_integer(op->req.attempts));
	json_object_set_new(o, "outcome", json_string(apply_outcome_name(item->outcome)));
	json_object_set_new(o, "error", str_or_null(item->error));
	json_object_set_new(o, "api_errors", op->errors ? json_incref(op->errors) : json_null());
	json_object_set_new(o, "before", item->live ? apply_settings_of(item->live) : json_null());
	if (item->outcome == APPLY_DONE && c->action == PLAN_UPDATE && item->after)
		json_object_set_new(o, "after", apply_settings_of(item->after));
	else if ((item->outcome == APPLY_DONE || item->outcome == APPLY_GONE) &&
		 c->action == PLAN_DELETE)
		json_object_set_new(o, "after", json_null());
	else
		json_object_set_new(o, "after",
				    item->live ? apply_settings_of(item->live) : json_null());
	return o;
}

int audit_record(struct audit *a, const struct apply_item *item)
{
	json_t *entry = audit_entry(&a->ctx, item);
	char *text = json_dumps(entry, JSON_COMPACT | JSON_ENSURE_ASCII);
	char *line = xasprintf("%s\n", text);
	size_t len = strlen(line), off = 0;
	int rc = 0;

	/* One write: O_APPEND keeps a line whole even beside another writer. */
	while (off < len) {
		ssize_t w = write(a->fd, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = err_set(MW_EIO, "cannot write audit log '%s': %s", a->path,
				     strerror(errno));
			goto done;
		}
		off += (size_t)w;
	}
	if (fsync(a->fd) < 0)
		rc = err_set(MW_EIO, "cannot sync audit log '%s': %s", a->path, strerror(errno));
done:
	free(line);
	free(text);
	json_decref(entry);
	return rc;
}

int audit_close(struct audit *a)
{
	int rc = 0;

	if (!a)
		return 0;
	if (close(a->fd) < 0)
		rc = err_set(MW_EIO, "cannot close audit log '%s': %s", a->path, strerror(errno));
	free(a->path);
	free(a);
	return rc;
}
