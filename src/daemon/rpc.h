/*
 * rpc.h: the Transmission RPC (rpc-version 17, the classic request form:
 * {"method", "arguments", "tag"}) over the engine: a request body in, a
 * reply body out. No sockets here: http.c carries the bytes, and the fuzz
 * target calls tl_rpc_handle directly.
 *
 * Methods: session-get, session-set, session-stats, torrent-add,
 * torrent-get, torrent-start, torrent-start-now, torrent-stop,
 * torrent-remove. Others answer with a "result" that says so.
 *
 * Torrent ids are small integers given by the daemon in the order torrents
 * were added (restored ones first, in the order the state directory lists
 * them); each entry keeps its id as its user pointer (tl_entry_set_user).
 *
 * Ownership: a tl_rpc borrows the session and the settings for its life.
 * Thread: the loop thread.
 */
#ifndef TL_DAEMON_RPC_H
#define TL_DAEMON_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_session;
struct tl_entry;
struct tl_dset;

/* The largest request body (a base64 .torrent of a few MiB fits). */
#define TL_RPC_MAX_BODY (16u * 1024 * 1024)
/* The deepest nesting of arrays and objects in a request. */
#define TL_RPC_MAX_DEPTH 16u

struct tl_rpc_env {
	struct tl_session *s;
	struct tl_dset *set;       /* session-set changes it */
	const char *settings_path; /* where session-set writes it; NULL: nowhere */
	const char *config_dir;    /* reported by session-get */
	bool is_sandbox;           /* no file is read or deleted, torrents are added
	                            * paused, download-dir is not taken from requests
	                            * (the fuzz target) */
};

struct tl_rpc;

struct tl_rpc *tl_rpc_new(const struct tl_rpc_env *env);
void tl_rpc_free(struct tl_rpc *r);
/* Give an id to each torrent of the session that has none (restored
 * ones), in session order. */
void tl_rpc_adopt(struct tl_rpc *r);
/* The id of e, or 0 when it has none. */
int64_t tl_rpc_id(const struct tl_entry *e);
/* The reply (JSON, allocated, NUL-terminated; *len_out its length) to
 * the request body p[0..len). Bad input gets a reply whose "result"
 * says what is wrong. */
char *tl_rpc_handle(struct tl_rpc *r, const uint8_t *p, size_t len, size_t *len_out);

#endif
