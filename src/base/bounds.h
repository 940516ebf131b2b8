/*
 * bounds.h: every limit on a length that comes from the network or a file,
 * each with the BEP or reason behind it. Checked before anything is
 * buffered, allocated or indexed.
 */
#ifndef TL_BOUNDS_H
#define TL_BOUNDS_H

/* .torrent files: real ones are well under this (a 16 KiB-piece 100 GiB
 * torrent carries ~128 MiB of hashes, so this also bounds what we accept). */
#define TL_MAX_TORRENT_FILE (64u * 1024 * 1024)
/* bencode tokens in one .torrent: bounds the token array we allocate. */
#define TL_MAX_TORRENT_TOKENS (4u * 1024 * 1024)
/* nesting in a .torrent (info/files/path lists are depth 4). */
#define TL_MAX_TORRENT_DEPTH 32u
/*
 * files in one torrent, set so that the token cap above lets a torrent of
 * that many files through: each entry of info.files costs at least 6
 * tokens (its dictionary, "length" and the number, "path", the list, one
 * component) plus one per further component. 500,000 entries with paths
 * up to three components deep take 8 * 500,000 = 4,000,000 tokens, which
 * leaves 194,304 of the 4,194,304 for the rest of the document (name,
 * pieces, trackers, nodes...). A deeper tree of that many files meets the
 * token cap first and is refused with that reason.
 */
#define TL_MAX_FILES 500000u
_Static_assert(8ull * TL_MAX_FILES + 65536u <= TL_MAX_TORRENT_TOKENS,
    "TL_MAX_FILES entries three components deep must fit the token cap");
/* one path component (NAME_MAX on Linux) and a whole relative path. */
#define TL_MAX_PATH_COMPONENT 255u
#define TL_MAX_PATH 4096u
/* torrents in one session: the by-infohash index holds uint32_t indexes;
 * far above what the memory of a home server holds (~16 KiB each). */
#define TL_MAX_TORRENTS 1000000u
/* the saved list of a session's torrents (engine/catalog.h): 100 to 300
 * bytes each, so about 100,000 fit; parsed with at most one token per 6
 * bytes (a real record has longer ones), 90 MB of tokens at worst */
#define TL_MAX_CATALOG_FILE (16u * 1024 * 1024)
#define TL_CATALOG_BYTES_PER_TOKEN 6u
/* BEP 3: piece length is a power of two; we accept 16 KiB .. 256 MiB. */
#define TL_MIN_PIECE_LEN (16u * 1024)
#define TL_MAX_PIECE_LEN (256u * 1024 * 1024)
/* BEP 3: a request/piece block is at most 16 KiB. */
#define TL_MAX_BLOCK_LEN (16u * 1024)
/* BEP 9: a magnet URI we will parse, and trackers / peers in it. */
#define TL_MAX_MAGNET_LEN (64u * 1024)
#define TL_MAX_MAGNET_PARAMS 256u

/* peer wire (BEP 3, 6, 9, 10, 11) */
/* BEP 3: a bitfield when the piece count is not known yet (magnet link,
 * before the metadata): the most pieces a TL_MAX_TORRENT_FILE of 20-byte
 * hashes can describe, one bit each. */
#define TL_WIRE_MAX_BITFIELD_LEN (TL_MAX_TORRENT_FILE / 20u / 8u + 1u)
/* BEP 10: one extended message (id 20). The largest we expect is a BEP 9
 * data message (a 16 KiB metadata piece plus its small dictionary); BEP 10
 * handshakes and BEP 11 PEX messages are far smaller. */
#define TL_WIRE_MAX_EXT_MSG_LEN (64u * 1024)
/* BEP 3: the largest message of all (length prefix excluded): a bitfield. */
#define TL_WIRE_MAX_MSG_LEN (1u + TL_WIRE_MAX_BITFIELD_LEN)
/* BEP 10: bencode tokens and nesting in one extension message; a handshake
 * is a flat dict with the "m" dict inside (depth 2). */
#define TL_EXT_MAX_TOKENS 1024u
#define TL_EXT_MAX_DEPTH 8u
/* BEP 10: "reqq" we honour at most (libtorrent's default is 250). */
#define TL_EXT_MAX_REQQ 2000u
/* BEP 9: metadata is exchanged in 16 KiB pieces; we refuse a total over
 * 16 MiB (the info dict of a huge torrent is a few MiB). */
