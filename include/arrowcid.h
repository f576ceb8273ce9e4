/*
 * arrowcid.h: the C ABI of libarrowcid, ArrowCid's core as a shared library.
 *
 * Tables cross this boundary as Arrow C Stream Interface streams (struct ArrowArrayStream) and
 * CIDs as NUL-terminated text (base32 CIDv1, e.g. "bafkrei..."). Everything else is an opaque
 * handle. C99; every function is thread-safe.
 *
 * Results
 *   Every function that can fail returns ARROWCID_OK (0) or a negative ARROWCID_E_* code, and
 *   arrowcid_last_error() then gives this thread's message for that failure. No function
 *   crashes on bad input it can detect: a NULL pointer, a closed handle, a too-small buffer, a
 *   stream whose get_schema or get_next fails or whose arrays do not match its schema all give a
 *   code and a message.
 *
 * Ownership (the whole of it)
 *   - Streams given IN (struct ArrowArrayStream* in): the library moves the stream, always, even
 *     when it fails: on return in->release is NULL and the library has released, or will
 *     release, the stream itself. The caller frees only the struct's own storage. get_next is
 *     called on the calling thread; the arrays it gives are held while later ones are asked for
 *     (their work overlaps) and released, each once, on any of the library's threads.
 *   - Streams given OUT (struct ArrowArrayStream* out): on ARROWCID_OK the caller owns *out and
 *     must call out->release(out) once; on failure *out is left released (release == NULL).
 *     Arrays taken from such a stream point into mapped, verified blocks (zero copy): each
 *     mapping, segment lease or arena lease stays valid until the last release callback that
 *     uses it has run, whether or not the stream or its handle is still open. Release callbacks
 *     may run on any thread.
 *   - Text OUT into a caller's buffer (char* cid, size_t cap): written NUL-terminated when it
 *     fits; otherwise ARROWCID_E_BUFFER_TOO_SMALL and the buffer holds "" (a CID needs at most
 *     ARROWCID_CID_CAP bytes).
 *   - Text OUT allocated by the library (char** json): free it with arrowcid_free().
 *   - Handles (arrowcid_repo*, arrowcid_shm*): closed with their _close function, once. A closed
 *     handle passed again gives ARROWCID_E_CLOSED, never a crash; handles are never reused.
 *     Closing a handle does not invalidate streams or arrays already handed out.
 *   - arrowcid_version(), arrowcid_isa() and arrowcid_last_error() return text the library
 *     owns: the version and the level live as long as the library, the error until this thread's next failing call.
 */
#ifndef ARROWCID_H
#define ARROWCID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The Arrow C Data Interface and C Stream Interface, as the Arrow specification defines them
 * (docs/source/format/CDataInterface.rst, CStreamInterface.rst). Guarded so that a program that
 * includes another Arrow library's definitions first keeps them. */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* ---- Results ------------------------------------------------------------------------------ */

#define ARROWCID_OK 0
/* No such CID, name, version, or shared-memory segment. */
#define ARROWCID_E_NOT_FOUND (-1)
/* A NULL pointer, malformed text (CID, name), or a table ArrowCid cannot take. */
#define ARROWCID_E_INVALID_ARGUMENT (-2)
/* Stored or shared bytes do not hash to their CID, or are not what they claim to be. */
#define ARROWCID_E_CORRUPT (-3)
/* The file system or the operating system failed (a full disk, permissions, a full store). */
#define ARROWCID_E_IO (-4)
/* arrowcid_shm_next: no notice came within the timeout. */
#define ARROWCID_E_TIMEOUT (-5)
/* A handle passed after its _close. */
#define ARROWCID_E_CLOSED (-6)
/* The caller's text buffer is too small; nothing else changed. */
#define ARROWCID_E_BUFFER_TOO_SMALL (-7)
/* The caller's input stream failed: its get_schema or get_next returned an error, or an array
 * it gave does not match its schema. */
#define ARROWCID_E_STREAM (-8)
/* A failure the library did not expect (a bug: please report the message). */
#define ARROWCID_E_INTERNAL (-9)

/* Room for any CID this library writes, with its NUL. */
#define ARROWCID_CID_CAP 128

/* ---- Library ------------------------------------------------------------------------------- */

/* The library's version, e.g. "0.39.0". Owned by the library. */
const char* arrowcid_version(void);

