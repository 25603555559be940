#include "cli/apply_revert.h"

#include <string.h>

#include "core/audit.h"
#include "core/revert.h"
#include "util/err.h"

int apply_revert_records(json_t **records, const char *path)
{
	struct audit_report r;
	int rc;

	*records = NULL;
	rc = audit_verify(&r, path);
	if (rc == 0 && r.broken)
		rc = err_set(MW_EPLAN,
			     "%s:%zu: %s; the audit log does not verify, so nothing is "
			     "reverted from it",
			     path, r.broken, r.broken_why);
	else if (rc == 0 && r.n_unknown)
		rc = err_set(MW_EPLAN,
			     "%s:%zu: %s; the audit log does not verify (%zu request%s with no "
			     "recorded outcome: run plan to see live state)",
			     path, r.unknown[0].line, r.unknown[0].message, r.n_unknown,
			     r.n_unknown == 1 ? "" : "s");
	if (rc == 0)
		*records = json_incref(r.records);
	audit_report_release(&r);
	return rc;
}

int apply_revert_verify(struct session *s, const struct plan *saved, const char *audit_log,
			struct plan *rebuilt_out)
{
	struct revert_notes notes = { 0 };
	json_t *records = NULL;
	int rc;

	memset(rebuilt_out, 0, sizeof(*rebuilt_out));
	if (!audit_log)
		return err_set(MW_EUSAGE,
			       "a revert plan is verified against the audit log of the run it "
			       "reverts: give --audit-log FILE");
	if (saved->kind != PLAN_KIND_REVERT || !saved->revert_of)
		return err_set(MW_EPLAN, "the plan is not a revert plan");
	rc = apply_revert_records(&records, audit_log);
	if (rc == 0)
		rc = session_read_live(s, false);
	if (rc == 0)
		rc = revert_build(rebuilt_out, &notes, records, saved->revert_of, &s->live);
	if (rc == 0)
		rc = revert_compare(saved, rebuilt_out);
	if (rc < 0)
		plan_release(rebuilt_out);
	revert_notes_release(&notes);
	json_decref(records);
	return rc;
}