#define TL_METADATA_PIECE_LEN (16u * 1024)
#define TL_MAX_METADATA_SIZE (16u * 1024 * 1024)
/* BEP 11: at most 50 added and 50 dropped contacts (v4 and v6 combined) in
 * one message we send; we accept up to 200 per list on receipt because the
 * first message after a handshake is exempt from the 50 rule. */
#define TL_PEX_MAX_SEND 50u
#define TL_PEX_MAX_RECV 200u
/* trackers (BEP 3, 15, 23, 48) */
/* An HTTP tracker reply body: a full reply of TL_MAX_TRACKER_PEERS dict
 * peers is ~100 KiB, so 2 MiB leaves room and still bounds memory. */
#define TL_MAX_TRACKER_BODY (2u * 1024 * 1024)
/* HTTP reply headers of a tracker (evhttp default is unlimited). */
#define TL_MAX_TRACKER_HEADERS (16u * 1024)
/* Peers kept from one reply (compact, dict, peers6 together); the rest are
 * ignored. BEP 3 suggests 50 by default. */
#define TL_MAX_TRACKER_PEERS 1000u
/* bencode tokens and nesting in one tracker reply. */
#define TL_MAX_TRACKER_TOKENS 65536u
#define TL_MAX_TRACKER_DEPTH 8u
/* failure reason / warning message / tracker id / UDP error text we keep. */
#define TL_MAX_TRACKER_MSG 512u
/* an announce or scrape URL we build or follow. */
#define TL_MAX_TRACKER_URL 4096u
/* HTTP redirects followed for one request. */
#define TL_MAX_TRACKER_REDIRECTS 5u
/* infohashes in one scrape (BEP 15: about 74 fit in a UDP packet). */
#define TL_MAX_SCRAPE_HASHES 74u
/* BEP 15: a UDP tracker packet we accept (announce reply with 1000 v6 peers
 * is 20+18000 bytes; anything bigger is not from a tracker). */
#define TL_MAX_UDP_TRACKER_PACKET 20000u
/* The session's UDP port (src/io/udp.c) reads a datagram whole up to the
 * largest any protocol on it accepts: a UDP tracker reply (above); KRPC
 * and uTP datagrams fit an Ethernet frame. A longer one is dropped. */
#define TL_MAX_UDP_DATAGRAM TL_MAX_UDP_TRACKER_PACKET
/* BEP 12: trackers in one torrent's announce-list (tiers together). */
#define TL_MAX_TRACKERS 256u

/* ---- storage and peer engine ---- */
/* A resume file we will read: 1M files at ~30 bytes each plus the bitfield. */
#define TL_MAX_RESUME_FILE (64u * 1024 * 1024)

/* ---- descriptors and connections (src/base/fdlimit.h, src/engine/session.c) ---- */
/* Descriptors kept free below RLIMIT_NOFILE for what must not fail for
 * want of one: the disk store's files, the temp file and directory of a
 * resume or state write, the DHT and tracker sockets. The session opens
 * no peer socket (incoming or outgoing) that would eat into them. At most
 * half the limit, so that a small limit still leaves room for peers. */
#define TL_FD_RESERVE 32u
/* Incoming connections whose handshake has not named a torrent yet; more
 * are refused at accept. Established peers are bounded by the torrents
 * (their own cap and --max-peers over all), not here: a torrent at its cap
 * may make room for a new peer. */
#define TL_MAX_HALF_OPEN 64u

/* ---- magnet handover: piece sets kept before the piece count is known
 * (src/proto/early_have.h) ---- */
/* Pieces an info dictionary of TL_MAX_METADATA_SIZE bytes can name: 20
 * bytes of "pieces" each (BEP 3, BEP 9). */
#define TL_EARLY_MAX_PIECES (TL_MAX_METADATA_SIZE / 20u)
/* The longest BITFIELD a peer of such a torrent sends (BEP 3). */
#define TL_EARLY_MAX_BITFIELD_LEN ((TL_EARLY_MAX_PIECES + 7u) / 8u)

#endif
