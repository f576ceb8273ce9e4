// libarrowcid from C and C++: a stream built in C goes through cid_of, put, get, publish and
// attach, every error path gives its code and message, and DuckDB (an independent consumer)
// scans a table straight from arrowcid_get. Everything handed out is released: the suite runs
// clean under valgrind's memcheck (./test.sh runs it so).
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "arrowcid.h"
#include "int64_stream.h"

namespace {

std::string TempFolder(const char* what) {
  const char* base = std::getenv("ARROWCID_TEST_TMP");
  std::string folder = std::string(base != nullptr ? base : "/tmp") + "/arrowcid-native-" + what + "-" + std::to_string(getpid());
  return folder;
}

void Stream(int64_t first, int64_t rows, int batches, ArrowArrayStream* out, int fail_at = -1) {
  ASSERT_EQ(0, int64_stream_make(out, first, rows, batches, fail_at));
}

int64_t Sum(int64_t first, int64_t count) { return count * first + count * (count - 1) / 2; }

class Repo : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempFolder("repo");
    ASSERT_EQ(ARROWCID_OK, arrowcid_repo_open(path_.c_str(), &repo_)) << arrowcid_last_error();
  }
  void TearDown() override {
    arrowcid_repo_close(repo_);
    std::string command = "rm -rf '" + path_ + "'";
    ASSERT_EQ(0, std::system(command.c_str()));
  }
  std::string path_;
  arrowcid_repo* repo_ = nullptr;
};

TEST(Library, VersionAndNoError) {
  EXPECT_NE(nullptr, std::strchr(arrowcid_version(), '.'));
  // The loader ran one of the builds (under valgrind, which has no AVX-512, not the x86-64-v4 one).
  EXPECT_EQ(0, std::strncmp(arrowcid_isa(), "x86-64-v", 8)) << arrowcid_isa();
  EXPECT_STREQ("", arrowcid_last_error());
}

TEST(Library, TheCidIsTheRowsNotTheBatches) {
  ArrowArrayStream one, three;
  Stream(0, 3000, 1, &one);
  Stream(0, 1000, 3, &three);
  char a[ARROWCID_CID_CAP], b[ARROWCID_CID_CAP];
  ASSERT_EQ(ARROWCID_OK, arrowcid_cid_of(&one, a, sizeof a)) << arrowcid_last_error();
  ASSERT_EQ(ARROWCID_OK, arrowcid_cid_of(&three, b, sizeof b)) << arrowcid_last_error();
  EXPECT_STREQ(a, b);
  EXPECT_EQ(0, std::strncmp(a, "bafkrei", 7));
  // The library moved both streams (and released them).
  EXPECT_EQ(nullptr, one.release);
  EXPECT_EQ(nullptr, three.release);
}

TEST(Library, BadArgumentsGiveCodesNotCrashes) {
  char cid[ARROWCID_CID_CAP];
  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_cid_of(nullptr, cid, sizeof cid));
  EXPECT_NE(nullptr, std::strstr(arrowcid_last_error(), "NULL"));

  ArrowArrayStream released;
  std::memset(&released, 0, sizeof released);
  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_cid_of(&released, cid, sizeof cid));

  ArrowArrayStream small;
  Stream(0, 10, 1, &small);
  char tiny[8];
  EXPECT_EQ(ARROWCID_E_BUFFER_TOO_SMALL, arrowcid_cid_of(&small, tiny, sizeof tiny));
  EXPECT_STREQ("", tiny);
  EXPECT_EQ(nullptr, small.release);

  ArrowArrayStream failing;
  Stream(0, 10, 3, &failing, 1);
  EXPECT_EQ(ARROWCID_E_STREAM, arrowcid_cid_of(&failing, cid, sizeof cid));
  EXPECT_NE(nullptr, std::strstr(arrowcid_last_error(), "failing on purpose"));
  EXPECT_EQ(nullptr, failing.release);

  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_repo_open("/tmp", nullptr));
  arrowcid_repo_close(nullptr);  // ignored
}

TEST_F(Repo, PutGetRoundTripsZeroCopy) {
  ArrowArrayStream input;
  Stream(1, 50000, 4, &input);
  char cid[ARROWCID_CID_CAP];
  ASSERT_EQ(ARROWCID_OK, arrowcid_put(repo_, &input, "numbers", cid, sizeof cid)) << arrowcid_last_error();
  EXPECT_EQ(0, std::strncmp(cid, "bafyrei", 7));  // 1.6 MB: several chunks under a manifest

  for (const char* ref : {static_cast<const char*>(cid), "numbers", "numbers@1"}) {
    ArrowArrayStream table;
    ASSERT_EQ(ARROWCID_OK, arrowcid_get(repo_, ref, &table)) << arrowcid_last_error();
    int64_t sum = 0, rows = 0;
    ASSERT_EQ(0, int64_stream_sum(&table, &sum, &rows, nullptr));
    EXPECT_EQ(200000, rows);
    EXPECT_EQ(Sum(1, 200000), sum);
  }

  char* json = nullptr;
  ASSERT_EQ(ARROWCID_OK, arrowcid_names(repo_, &json)) << arrowcid_last_error();
  EXPECT_NE(nullptr, std::strstr(json, "\"numbers\""));
  arrowcid_free(json);
  ASSERT_EQ(ARROWCID_OK, arrowcid_log(repo_, "numbers", &json)) << arrowcid_last_error();
  EXPECT_NE(nullptr, std::strstr(json, cid));
  arrowcid_free(json);
}

