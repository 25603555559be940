#include "spec.h"

#include "codes.h"
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/mem.h"

#define MAX_SEGMENTS 16
/* Offending parameter values are cut to this many bytes in messages. */
#define MAX_SHOWN 80

struct spec_operation {
	char method[8]; /* upper case */
	enum spec_op_kind kind;
	size_t nseg;
	char *seg[MAX_SEGMENTS]; /* template segments, "{name}" for parameters */
	char *pname[MAX_SEGMENTS]; /* bare parameter name of a segment, or NULL */
	json_t *params; /* resolved parameter objects, path level first */
	const json_t *body; /* resolved requestBody or NULL */
	const json_t *responses; /* borrowed */
	const json_t *resource; /* schema of "result" in the 200 answer, or NULL */
};

struct spec {
	json_t *doc;
	char *base;
	size_t nops;
	struct spec_operation ops[8];
};

static const struct {
	const char *operation_id;
	enum spec_op_kind kind;
	const char *name;
} known_ops[] = {
	{ "email_security_list_domains", SPEC_OP_LIST, "list" },
	{ "email_security_get_domain", SPEC_OP_GET, "get" },
	{ "email_security_update_domain", SPEC_OP_PATCH, "patch" },
	{ "email_security_delete_domain", SPEC_OP_DELETE, "delete" },
};

static void op_clear(struct spec_operation *op)
{
	for (size_t i = 0; i < op->nseg; i++) {
		free(op->seg[i]);
		free(op->pname[i]);
	}
	op->nseg = 0;
	json_decref(op->params);
	op->params = NULL;
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nops; i++)
		op_clear(&s->ops[i]);
	json_decref(s->doc);
	free(s->base);
	free(s);
}

const json_t *spec_document(const struct spec *s)
{
	return s->doc;
}

const char *spec_base_path(const struct spec *s)
{
	return s->base;
}

enum spec_op_kind spec_op_kind_of(const struct spec_operation *op)
{
	return op->kind;
}

const char *spec_op_name(const struct spec_operation *op)
{
	for (size_t i = 0; i < sizeof known_ops / sizeof known_ops[0]; i++)
		if (known_ops[i].kind == op->kind)
			return known_ops[i].name;
	return "other";
}

/* Splits "/a/b/c" into segments; returns -1 when there are too many. */
static int split_path(const char *path, char **seg, size_t *nseg)
{
	const char *p = path;

	*nseg = 0;
	if (*p != '/')
		return -1;
	while (*p == '/') {
		const char *end;

		p++;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		if (*nseg == MAX_SEGMENTS)
			return -1;
		seg[(*nseg)++] = xstrndup(p, (size_t)(end - p));
		p = end;
	}
	return 0;
}

/* Adds the parameters of list (path item or operation level) to op->params;
 * a later one with the same name and location replaces an earlier one. */
static int add_params(struct spec *s, struct spec_operation *op, const json_t *list)
{
	size_t i, j;
	const json_t *p, *have;

	json_array_foreach(list, i, p) {
		const json_t *param = validate_resolve(s->doc, p);
		const char *name = json_string_value(json_object_get(param, "name"));
		const char *in = json_string_value(json_object_get(param, "in"));
		int replaced = 0;

		if (!param || !name || !in)
			return err_set(MW_EINVALID, "a parameter of operation %s is incomplete",
				       op->method);
		json_array_foreach(op->params, j, have) {
			if (strcmp(json_string_value(json_object_get(have, "name")), name) == 0 &&
			    strcmp(json_string_value(json_object_get(have, "in")), in) == 0) {
				json_array_set(op->params, j, (json_t *)param);
				replaced = 1;
				break;
			}
		}
		if (!replaced && json_array_append(op->params, (json_t *)param) != 0)
			return err_set(MW_ENOMEM, "out of memory");
	}
	return 0;
}

