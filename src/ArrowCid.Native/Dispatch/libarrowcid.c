/*
 * libarrowcid.so, the file users load: it holds no ArrowCid code. On first use it loads, from its
 * own folder, the build of the library made for the best x86-64 level this CPU and OS run, and
 * forwards every entry point of include/arrowcid.h to it.
 *
 * Why: NativeAOT compiles for one instruction-set level and has no JIT to choose vector code when
 * the program runs, so a single portable build hashes rows and finds chunk boundaries without
 * AVX2 or AVX-512, at about half the speed of the same code in a .NET process. The builds, beside
 * this file (src/ArrowCid.Native/ArrowCid.Native.csproj makes all three):
 *   libarrowcid.x86-64-v4.so   AVX-512 F, BW, CD, DQ, VL
 *   libarrowcid.x86-64-v3.so   AVX2, BMI1/2, FMA, LZCNT, MOVBE
 *   libarrowcid.x86-64-v2.so   SSE4.2, POPCNT: every CPU .NET runs on
 * ARROWCID_ISA=x86-64-v3 (say) caps the level. A level the CPU (or, for AVX-512, the OS) cannot
 * run is never loaded: NativeAOT code would stop the process at its first call. A build whose
 * file is missing or does not load is passed over for the next level down.
 *
 * When no build loads, every function keeps the header's contract without one: streams handed
 * in are released, outputs are left empty or released, and the code is ARROWCID_E_INTERNAL with
 * arrowcid_last_error() saying what failed to load.
 *
 * C99 with GNU's dladdr and __builtin_cpu_supports (GCC 12+, Clang 16+).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arrowcid.h"

#ifndef ARROWCID_DISPATCH_VERSION
#error "build with -DARROWCID_DISPATCH_VERSION=\"x.y.z\" (the library's version)"
#endif

/* Every entry point of the header: X(return type, name, parameters). The forwarders below are
 * written out, since each keeps the header's contract in its own way when no build loads. */
#define ARROWCID_ENTRY_POINTS(X)                                                                   \
  X(const char*, arrowcid_version, (void))                                                         \
  X(const char*, arrowcid_isa, (void))                                                             \
  X(const char*, arrowcid_last_error, (void))                                                      \
  X(void, arrowcid_free, (void* text))                                                             \
  X(int, arrowcid_cid_of, (struct ArrowArrayStream* in, char* cid, size_t cap))                    \
  X(int, arrowcid_stream_of_array,                                                                 \
    (struct ArrowSchema* schema, struct ArrowArray* array, struct ArrowArrayStream* out))          \
  X(int, arrowcid_repo_open, (const char* path, arrowcid_repo** out))                              \
  X(void, arrowcid_repo_close, (arrowcid_repo* repo))                                              \
  X(int, arrowcid_put,                                                                             \
    (arrowcid_repo* repo, struct ArrowArrayStream* in, const char* name, char* cid, size_t cap))   \
  X(int, arrowcid_get, (arrowcid_repo* repo, const char* ref, struct ArrowArrayStream* out))       \
  X(int, arrowcid_names, (arrowcid_repo* repo, char** json))                                       \
  X(int, arrowcid_log, (arrowcid_repo* repo, const char* name, char** json))                       \
  X(int, arrowcid_shm_open, (const char* base_dir, const char* store, arrowcid_shm** out))         \
  X(void, arrowcid_shm_close, (arrowcid_shm* shm))                                                 \
  X(int, arrowcid_shm_publish, (arrowcid_shm* shm, struct ArrowArrayStream* in, char* cid, size_t cap)) \
  X(int, arrowcid_shm_attach, (arrowcid_shm* shm, const char* cid, struct ArrowArrayStream* out))  \
  X(int, arrowcid_shm_next, (arrowcid_shm* shm, uint64_t* cursor, int timeout_ms, char* cid, size_t cap)) \
  X(int, arrowcid_shm_cursor, (arrowcid_shm* shm, uint64_t* cursor))

/* The loaded build's functions (all NULL until one loads). */
#define DECLARE_POINTER(type, name, params) static type(*p_##name) params;
ARROWCID_ENTRY_POINTS(DECLARE_POINTER)
#undef DECLARE_POINTER

/* The levels, best first, with whether this CPU and OS run each. */
struct level {
  const char* name;
  int (*runs)(void);
};

