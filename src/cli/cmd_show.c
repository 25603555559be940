#include <stdio.h>

#include "cli/cli.h"
#include "core/render.h"
#include "util/err.h"

int cmd_show(struct cli_opts *o)
{
	struct render_opts ro = { RENDER_MODE_PLAN, cli_use_color(o), 0 };
	struct plan p = { 0 };
	struct buf out = BUF_INIT;
	int format = RENDER_TEXT;

	if (o->n_args != 1) {
		cli_usage_error(o->cmd, "%s",
				o->n_args ? "takes one plan file"
					  : "missing the plan file to show");
		return EXIT_ERROR;
	}
	if (cli_render_format(o, &format) < 0)
		return EXIT_ERROR;
	if (plan_load_file(&p, o->args[0]) < 0) {
		cli_report(o);
		return EXIT_ERROR;
	}
	render_plan(&out, &p, (enum render_format)format, &ro);
	fwrite(out.ptr, 1, out.len, stdout);
	buf_release(&out);
	plan_release(&p);
	return EXIT_OK;
}