static const json_t *result_schema(const json_t *doc, const json_t *responses)
{
	const json_t *ok = validate_resolve(doc, json_object_get(responses, "200"));
	const json_t *schema = json_object_get(
		json_object_get(json_object_get(ok, "content"), "application/json"), "schema");
	const json_t *all, *sub;
	size_t i;

	schema = validate_resolve(doc, schema);
	if (!schema)
		return NULL;
	if (json_object_get(json_object_get(schema, "properties"), "result"))
		return json_object_get(json_object_get(schema, "properties"), "result");
	all = json_object_get(schema, "allOf");
	json_array_foreach(all, i, sub) {
		const json_t *r = validate_resolve(doc, sub);
		const json_t *found = json_object_get(json_object_get(r, "properties"), "result");

		if (found)
			return found;
	}
	return NULL;
}

static int load_ops(struct spec *s)
{
	const json_t *paths = json_object_get(s->doc, "paths");
	const char *template_path, *method;
	const json_t *item, *op;
	int rc;

	json_object_foreach((json_t *)paths, template_path, item) {
		json_object_foreach((json_t *)item, method, op) {
			const char *opid = json_string_value(json_object_get(op, "operationId"));
			struct spec_operation *o;
			size_t k;

			if (strcmp(method, "parameters") == 0 || !opid)
				continue;
			for (k = 0; k < sizeof known_ops / sizeof known_ops[0]; k++)
				if (strcmp(known_ops[k].operation_id, opid) == 0)
					break;
			if (k == sizeof known_ops / sizeof known_ops[0])
				continue;
			if (s->nops == sizeof s->ops / sizeof s->ops[0] ||
			    strlen(method) >= sizeof o->method)
				return err_set(MW_EINVALID,
					       "too many operations in the API document");
			o = &s->ops[s->nops++];
			memset(o, 0, sizeof *o);
			for (size_t c = 0; method[c]; c++)
				o->method[c] = (char)toupper((unsigned char)method[c]);
			o->kind = known_ops[k].kind;
			o->params = json_array();
			if (!o->params || split_path(template_path, o->seg, &o->nseg) != 0)
				return err_set(MW_EINVALID, "cannot index path '%s'",
					       template_path);
			for (size_t i = 0; i < o->nseg; i++) {
				size_t n = strlen(o->seg[i]);

				if (n > 2 && o->seg[i][0] == '{' && o->seg[i][n - 1] == '}') {
					o->pname[i] = xstrndup(o->seg[i] + 1, n - 2);
				}
			}
			rc = add_params(s, o, json_object_get(item, "parameters"));
			if (!rc)
				rc = add_params(s, o, json_object_get(op, "parameters"));
			if (rc)
				return rc;
			if (json_object_get(op, "requestBody"))
				o->body = validate_resolve(s->doc,
							   json_object_get(op, "requestBody"));
			o->responses = json_object_get(op, "responses");
			o->resource = result_schema(s->doc, o->responses);
		}
	}
	for (size_t k = 0; k < sizeof known_ops / sizeof known_ops[0]; k++) {
		size_t i;

		for (i = 0; i < s->nops; i++)
			if (s->ops[i].kind == known_ops[k].kind)
				break;
		if (i == s->nops)
			return err_set(MW_EINVALID, "the API document lacks operation '%s'",
				       known_ops[k].operation_id);
	}
	return 0;
}

int spec_new(struct spec **out, const char *doc, size_t len)
{
	struct spec *s = NULL;
	json_error_t jerr;
	const char *url, *p;
	int rc = -1;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->doc = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!s->doc) {
		rc = err_set(MW_EINVALID, "the API document is not valid JSON: %s (line %d)",
			     jerr.text, jerr.line);
		goto done;
	}
	rc = validate_check_schemas(s->doc);
	if (rc)
		goto done;
	url = json_string_value(
		json_object_get(json_array_get(json_object_get(s->doc, "servers"), 0), "url"));
	if (!url) {
		rc = err_set(MW_EINVALID, "the API document has no server URL");
		goto done;
	}
	/* keep only the path of "https://host/client/v4" */
	p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : url;
	s->base = xstrdup(p ? p : "");
	if (s->base[0] && s->base[strlen(s->base) - 1] == '/')
		s->base[strlen(s->base) - 1] = '\0';
	rc = load_ops(s);
	if (rc)
		goto done;
	*out = s;
	s = NULL;
	rc = 0;
