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
/* files in one torrent. */
#define TL_MAX_FILES 1000000u
/* one path component (NAME_MAX on Linux) and a whole relative path. */
#define TL_MAX_PATH_COMPONENT 255u
#define TL_MAX_PATH 4096u
/* BEP 3: piece length is a power of two; we accept 16 KiB .. 256 MiB. */
#define TL_MIN_PIECE_LEN (16u * 1024)
#define TL_MAX_PIECE_LEN (256u * 1024 * 1024)
/* BEP 3: a request/piece block is at most 16 KiB. */
#define TL_MAX_BLOCK_LEN (16u * 1024)
/* BEP 9: a magnet URI we will parse, and trackers / peers in it. */
#define TL_MAX_MAGNET_LEN (64u * 1024)
#define TL_MAX_MAGNET_PARAMS 256u

/* ---- storage and peer engine ---- */
/* A resume file we will read: 1M files at ~30 bytes each plus the bitfield. */
#define TL_MAX_RESUME_FILE (64u * 1024 * 1024)

#endif