static int runs_v4(void) { return __builtin_cpu_supports("x86-64-v4"); }
static int runs_v3(void) { return __builtin_cpu_supports("x86-64-v3"); }
static int runs_v2(void) { return __builtin_cpu_supports("x86-64-v2"); }

static const struct level levels[] = {
    {"x86-64-v4", runs_v4},
    {"x86-64-v3", runs_v3},
    {"x86-64-v2", runs_v2},
};
#define LEVEL_COUNT ((int)(sizeof levels / sizeof levels[0]))

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char own_folder[PATH_MAX];
static char load_failure[2 * PATH_MAX];

/* This file's folder, found while the loader's path for it is still the one it was loaded by (a
 * relative path would go stale if the process changed its working directory later). */
__attribute__((constructor)) static void find_own_folder(void) {
  Dl_info info;
  char resolved[PATH_MAX];
  if (dladdr((void*)&find_own_folder, &info) == 0 || info.dli_fname == NULL ||
      realpath(info.dli_fname, resolved) == NULL) {
    return;
  }
  char* slash = strrchr(resolved, '/');
  if (slash != NULL) {
    *slash = '\0';
    snprintf(own_folder, sizeof own_folder, "%s", resolved);
  }
}

/* Resolves every entry point of one build; on success the pointers are set, else none is. */
static int bind_all(void* handle, const char* path) {
#define RESOLVE(type, name, params)                                                         \
  void* a_##name = dlsym(handle, #name);                                                    \
  if (a_##name == NULL) {                                                                   \
    snprintf(load_failure, sizeof load_failure, "libarrowcid: %s has no %s (a build of another version?)", path, #name); \
    return 0;                                                                               \
  }
  ARROWCID_ENTRY_POINTS(RESOLVE)
#undef RESOLVE
  /* dlsym gives object pointers; POSIX guarantees they convert to function pointers. */
#define ASSIGN(type, name, params) memcpy(&p_##name, &a_##name, sizeof p_##name);
  ARROWCID_ENTRY_POINTS(ASSIGN)
#undef ASSIGN
  return 1;
}

static void load(void) {
  if (own_folder[0] == '\0') {
    snprintf(load_failure, sizeof load_failure, "libarrowcid: cannot find the folder libarrowcid.so was loaded from");
    return;
  }
  int first = 0;
  const char* cap = getenv("ARROWCID_ISA");
  if (cap != NULL && cap[0] != '\0') {
    first = -1;
    for (int i = 0; i < LEVEL_COUNT; i++) {
      if (strcmp(cap, levels[i].name) == 0) {
        first = i;
      }
    }
    if (first < 0) {
      snprintf(load_failure, sizeof load_failure,
               "libarrowcid: ARROWCID_ISA=%s is not a level this library is built for (x86-64-v4, x86-64-v3, x86-64-v2)", cap);
      return;
    }
  }
  __builtin_cpu_init();
  snprintf(load_failure, sizeof load_failure, "libarrowcid: this CPU runs none of the builds (x86-64-v2 at least is needed)");
  for (int i = first; i < LEVEL_COUNT; i++) {
    if (!levels[i].runs()) {
      continue;
    }
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/libarrowcid.%s.so", own_folder, levels[i].name);
    if (access(path, F_OK) != 0) {
      snprintf(load_failure, sizeof load_failure, "libarrowcid: %s is missing (publish src/ArrowCid.Native again)", path);
      continue;
    }
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
      const char* why = dlerror();
      snprintf(load_failure, sizeof load_failure, "libarrowcid: cannot load %s: %s", path, why != NULL ? why : "unknown error");
      continue;
    }
    if (bind_all(handle, path)) {
      load_failure[0] = '\0';
      return;
    }
    dlclose(handle);
  }
}

static int loaded(void) {
  pthread_once(&load_once, load);
  return p_arrowcid_version != NULL;
}

/* ---- Without a build: the header's contract, and the reason -------------------------------- */

static void release_stream(struct ArrowArrayStream* stream) {
  if (stream != NULL && stream->release != NULL) {
    stream->release(stream);
  }
}

static void mark_released(struct ArrowArrayStream* stream) {
  if (stream != NULL) {
    stream->release = NULL;
  }
}

static void empty_text(char* text, size_t cap) {
  if (text != NULL && cap > 0) {
    text[0] = '\0';
  }
}

/* ---- The entry points ---------------------------------------------------------------------- */

const char* arrowcid_version(void) { return loaded() ? p_arrowcid_version() : ARROWCID_DISPATCH_VERSION; }