done:
	spec_free(s);
	return rc;
}

void spec_match_clear(struct spec_match *m)
{
	for (size_t i = 0; i < m->nparams; i++)
		free(m->params[i].value);
	memset(m, 0, sizeof *m);
}

const char *spec_match_param(const struct spec_match *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

/* Does the request path match the template of op? Fills m when it does. */
static int template_match(const struct spec_operation *op, char **seg, size_t nseg,
			  struct spec_match *m)
{
	if (nseg != op->nseg)
		return 0;
	/* an empty segment never stands for a (required) path parameter */
	for (size_t i = 0; i < nseg; i++)
		if (op->pname[i] ? seg[i][0] == '\0' : strcmp(op->seg[i], seg[i]) != 0)
			return 0;
	if (!m)
		return 1;
	for (size_t i = 0; i < nseg; i++) {
		if (!op->pname[i])
			continue;
		if (m->nparams == SPEC_MAX_PARAMS)
			return 0;
		m->params[m->nparams].value = xstrdup(seg[i]);
		m->params[m->nparams].name = op->pname[i];
		m->nparams++;
	}
	return 1;
}

int spec_route(const struct spec *s, const char *method, const char *path, struct spec_match *m)
{
	char *seg[MAX_SEGMENTS];
	size_t nseg = 0, blen = strlen(s->base);
	int rc = SPEC_ROUTE_NONE, path_known = 0;

	memset(m, 0, sizeof *m);
	if (strncmp(path, s->base, blen) != 0 || path[blen] != '/')
		return SPEC_ROUTE_NONE;
	if (split_path(path + blen, seg, &nseg) != 0) {
		for (size_t i = 0; i < nseg; i++)
			free(seg[i]);
		return SPEC_ROUTE_NONE;
	}
	for (size_t i = 0; i < s->nops; i++) {
		const struct spec_operation *op = &s->ops[i];
		int hit = template_match(op, seg, nseg, NULL);

		if (!hit)
			continue;
		path_known = 1;
		if (strcmp(op->method, method) != 0)
			continue;
		template_match(op, seg, nseg, m);
		m->op = op;
		rc = SPEC_ROUTE_OK;
		goto done;
	}
	rc = path_known ? SPEC_ROUTE_METHOD : SPEC_ROUTE_NONE;
done:
	for (size_t i = 0; i < nseg; i++)
		free(seg[i]);
	return rc;
}

/* Turns the text of a parameter into JSON of the schema's type; on failure
 * appends an error and returns NULL with *failed set. */
static json_t *coerce(const json_t *doc, const json_t *schema, const char *text, json_t *errors,
		      const char *pointer, const char *label, int *failed)
{
	const json_t *s = validate_resolve(doc, schema);
	const char *type = json_string_value(json_object_get(s, "type"));
	json_t *v = NULL;
	char *shown = NULL;
	json_t *tmp;

	*failed = 0;
	if (!text)
		text = "";
	if (type && strcmp(type, "integer") == 0) {
		char *end = NULL;
		long long n;

		errno = 0;
		n = strtoll(text, &end, 10);
		if (text[0] && !isspace((unsigned char)text[0]) && *end == '\0' && errno == 0)
			return json_integer(n);
	} else if (type && strcmp(type, "number") == 0) {
		char *end = NULL;
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (text[0] && !isspace((unsigned char)text[0]) && *end == '\0' && errno == 0)
			return json_real(d);
	} else if (type && strcmp(type, "boolean") == 0) {
		if (strcmp(text, "true") == 0)
			return json_true();
		if (strcmp(text, "false") == 0)
			return json_false();
	} else {
		v = json_string(text);
		if (v)
			return v;
		*failed = 1;
		validate_add_error(errors, CODE_INVALID_VALUE, pointer, "%s must be valid UTF-8",
				   label);
		return NULL;
	}
	*failed = 1;
	tmp = json_string(text);
	shown = tmp ? json_dumps(tmp, JSON_ENCODE_ANY) : NULL;
	json_decref(tmp);
	if (shown && strlen(shown) > MAX_SHOWN)
		memcpy(shown + MAX_SHOWN, "...", 4);
	validate_add_error(errors, CODE_INVALID_VALUE, pointer, "%s must be %s %s (got %s)", label,
			   type[0] == 'i' ? "an" : "a", type, shown ? shown : "a non-UTF-8 string");
	free(shown);
	return NULL;
}

static int check_param(const struct spec *s, const struct spec_match *m,
		       const struct spec_request *req, const json_t *param, json_t *errors,
		       json_t *query_out)
{
	const char *name = json_string_value(json_object_get(param, "name"));
	const char *in = json_string_value(json_object_get(param, "in"));
	const json_t *schema = json_object_get(param, "schema");
	const json_t *resolved = validate_resolve(s->doc, schema);
	const char *type = json_string_value(json_object_get(resolved, "type"));
	char *pointer = NULL, *label = NULL, *prefix = NULL;
	json_t *value = NULL;
	int errs = MW_ENOMEM, failed = 0, before = (int)json_array_size(errors);
	struct validate_ctx ctx;

	/* (add_params() refused a parameter without them) */
	if (!name || !in)
		return 0;
	if (strcmp(in, "path") != 0 && strcmp(in, "query") != 0)
		return 0; /* header and cookie parameters: the document has none */
	pointer = xasprintf("/%s/%s", in, name);
	label = xasprintf("%s parameter '%s'", in, name);
	prefix = xasprintf("%s parameter ", in);

	if (strcmp(in, "path") == 0) {
		const char *text = spec_match_param(m, name);

		if (!text) {
			validate_add_error(errors, CODE_INVALID_VALUE, pointer, "%s is required",
					   label);
			errs = 1;
			goto done;
		}
		if (req->exempt && req->exempt(req->exempt_ud, name, text)) {
			errs = 0;
			goto done;
		}
		value = coerce(s->doc, schema, text, errors, pointer, label, &failed);
	} else {
		size_t n = 0;

		for (size_t i = 0; i < req->nquery; i++)
			if (strcmp(req->query[i].key, name) == 0)
				n++;
		if (n == 0) {
			const json_t *def = json_object_get(resolved, "default");

			if (json_is_true(json_object_get(param, "required"))) {
				validate_add_error(errors, CODE_INVALID_VALUE, pointer,
						   "%s is required", label);
				errs = 1;
				goto done;
			}
			if (def && json_object_set(query_out, name, (json_t *)def) != 0)
				goto done;
			errs = 0;
			goto done;
		}
		if (type && strcmp(type, "array") == 0) {
			const json_t *items = json_object_get(resolved, "items");
			size_t idx = 0;

			value = json_array();
			if (!value)
				goto done;
			for (size_t i = 0; i < req->nquery; i++) {
				char *ip = NULL, *il = NULL;
				json_t *item;
				int f = 0;

				if (strcmp(req->query[i].key, name) != 0)
					continue;
				ip = xasprintf("%s/%zu", pointer, idx);
				il = xasprintf("%s[%zu]", label, idx);
				item = coerce(s->doc, items, req->query[i].value, errors, ip, il,
					      &f);
				free(ip);
				free(il);
				if (f)
					failed = 1;
				else if (!item || json_array_append_new(value, item) != 0)
					goto done;
				idx++;
			}
		} else if (n > 1) {
			validate_add_error(errors, CODE_INVALID_VALUE, pointer,
					   "%s must be given at most once (got %zu values)", label,
					   n);
			errs = 1;
			goto done;
		} else {
			for (size_t i = 0; i < req->nquery; i++)
				if (strcmp(req->query[i].key, name) == 0)
					value = coerce(s->doc, schema, req->query[i].value, errors,
						       pointer, label, &failed);
		}
	}
	if (failed) {
		errs = (int)json_array_size(errors) - before;
		goto done;
	}
	if (!value)
		goto done;
	ctx = (struct validate_ctx){
		.root = s->doc,
		.errors = errors,
		.code = CODE_INVALID_VALUE,
		.flags = VALIDATE_REQUEST,
		.root_label = label,
		.label_prefix = prefix,
	};
	/* named by path so that array items read "query parameter 'domain[1]'" */
	errs = validate_value(&ctx, schema, value, pointer, name);
	if (errs == 0 && strcmp(in, "query") == 0 && json_object_set(query_out, name, value) != 0)
		errs = MW_ENOMEM;
done:
	json_decref(value);
	free(pointer);
	free(label);
	free(prefix);
	return errs;
}

/* Is the media type of content_type (parameters and case aside) listed? */
static const json_t *media_for(const json_t *content, const char *content_type)
{
	const char *mt;
	const json_t *media;
	size_t n;

	if (!content_type)
		return NULL;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	n = strcspn(content_type, ";");
	while (n > 0 && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
		n--;
	json_object_foreach((json_t *)content, mt, media)
		if (strlen(mt) == n && strncasecmp(mt, content_type, n) == 0)
			return media;
	return NULL;
}

static int check_body(const struct spec *s, const struct spec_operation *op,
		      const struct spec_request *req, json_t *errors, json_t **body_out)
{
	const json_t *content = json_object_get(op->body, "content");
	const json_t *media;
	json_error_t jerr;
	struct validate_ctx ctx;

	if (req->body_too_large) {
		validate_add_error(errors, CODE_BAD_BODY, "", "request body is too large");
		return 1;
	}
	if (req->body_len == 0) {
		if (json_is_true(json_object_get(op->body, "required"))) {
			validate_add_error(errors, CODE_BAD_BODY, "", "request body is required");
			return 1;
		}
		return 0;
	}
	media = media_for(content, req->content_type);
	if (!media) {
		const char *mt;
		const json_t *unused;
		char want[256] = "";

		json_object_foreach((json_t *)content, mt, unused) {
			size_t used = strlen(want);

			snprintf(want + used, sizeof want - used, "%s%s", used ? " or " : "", mt);
		}
		if (req->content_type)
			validate_add_error(errors, CODE_BAD_CONTENT_TYPE, "/headers/content-type",
					   "content type must be %s (got '%.80s')", want,
					   req->content_type);
		else
			validate_add_error(errors, CODE_BAD_CONTENT_TYPE, "/headers/content-type",
					   "content type must be %s (got none)", want);
		return 1;
	}
	*body_out = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
			       &jerr);
	if (!*body_out) {
		validate_add_error(errors, CODE_BAD_BODY, "",
				   "request body is not valid JSON: %s (line %d, column %d)",
				   jerr.text, jerr.line, jerr.column);
		return 1;
	}
	ctx = (struct validate_ctx){
		.root = s->doc,
		.errors = errors,
		.code = CODE_INVALID_VALUE,
		.flags = VALIDATE_REQUEST,
		.hint = op->resource,
		.root_label = "request body",
		.label_prefix = "",
	};
	return validate_value(&ctx, json_object_get(media, "schema"), *body_out, "", "");
}

int spec_validate_request(const struct spec *s, const struct spec_match *m,
			  const struct spec_request *req, json_t *errors, json_t **query_out,
			  json_t **body_out)
{
	const struct spec_operation *op = m->op;
	const json_t *param;
	size_t i;
	int total = 0, rc;

	*body_out = NULL;
	*query_out = json_object();
	if (!*query_out)
		return MW_ENOMEM;
	json_array_foreach(op->params, i, param) {
		rc = check_param(s, m, req, param, errors, *query_out);
		if (rc < 0)
			return rc;
		total += rc;
	}
	if (op->body) {
		rc = check_body(s, op, req, errors, body_out);
		if (rc < 0)
			return rc;
		total += rc;
	}
	return total;
}

const json_t *spec_response_schema(const struct spec *s, const struct spec_operation *op,
				   int status)
{
	char code[16], klass[16];
	const json_t *r;

	snprintf(code, sizeof code, "%d", status);
	snprintf(klass, sizeof klass, "%dXX", status / 100);
	r = json_object_get(op->responses, code);
	if (!r)
		r = json_object_get(op->responses, klass);
	r = validate_resolve(s->doc, r);
	if (!r)
		return NULL;
	return json_object_get(json_object_get(json_object_get(r, "content"), "application/json"),
			       "schema");
}
