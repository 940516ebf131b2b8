/*
 * settings.h: the daemon's settings file, settings.json in its config
 * directory, with Transmission's key names where one exists (download-dir,
 * peer-port, rpc-bind-address, rpc-port, speed-limit-down[-enabled],
 * speed-limit-up[-enabled], dht-enabled, start-added-torrents, bind-address-ipv4). Keys it does
 * not know are kept as they were when the file is written again.
 *
 * Ownership: the struct owns its strings and the parsed document.
 * Thread: the loop's (or before it runs).
 */
#ifndef TL_DAEMON_SETTINGS_H
#define TL_DAEMON_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;

/* Largest settings file read (a hand-edited file is a few KiB). */
#define TL_DSET_MAX_FILE (1024u * 1024)

struct tl_dset {
	char *download_dir;
	uint16_t peer_port;          /* 0: the last run's, else any */
	char *rpc_bind;              /* rpc-bind-address */
	uint16_t rpc_port;
	uint64_t down_kbps, up_kbps; /* speed-limit-down/-up, kB/s (1000 bytes) */
	bool is_down_limited, is_up_limited;
	bool is_dht;                 /* dht-enabled */
	bool is_start_paused;        /* !start-added-torrents: torrent-add pauses by default */
	char *bind;                  /* bind-address-ipv4; NULL: any */
	struct json_t *doc;          /* the file as read (unknown keys kept) */
};

/* Defaults: download-dir ~/Downloads, RPC 127.0.0.1:9091, DHT on. */
void tl_dset_init(struct tl_dset *d);
void tl_dset_clear(struct tl_dset *d);
/* Read path over the defaults. A missing file is not an error. -1 with
 * a message in why (size n) when it cannot be read, is not JSON, is not
 * an object or a known key has the wrong type or range. */
int tl_dset_load(struct tl_dset *d, const char *path, char *why, size_t n);
/* Set key in the document that tl_dset_save writes (v taken): only keys
 * changed over the RPC are put there, so options given on the command
 * line stay out of the file. */
void tl_dset_put(struct tl_dset *d, const char *key, struct json_t *v_take);
/* Write the document of d (the file as read, with the keys put since) to
 * path atomically (temp file, fsync, rename); -1 (logged) when it cannot. */
int tl_dset_save(const struct tl_dset *d, const char *path);
/* Replace a string setting (copied). */
void tl_dset_set_str(char **slot, const char *v);

#endif
