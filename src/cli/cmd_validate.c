#include <stdio.h>

#include "cli/cli.h"
#include "cli/session.h"
#include "util/err.h"

int cmd_validate(struct cli_opts *o)
{
	struct session s;
	size_t files = 0;
	int rc;

	if (cli_no_args(o) < 0)
		return EXIT_ERROR;
	session_init(&s, o);
	rc = session_load_desired(&s, NULL, stdout);
	if (rc < 0) {
		cli_report(o);
		goto done;
	}
	rc = session_resolve_account(&s, false);
	if (rc < 0) {
		cli_report(o);
		goto done;
	}
	for (size_t i = 0; i < s.src->nr; i++)
		files += !s.src->files[i].policy;
	cli_info(o, "valid: %zu domain%s in %zu file%s, %zu polic%s%s%s", s.desired.nr,
		 s.desired.nr == 1 ? "" : "s", files, files == 1 ? "" : "s", s.policies.nr,
		 s.policies.nr == 1 ? "y" : "ies", s.account_id ? ", account " : "",
		 s.account_id ? s.account_id : "");
done:
	session_release(&s);
	return rc < 0 ? EXIT_ERROR : EXIT_OK;
}
