/*
 * daemon.h: `trackless daemon`, one long-lived session for all of a
 * person's torrents, driven over the Transmission RPC (rpc.h). It runs in
 * the foreground, logs to stderr and stops on SIGTERM or SIGINT with the
 * list of torrents and their resume files saved (the session is
 * persistent: torrents and their stopped or started state come back at
 * the next start).
 */
#ifndef TL_DAEMON_H
#define TL_DAEMON_H

/* argv[0] is "daemon"; returns a process exit code (TL_EXIT_*). */
int tl_cmd_daemon(int argc, char **argv);

#endif
