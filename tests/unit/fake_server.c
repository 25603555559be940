#include "fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

struct MHD_Daemon *tu_serve(unsigned int flags, MHD_AccessHandlerCallback handler, void *cls,
			    unsigned int *port)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, cls, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_END);
	assert_non_null(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	*port = info->port;
	return d;
}

struct api *tu_fake_api(unsigned int port)
{
	struct api_opts ao = { 0 };
	struct api *api = NULL;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/client/v4", port);
	ao.base_url = url;
	ao.account_id = TU_ACCOUNT;
	ao.token = "test-token";
	ao.http.concurrency = 2;
	ao.http.retries = 0;
	ao.http.timeout_ms = 10000;
	assert_int_equal(api_new(&api, &ao), 0);
	return api;
}