/* The x86-64 level of the build in use: "x86-64-v4" (AVX-512), "x86-64-v3" (AVX2) or
 * "x86-64-v2" (on another architecture, its name: "arm64"). On x86-64 libarrowcid.so loads, from its own folder, the best build this CPU runs (the
 * vector code of the chunker and the row hashes needs AVX2 or AVX-512); the environment variable
 * ARROWCID_ISA=x86-64-v3 (say) caps the level. "none" when no build could be loaded: then every
 * function fails with ARROWCID_E_INTERNAL and arrowcid_last_error() says why. Owned by the
 * library. */
const char* arrowcid_isa(void);

/* The message of this thread's last failure, or "" when none. Valid until this thread's next
 * failing call. */
const char* arrowcid_last_error(void);

/* Frees text the library allocated (char** outputs). NULL is ignored. */
void arrowcid_free(void* text);

/* ---- Tables without storage ------------------------------------------------------------------ */

/* Consumes the stream and writes the table CID of its rows: the CID `arrowcid cid` prints and a
 * put of the same rows gives, however the rows are batched. */
int arrowcid_cid_of(struct ArrowArrayStream* in, char* cid, size_t cap);

/* Moves one array and its schema into a stream of that one batch (for producers that hand over
 * arrays: Python's __arrow_c_array__). The array must be a struct array (a record batch). On
 * ARROWCID_OK the caller owns *out; schema and array are moved (their release set to NULL)
 * whatever the result. */
int arrowcid_stream_of_array(struct ArrowSchema* schema, struct ArrowArray* array, struct ArrowArrayStream* out);

/* ---- Repository ---------------------------------------------------------------------------- */

typedef struct arrowcid_repo arrowcid_repo;

/* Opens (creating when needed) the repository at path; NULL means $ARROWCID_REPO, else
 * ~/.arrowcid. Close with arrowcid_repo_close. */
int arrowcid_repo_open(const char* path, arrowcid_repo** out);

/* Closes the repository. Streams already handed out stay valid. NULL and closed handles are ignored. */
void arrowcid_repo_close(arrowcid_repo* repo);

/* Stores the stream's rows as a table (content-defined chunks, canonical blocks) and writes its
 * CID. With a name (not NULL), records the table as that name's next version. */
int arrowcid_put(arrowcid_repo* repo, struct ArrowArrayStream* in, const char* name, char* cid, size_t cap);

/* Opens a table for reading: ref is a CID, NAME (its latest version) or NAME@N. Batches point
 * into mapped blocks, each re-hashed before its first batch is handed out. */
int arrowcid_get(arrowcid_repo* repo, const char* ref, struct ArrowArrayStream* out);

/* The table names with their latest versions, as a JSON array of
 * {"name","version","cid","created"}; free *json with arrowcid_free. */
int arrowcid_names(arrowcid_repo* repo, char** json);

/* The versions of a name, newest first, as a JSON array of
 * {"version","cid","rows","bytes","created","tags"}; free *json with arrowcid_free. */
int arrowcid_log(arrowcid_repo* repo, const char* name, char** json);

/* ---- Shared memory ------------------------------------------------------------------------- */

typedef struct arrowcid_shm arrowcid_shm;

/* Opens (creating when needed) the shared-memory store `store` under base_dir. NULL base_dir
 * means $ARROWCID_SHM_DIR, else /dev/shm/arrowcid-UID (the user's own, 0700); NULL store means "default". */
int arrowcid_shm_open(const char* base_dir, const char* store, arrowcid_shm** out);

/* Closes the store. Attached streams stay valid. NULL and closed handles are ignored. */
void arrowcid_shm_close(arrowcid_shm* shm);

/* Publishes the stream's rows as one table and announces it on the store's feed; writes its CID
 * (the same CID a repository put of the rows gives). */
int arrowcid_shm_publish(arrowcid_shm* shm, struct ArrowArrayStream* in, char* cid, size_t cap);

/* Attaches a published table, zero copy: the stream's arrays point into the store's segments
 * or arena slots, each verified when first read and leased until its last release. */
int arrowcid_shm_attach(arrowcid_shm* shm, const char* cid, struct ArrowArrayStream* out);

/* Follows the feed: waits up to timeout_ms (-1: forever) for the first notice after *cursor,
 * writes its table CID and advances *cursor to its sequence. ARROWCID_E_TIMEOUT when none
 * came. Start with *cursor = 0 for every notice the feed holds, or arrowcid_shm_cursor() for
 * only new ones. */
int arrowcid_shm_next(arrowcid_shm* shm, uint64_t* cursor, int timeout_ms, char* cid, size_t cap);

/* The sequence of the newest notice published so far (a cursor that skips the past). */
int arrowcid_shm_cursor(arrowcid_shm* shm, uint64_t* cursor);

#ifdef __cplusplus
}
#endif

#endif /* ARROWCID_H */
