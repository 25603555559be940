/*
 * state: the live settings the sandbox serves, loaded from and saved to a
 * JSON file of the form {"accounts": {"<account_id>": [<Domain>, ...]}}.
 *
 * Loading fills in missing read-only fields with plausible, reproducible
 * values (a domain without "id" gets a UUID derived from SHA-256 of account
 * and domain name) and leaves writable fields as they are, also when they
 * are missing or odd: only requests are validated, never the state.
 *
 * A state is not thread-safe: the server serialises access with its lock.
 * Domain objects handed out are borrowed and stay valid until the domain
 * is removed or the state is freed.
 */
#ifndef MAILWARD_SANDBOX_STATE_H
#define MAILWARD_SANDBOX_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct state;

/*
 * Reads and checks the state file at path. seed varies the generated
 * timestamps and counters (ids depend on account and domain only). Returns
 * 0 and a new state in *out (the caller frees it with state_free()), or
 * MW_EINVALID with a message naming the file and the problem in the error
 * slot (not JSON, wrong shape, an item without "domain", an id that is not
 * a string or integer, duplicate ids within an account).
 */
int state_load(struct state **out, const char *path, uint64_t seed);

/* Frees st; NULL is fine. */
void state_free(struct state *st);

/*
 * Writes the state to path as pretty JSON in the load format, through a
 * temporary file renamed into place. Returns 0, or MW_EIO with the message
 * in the error slot.
 */
int state_save(const struct state *st, const char *path);

/* The domain array of account (borrowed, in state order), or NULL. */
json_t *state_domains(const struct state *st, const char *account);

/* The domain of account with id (exact, as text), or NULL. Borrowed. */
json_t *state_find(const struct state *st, const char *account, const char *id);

/* Removes a domain. Returns 0, or -1 when there is no such domain. */
int state_remove(struct state *st, const char *account, const char *id);

/*
 * Copies every member of changes into the domain and sets modified_at and
 * last_modified to now (RFC 3339 text). Returns the updated domain
 * (borrowed), or NULL when there is no such domain or memory runs out.
 */
json_t *state_update(struct state *st, const char *account, const char *id, const json_t *changes,
		     const char *now);

/*
 * Writes the id of domain as text into buf ("" when it has none) and
 * returns buf. Integer ids (older generations) become their decimal form.
 */
const char *state_id_text(const json_t *domain, char *buf, size_t len);

/* Formats unix time t as "YYYY-MM-DDTHH:MM:SS.ffffffZ" into buf (>= 32 bytes). */
void state_format_time(double t, char *buf, size_t len);

#endif