const char* arrowcid_isa(void) { return loaded() ? p_arrowcid_isa() : "none"; }

const char* arrowcid_last_error(void) { return loaded() ? p_arrowcid_last_error() : load_failure; }

void arrowcid_free(void* text) {
  /* Without a build nothing was allocated by one. */
  if (loaded()) {
    p_arrowcid_free(text);
  }
}

int arrowcid_cid_of(struct ArrowArrayStream* in, char* cid, size_t cap) {
  if (loaded()) {
    return p_arrowcid_cid_of(in, cid, cap);
  }
  release_stream(in);
  empty_text(cid, cap);
  return ARROWCID_E_INTERNAL;
}

int arrowcid_stream_of_array(struct ArrowSchema* schema, struct ArrowArray* array, struct ArrowArrayStream* out) {
  if (loaded()) {
    return p_arrowcid_stream_of_array(schema, array, out);
  }
  if (schema != NULL && schema->release != NULL) {
    schema->release(schema);
  }
  if (array != NULL && array->release != NULL) {
    array->release(array);
  }
  mark_released(out);
  return ARROWCID_E_INTERNAL;
}

int arrowcid_repo_open(const char* path, arrowcid_repo** out) {
  if (loaded()) {
    return p_arrowcid_repo_open(path, out);
  }
  if (out != NULL) {
    *out = NULL;
  }
  return ARROWCID_E_INTERNAL;
}

void arrowcid_repo_close(arrowcid_repo* repo) {
  if (loaded()) {
    p_arrowcid_repo_close(repo);
  }
}

int arrowcid_put(arrowcid_repo* repo, struct ArrowArrayStream* in, const char* name, char* cid, size_t cap) {
  if (loaded()) {
    return p_arrowcid_put(repo, in, name, cid, cap);
  }
  release_stream(in);
  empty_text(cid, cap);
  return ARROWCID_E_INTERNAL;
}

int arrowcid_get(arrowcid_repo* repo, const char* ref, struct ArrowArrayStream* out) {
  if (loaded()) {
    return p_arrowcid_get(repo, ref, out);
  }
  mark_released(out);
  return ARROWCID_E_INTERNAL;
}

int arrowcid_names(arrowcid_repo* repo, char** json) {
  if (loaded()) {
    return p_arrowcid_names(repo, json);
  }
  if (json != NULL) {
    *json = NULL;
  }
  return ARROWCID_E_INTERNAL;
}

int arrowcid_log(arrowcid_repo* repo, const char* name, char** json) {
  if (loaded()) {
    return p_arrowcid_log(repo, name, json);
  }
  if (json != NULL) {
    *json = NULL;
  }
  return ARROWCID_E_INTERNAL;
}

int arrowcid_shm_open(const char* base_dir, const char* store, arrowcid_shm** out) {
  if (loaded()) {
    return p_arrowcid_shm_open(base_dir, store, out);
  }
  if (out != NULL) {
    *out = NULL;
  }
  return ARROWCID_E_INTERNAL;
}

void arrowcid_shm_close(arrowcid_shm* shm) {
  if (loaded()) {
    p_arrowcid_shm_close(shm);
  }
}

int arrowcid_shm_publish(arrowcid_shm* shm, struct ArrowArrayStream* in, char* cid, size_t cap) {
  if (loaded()) {
    return p_arrowcid_shm_publish(shm, in, cid, cap);
  }
  release_stream(in);
  empty_text(cid, cap);
  return ARROWCID_E_INTERNAL;
}

int arrowcid_shm_attach(arrowcid_shm* shm, const char* cid, struct ArrowArrayStream* out) {
  if (loaded()) {
    return p_arrowcid_shm_attach(shm, cid, out);
  }
  mark_released(out);
  return ARROWCID_E_INTERNAL;
}

int arrowcid_shm_next(arrowcid_shm* shm, uint64_t* cursor, int timeout_ms, char* cid, size_t cap) {
  if (loaded()) {
    return p_arrowcid_shm_next(shm, cursor, timeout_ms, cid, cap);
  }
  empty_text(cid, cap);
  return ARROWCID_E_INTERNAL;
}

int arrowcid_shm_cursor(arrowcid_shm* shm, uint64_t* cursor) {
  if (loaded()) {
    return p_arrowcid_shm_cursor(shm, cursor);
  }
  return ARROWCID_E_INTERNAL;
}