TEST_F(Repo, ABatchOutlivesItsStreamAndItsRepository) {
  ArrowArrayStream input;
  Stream(10, 100, 1, &input);
  char cid[ARROWCID_CID_CAP];
  ASSERT_EQ(ARROWCID_OK, arrowcid_put(repo_, &input, nullptr, cid, sizeof cid)) << arrowcid_last_error();
  ArrowArrayStream table;
  ASSERT_EQ(ARROWCID_OK, arrowcid_get(repo_, cid, &table));
  ArrowArray batch;
  ASSERT_EQ(0, table.get_next(&table, &batch));
  table.release(&table);
  arrowcid_repo_close(repo_);
  const int64_t* values = static_cast<const int64_t*>(batch.children[0]->buffers[1]);
  EXPECT_EQ(10, values[0]);
  EXPECT_EQ(109, values[99]);
  batch.release(&batch);
  // The closed handle is refused, never followed.
  ArrowArrayStream again;
  EXPECT_EQ(ARROWCID_E_CLOSED, arrowcid_get(repo_, cid, &again));
  EXPECT_EQ(nullptr, again.release);
  ASSERT_EQ(ARROWCID_OK, arrowcid_repo_open(path_.c_str(), &repo_));
}

TEST_F(Repo, UnknownAndMalformedReferences) {
  ArrowArrayStream out;
  EXPECT_EQ(ARROWCID_E_NOT_FOUND, arrowcid_get(repo_, "bafkreih3bvpfdsrqgjwe74mxclc4unpkdfmiafojy4lludvgwk2rjiwywy", &out));
  EXPECT_EQ(nullptr, out.release);
  EXPECT_EQ(ARROWCID_E_NOT_FOUND, arrowcid_get(repo_, "no-such-name", &out));
  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_get(repo_, "not a name @ all", &out));
  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_get(repo_, nullptr, &out));
  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_get(repo_, "x", nullptr));
  char* json = nullptr;
  EXPECT_EQ(ARROWCID_E_NOT_FOUND, arrowcid_log(repo_, "no-such-name", &json));
  EXPECT_EQ(nullptr, json);
}

TEST_F(Repo, ACorruptBlockIsCorrupt) {
  ArrowArrayStream input;
  Stream(0, 20000, 1, &input);  // 160 KB: one chunk, a file of its own
  char cid[ARROWCID_CID_CAP];
  ASSERT_EQ(ARROWCID_OK, arrowcid_put(repo_, &input, nullptr, cid, sizeof cid));
  std::string flip = "f=$(find '" + path_ + "/blocks' -type f -size +100k | head -1) && "
                     "printf '\\377' | dd of=\"$f\" bs=1 seek=80000 conv=notrunc status=none";
  ASSERT_EQ(0, std::system(flip.c_str()));
  ArrowArrayStream out;
  EXPECT_EQ(ARROWCID_E_CORRUPT, arrowcid_get(repo_, cid, &out));
  EXPECT_NE(nullptr, std::strstr(arrowcid_last_error(), "does not hash"));
}

class SharedMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = TempFolder("shm");
    ASSERT_EQ(ARROWCID_OK, arrowcid_shm_open(base_.c_str(), "test", &shm_)) << arrowcid_last_error();
  }
  void TearDown() override {
    arrowcid_shm_close(shm_);
    std::string command = "rm -rf '" + base_ + "'";
    ASSERT_EQ(0, std::system(command.c_str()));
  }
  std::string base_;
  arrowcid_shm* shm_ = nullptr;
};

