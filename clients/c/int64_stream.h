/*
 * int64_stream: a C producer of the Arrow C Stream Interface for the examples and tests: a table
 * of one non-null int64 column "v" in batches, owned by the stream (freed by its release).
 */
#ifndef ARROWCID_INT64_STREAM_H
#define ARROWCID_INT64_STREAM_H

#include <stdint.h>

#include "arrowcid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills *out with a stream of `batches` batches of `rows` rows each, valued first, first+1, ...
 * When fail_at >= 0, get_next fails (EIO) at that batch. Returns 0, or ENOMEM. */
int int64_stream_make(struct ArrowArrayStream* out, int64_t first, int64_t rows, int batches, int fail_at);

/* Sums column 0 (int64) of every batch of the stream and releases it; the rows in *rows. Returns
 * 0, or the stream's error code (its message in *error when error is not NULL). */
int int64_stream_sum(struct ArrowArrayStream* stream, int64_t* sum, int64_t* rows, const char** error);

#ifdef __cplusplus
}
#endif

#endif
