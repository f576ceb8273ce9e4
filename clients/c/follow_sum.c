/*
 * follow_sum: follows a shared-memory store's feed, attaches each table announced and sums its
 * first column (int64), zero copy. Prints one line per table: "<sequence> <cid> <rows> <sum>".
 *
 *   follow_sum BASE_DIR STORE COUNT [CURSOR]
 *
 * Stops after COUNT tables, or when none comes for 60 s (exit 2). CURSOR 0 (the default) starts
 * with the oldest notice the feed holds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "arrowcid.h"
#include "int64_stream.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: follow_sum BASE_DIR STORE COUNT [CURSOR]\n");
    return 64;
  }
  long count = strtol(argv[3], NULL, 10);
  uint64_t cursor = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
  arrowcid_shm* shm = NULL;
  if (arrowcid_shm_open(argv[1], argv[2], &shm) != ARROWCID_OK) {
    fprintf(stderr, "follow_sum: %s\n", arrowcid_last_error());
    return 1;
  }
  int status = 0;
  for (long seen = 0; seen < count; seen++) {
    char cid[ARROWCID_CID_CAP];
    int code = arrowcid_shm_next(shm, &cursor, 60000, cid, sizeof cid);
    if (code != ARROWCID_OK) {
      fprintf(stderr, "follow_sum: %s\n", arrowcid_last_error());
      status = code == ARROWCID_E_TIMEOUT ? 2 : 1;
      break;
    }
    struct ArrowArrayStream table;
    if (arrowcid_shm_attach(shm, cid, &table) != ARROWCID_OK) {
      fprintf(stderr, "follow_sum: %s\n", arrowcid_last_error());
      status = 1;
      break;
    }
    int64_t sum = 0;
    int64_t rows = 0;
    const char* error = NULL;
    if (int64_stream_sum(&table, &sum, &rows, &error) != 0) {
      fprintf(stderr, "follow_sum: %s: %s\n", cid, error != NULL ? error : "stream failed");
      status = 1;
      break;
    }
    printf("%" PRIu64 " %s %" PRId64 " %" PRId64 "\n", cursor, cid, rows, sum);
    fflush(stdout);
  }
  arrowcid_shm_close(shm);
  return status;
}
