#include "cli/cli.h"
#include "util/err.h"

int exit_code_for(int err)
{
	switch (err) {
	case MW_OK:
		return EXIT_OK;
	case MW_EDENIED:
		return EXIT_DENIED;
	case MW_ESTALE:
		return EXIT_STALE;
	default:
		return EXIT_ERROR;
	}
}
