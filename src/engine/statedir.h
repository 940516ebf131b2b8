/*
 * statedir.h: the state directory of a session ($XDG_STATE_HOME/trackless
 * or --state-dir): where it is, making it, the lock that keeps a second
 * process out of it, and the listen port saved in it. The DHT state,
 * resume files and fetched metadata live there too (their modules name
 * their files with tl_statedir_path).
 *
 * Owner layer (L4). Thread: the loop's (or before it runs).
 */
#ifndef TL_STATEDIR_H
#define TL_STATEDIR_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tl_infohash;
struct tl_metainfo;

/* $XDG_STATE_HOME/trackless, else ~/.local/state/trackless (allocated);
 * NULL when neither is known. */
char *tl_statedir_default(void);
/* mkdir -p of dir, mode 0700 (errors show at the first write). */
void tl_statedir_make(const char *dir);
/* dir/name (allocated), or NULL when dir is NULL. */
char *tl_statedir_path(const char *dir, const char *name);

/*
 * Lock dir for this process: an exclusive flock on dir/lock, which holds
 * our PID. Returns the lock's descriptor (keep it open while the session
 * runs; the kernel drops the lock when it closes, kill -9 included), or -1
 * with *why_out a static reason; when another process holds it, *pid_out
 * is that process's PID (0 when unknown).
 */
int tl_statedir_lock(const char *dir, pid_t *pid_out, const char **why_out);
/* Make dir and lock it: the lock's descriptor, or -1 with *why_out a
 * sentence for the user (naming the PID that holds it). */
int tl_statedir_take(const char *dir, const char **why_out);

/*
 * The listen port the last run with dir used (0: none, or a file that
 * does not hold one), so a restart keeps its address: peers, PEX and the
 * DHT nodes that stored it stay right. Saved atomically.
 */
uint16_t tl_statedir_load_port(const char *dir);
void tl_statedir_save_port(const char *dir, uint16_t port);

/* STATE/torrents/HEX.torrent: the metadata a magnet link fetched, when it
 * is there and hashes to ih; NULL otherwise (dir NULL too). */
struct tl_metainfo *tl_statedir_load_metadata(const char *dir, const struct tl_infohash *ih);
/* Save the verified info dictionary of ih there (atomically; a failure is
 * logged: the next start fetches it again). */
void tl_statedir_save_metadata(const char *dir, const struct tl_infohash *ih, const uint8_t *info, size_t len);
/* That file is there (it may still fail to load). */
bool tl_statedir_has_metadata(const char *dir, const struct tl_infohash *ih);
/* A torrent removed: delete its saved metadata and its resume file. */
void tl_statedir_forget(const char *dir, const struct tl_infohash *ih);
#endif
