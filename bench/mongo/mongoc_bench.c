/* libmongoc's synchronous C driver on the same DriverBench tasks, serially:
 *   bench_mongo_mongoc <uri> <find|insert> <ops>
 * Prints {"ops": N, "seconds": s, "cpu_us_per_op": c} like bench_mongo_gale. */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bson_t* small_doc(void) {
  return BCON_NEW("field1", BCON_UTF8("miNVpaKW"), "field2", BCON_UTF8("CS5VwrwN"), "field3",
                  BCON_UTF8("Oq5Csk1w"), "field4", BCON_UTF8("ZPm57dhu"), "field5",
                  BCON_UTF8("gxUpzIjg"), "field6", BCON_UTF8("Smo9whci"), "field7",
                  BCON_UTF8("TW34kfzq"), "field8", BCON_INT32(55336395), "field9",
                  BCON_INT32(41992681), "field10", BCON_INT32(72188733), "field11",
                  BCON_INT32(46660880), "field12", BCON_INT32(3527055));
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <uri> <find|insert> <ops>\n", argv[0]);
    return 2;
  }
  int find = strcmp(argv[2], "find") == 0;
  int ops = atoi(argv[3]);
  mongoc_init();
  mongoc_client_t* client = mongoc_client_new(argv[1]);
  mongoc_collection_t* coll =
      mongoc_client_get_collection(client, "gale_bench", find ? "mongoc_find" : "mongoc_insert");
  bson_error_t error;
  mongoc_collection_drop(coll, NULL);
  if (find) {
    for (int i = 0; i < 100; ++i) { /* 100 documents, as bench_mongo_gale (FerretDB scans) */
      bson_t* d = small_doc();
      BSON_APPEND_INT32(d, "_id", i);
      if (!mongoc_collection_insert_one(coll, d, NULL, NULL, &error)) {
        fprintf(stderr, "%s\n", error.message);
        return 1;
      }
      bson_destroy(d);
    }
  }
  double cpu0 = cpu_seconds(), t0 = now();
  for (int i = 0; i < ops; ++i) {
    if (find) {
      bson_t* filter = BCON_NEW("_id", BCON_INT32(i % 100));
      bson_t* opts = BCON_NEW("limit", BCON_INT64(1), "singleBatch", BCON_BOOL(1));
      mongoc_cursor_t* c = mongoc_collection_find_with_opts(coll, filter, opts, NULL);
      const bson_t* doc;
      if (!mongoc_cursor_next(c, &doc)) {
        fprintf(stderr, "missing %d\n", i);
        return 1;
      }
      mongoc_cursor_destroy(c);
      bson_destroy(opts);
      bson_destroy(filter);
    } else {
      bson_t* d = small_doc();
      if (!mongoc_collection_insert_one(coll, d, NULL, NULL, &error)) {
        fprintf(stderr, "%s\n", error.message);
        return 1;
      }
      bson_destroy(d);
    }
  }
  double wall = now() - t0, cpu = cpu_seconds() - cpu0;
  printf("{\"ops\": %d, \"seconds\": %.4f, \"cpu_us_per_op\": %.2f}\n", ops, wall, cpu * 1e6 / ops);
  mongoc_collection_drop(coll, NULL);
  mongoc_collection_destroy(coll);
  mongoc_client_destroy(client);
  mongoc_cleanup();
  return 0;
}