TEST_F(SharedMemory, PublishFollowAttach) {
  uint64_t cursor = 0;
  ASSERT_EQ(ARROWCID_OK, arrowcid_shm_cursor(shm_, &cursor));
  char cids[2][ARROWCID_CID_CAP];
  for (int i = 0; i < 2; i++) {
    ArrowArrayStream input;
    Stream(i * 1000, 300000, 1, &input);  // 2.4 MB: several chunks
    ASSERT_EQ(ARROWCID_OK, arrowcid_shm_publish(shm_, &input, cids[i], sizeof cids[i])) << arrowcid_last_error();
  }
  for (int i = 0; i < 2; i++) {
    char cid[ARROWCID_CID_CAP];
    ASSERT_EQ(ARROWCID_OK, arrowcid_shm_next(shm_, &cursor, 1000, cid, sizeof cid)) << arrowcid_last_error();
    EXPECT_STREQ(cids[i], cid);
    ArrowArrayStream table;
    ASSERT_EQ(ARROWCID_OK, arrowcid_shm_attach(shm_, cid, &table)) << arrowcid_last_error();
    int64_t sum = 0, rows = 0;
    ASSERT_EQ(0, int64_stream_sum(&table, &sum, &rows, nullptr));
    EXPECT_EQ(300000, rows);
    EXPECT_EQ(Sum(i * 1000, 300000), sum);
  }
  char cid[ARROWCID_CID_CAP];
  EXPECT_EQ(ARROWCID_E_TIMEOUT, arrowcid_shm_next(shm_, &cursor, 0, cid, sizeof cid));
  char tiny[4];
  EXPECT_EQ(ARROWCID_E_BUFFER_TOO_SMALL, arrowcid_shm_next(shm_, &cursor, 0, tiny, sizeof tiny));
  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_shm_next(shm_, nullptr, 0, cid, sizeof cid));
}

TEST_F(SharedMemory, UnknownCidClosedHandle) {
  ArrowArrayStream out;
  EXPECT_EQ(ARROWCID_E_NOT_FOUND, arrowcid_shm_attach(shm_, "bafkreih3bvpfdsrqgjwe74mxclc4unpkdfmiafojy4lludvgwk2rjiwywy", &out));
  EXPECT_EQ(ARROWCID_E_INVALID_ARGUMENT, arrowcid_shm_attach(shm_, "nope", &out));
  arrowcid_shm_close(shm_);
  uint64_t cursor = 0;
  EXPECT_EQ(ARROWCID_E_CLOSED, arrowcid_shm_cursor(shm_, &cursor));
  ASSERT_EQ(ARROWCID_OK, arrowcid_shm_open(base_.c_str(), "test", &shm_));
}

// DuckDB, an independent consumer, scans a table straight from arrowcid_get through its C API.
struct DuckDbResult {
  uint64_t column_count, row_count, rows_changed;
  void *columns, *error, *internal;
};

TEST_F(Repo, DuckDbAggregatesATableFromArrowcidGet) {
  const char* library = std::getenv("ARROWCID_LIBDUCKDB");
  if (library == nullptr) {
    GTEST_SKIP() << "ARROWCID_LIBDUCKDB is not set";
  }
  void* duckdb = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(nullptr, duckdb) << dlerror();
  auto open = reinterpret_cast<int (*)(const char*, void**)>(dlsym(duckdb, "duckdb_open"));
  auto connect = reinterpret_cast<int (*)(void*, void**)>(dlsym(duckdb, "duckdb_connect"));
  auto scan = reinterpret_cast<int (*)(void*, const char*, void*)>(dlsym(duckdb, "duckdb_arrow_scan"));
  auto query = reinterpret_cast<int (*)(void*, const char*, DuckDbResult*)>(dlsym(duckdb, "duckdb_query"));
  auto value = reinterpret_cast<int64_t (*)(DuckDbResult*, uint64_t, uint64_t)>(dlsym(duckdb, "duckdb_value_int64"));
  auto destroy = reinterpret_cast<void (*)(DuckDbResult*)>(dlsym(duckdb, "duckdb_destroy_result"));
  auto disconnect = reinterpret_cast<void (*)(void**)>(dlsym(duckdb, "duckdb_disconnect"));
  auto close = reinterpret_cast<void (*)(void**)>(dlsym(duckdb, "duckdb_close"));
  ASSERT_TRUE(open && connect && scan && query && value && destroy && disconnect && close);

  ArrowArrayStream input;
  Stream(1, 100000, 3, &input);
  char cid[ARROWCID_CID_CAP];
  ASSERT_EQ(ARROWCID_OK, arrowcid_put(repo_, &input, "duck", cid, sizeof cid)) << arrowcid_last_error();
  ArrowArrayStream* table = static_cast<ArrowArrayStream*>(std::calloc(1, sizeof(ArrowArrayStream)));
  ASSERT_EQ(ARROWCID_OK, arrowcid_get(repo_, "duck", table)) << arrowcid_last_error();

  void* database = nullptr;
  void* connection = nullptr;
  ASSERT_EQ(0, open(nullptr, &database));
  ASSERT_EQ(0, connect(database, &connection));
  ASSERT_EQ(0, scan(connection, "t", table));
  DuckDbResult result;
  ASSERT_EQ(0, query(connection, "SELECT count(*), sum(v), max(v) FROM t", &result));
  EXPECT_EQ(300000, value(&result, 0, 0));
  EXPECT_EQ(Sum(1, 300000), value(&result, 1, 0));
  EXPECT_EQ(300000, value(&result, 2, 0));
  destroy(&result);
  disconnect(&connection);
  close(&database);
  if (table->release != nullptr) {
    table->release(table);
  }
  std::free(table);
}

}  // namespace
