/*
 * torrent_ext.h: the extension protocol of a torrent's peers: the BEP 10
 * handshake (advertising ut_metadata with our metadata_size, ut_pex, our
 * listen port and request queue), BEP 9 serving of the info dictionary
 * (data or reject), BEP 11 peer exchange both ways (at most one message a
 * minute per peer, TL_PEX_MAX_SEND contacts per list), and BEP 5 PORT
 * messages (sent when we run a DHT; received ones offered to it).
 *
 * Called by torrent.c from its peer callbacks and tick; reads the torrent
 * only through torrent.h's accessors (metainfo, context, peer list) and
 * hands the addresses it learns back through the callback it is given,
 * so it never calls into the torrent's workings. The helpers for the handshake itself are shared
 * with the magnet metadata fetcher (metafetch.c), which sends our
 * handshake without metadata_size; a connection it hands to the torrent
 * gets it again with metadata_size (tl_tx_adopted; BEP 10 allows
 * repeating the handshake).
 *
 * Owns nothing beyond the per-peer PEX state it hangs on struct tl_peer.
 * Thread: the loop thread.
 */
#ifndef TL_TORRENT_EXT_H
#define TL_TORRENT_EXT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct tl_peer;
struct tl_torrent;
struct tl_wire_msg;

/* Delay of the first ut_pex to a new peer, and the period after it. */
#define TL_TX_PEX_FIRST_MS 3000u
#define TL_TX_PEX_PERIOD_MS 60000u

/* A peer became ACTIVE: send our extension handshake and PORT. */
void tl_tx_ready(struct tl_torrent *t, struct tl_peer *p);
/* A peer handed over by the metadata fetcher (tl_torrent_adopt): it got
 * our handshake without metadata_size and a PORT already; send the
 * handshake again with metadata_size and schedule PEX. */
void tl_tx_adopted(struct tl_torrent *t, struct tl_peer *p);
/* An address learnt from a peer. */
typedef void (*tl_tx_addr_fn)(void *arg, const struct sockaddr *sa, socklen_t salen);

/* An EXTENDED message m with payload (m->payload_len bytes after the id).
 * The contacts of a ut_pex message (none for a private torrent, BEP 27)
 * go to pex_fn(pex_arg, ...). */
void tl_tx_on_ext(struct tl_torrent *t, struct tl_peer *p, const struct tl_wire_msg *m,
    const uint8_t *payload, tl_tx_addr_fn pex_fn, void *pex_arg);
/* A BEP 5 PORT message. */
void tl_tx_on_port(struct tl_torrent *t, struct tl_peer *p, uint16_t port);
/* Once a second: PEX messages that are due. */
void tl_tx_tick(struct tl_torrent *t, uint64_t now_ms);

/* Shared with metafetch.c. */

/* Send our BEP 10 handshake: ut_metadata and ut_pex, metadata_size when
 * not 0, "p" when listen_port is not 0, reqq, v and yourip. */
void tl_tx_send_hs(struct tl_peer *p, uint32_t metadata_size, uint16_t listen_port);
/* Apply a received BEP 10 handshake to p's ext_* fields. TL_OK, or
 * TL_EINVAL with a static *why_out (close the peer). */
int tl_tx_parse_hs(struct tl_peer *p, const uint8_t *payload, size_t len, const char **why_out);
/* Call fn for every contact of a ut_pex payload; TL_OK or TL_EINVAL. */
int tl_tx_pex_each(const uint8_t *payload, size_t len, tl_tx_addr_fn fn, void *arg,
    const char **why_out);

#endif
