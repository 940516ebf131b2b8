/* fuzz_rpc.c: the daemon's RPC requests (daemon/rpc.h), from body to
 * reply, over a real session without a network: stateless, no DHT, the
 * RPC sandboxed (no file read, written or deleted; torrents added paused).
 * Every reply must be a JSON object with a string "result". */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "fuzz.h"
#include "base/log.h"
#include "daemon/rpc.h"
#include "daemon/settings.h"
#include "engine/session.h"

static struct tl_session *s;
static struct tl_rpc *rpc;
static struct tl_dset set;

static void setup(void)
{
	tl_log_set_level(TL_LOG_ERROR);
	struct tl_session_opts so = { .bind = "127.0.0.1", .is_port_fixed = true, .is_stateless = true };
	const char *why = NULL;
	s = tl_session_new(&so, &why);
	if (!s)
		abort();
	tl_dset_init(&set);
	tl_dset_set_str(&set.download_dir, "/nonexistent/trackless-fuzz");
	struct tl_rpc_env env = { .s = s, .set = &set, .config_dir = "/nonexistent", .is_sandbox = true };
	rpc = tl_rpc_new(&env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s)
		setup();
	size_t len = 0;
	char *rep = tl_rpc_handle(rpc, data, size, &len);
	json_error_t err;
	json_t *j = json_loadb(rep, len, 0, &err);
	if (!j || !json_is_string(json_object_get(j, "result")) || strlen(rep) != len)
		abort();
	json_decref(j);
	free(rep);
	/* keep the session small: forget what was added */
	if (tl_session_count(s) > 32)
		while (tl_session_count(s) > 0)
			tl_session_remove(s, tl_session_entry(s, 0), false);
	event_base_loop(tl_session_base(s), EVLOOP_NONBLOCK);
	return 0;
}
