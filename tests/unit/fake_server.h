/*
 * fake_server: the local HTTP servers of the unit suites that talk to a
 * fake API or webhook (apply, http, api_list, notify), served by
 * libmicrohttpd inside the test process.
 *
 * Every server listens on 127.0.0.1 only, on a port the kernel picks: no
 * test traffic leaves the loopback interface, and no outside host can
 * reach a test's server. The caller owns the daemon (MHD_stop_daemon()).
 */
#ifndef MW_TESTS_UNIT_FAKE_SERVER_H
#define MW_TESTS_UNIT_FAKE_SERVER_H

#include <microhttpd.h>

#include "core/api.h"

/*
 * Start a daemon with `flags` (MHD_USE_*) answering with `handler(cls, ...)`
 * on 127.0.0.1; its port goes to `*port`. Fails the test when it cannot
 * start.
 */
struct MHD_Daemon *tu_serve(unsigned int flags, MHD_AccessHandlerCallback handler, void *cls,
			    unsigned int *port);

/*
 * An API client for the fake API on `port` (http://127.0.0.1:PORT/client/v4,
 * account TU_ACCOUNT, a test token, concurrency 2, no retries, 10 s):
 * owned by the caller (api_free()). Fails the test when it cannot be made.
 */
struct api *tu_fake_api(unsigned int port);

#endif
