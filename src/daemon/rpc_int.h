/*
 * rpc_int.h: what the parts of the RPC share (rpc.c: requests, session
 * methods, ids; rpc_torrent.c: torrent methods). Not an API.
 */
#ifndef TL_DAEMON_RPC_INT_H
#define TL_DAEMON_RPC_INT_H

#include <stdint.h>

#include <jansson.h>

#include "daemon/rpc.h"

struct tl_rpc {
	struct tl_rpc_env env;
	int64_t next_id;       /* the next torrent's id (from 1) */
	int64_t *added;        /* addedDate by id */
	size_t nadded;
	int64_t start_s;       /* when the daemon started (unix seconds) */
	uint64_t files_added;
};

/* A method: args (borrowed, an object) in; the reply's arguments filled
 * into out. NULL for success, else the "result" string (static, or
 * written into why[TL_RPC_WHY]). */
#define TL_RPC_WHY 256
typedef const char *(*tl_rpc_method_fn)(struct tl_rpc *r, json_t *args, json_t *out, char *why);

const char *tl_rpc_torrent_add(struct tl_rpc *r, json_t *args, json_t *out, char *why);
const char *tl_rpc_torrent_get(struct tl_rpc *r, json_t *args, json_t *out, char *why);
const char *tl_rpc_torrent_start(struct tl_rpc *r, json_t *args, json_t *out, char *why);
const char *tl_rpc_torrent_stop(struct tl_rpc *r, json_t *args, json_t *out, char *why);
const char *tl_rpc_torrent_remove(struct tl_rpc *r, json_t *args, json_t *out, char *why);

/* A new id for a torrent added now. */
int64_t tl_rpc_new_id(struct tl_rpc *r);
/* The torrents "ids" names (all when absent), in session order: an
 * allocated array (*n_out long) or NULL with why filled when ids is
 * malformed. */
struct tl_entry **tl_rpc_select(struct tl_rpc *r, json_t *ids, size_t *n_out, char *why);

#endif
