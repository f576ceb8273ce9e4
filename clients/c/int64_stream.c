/* int64_stream: see int64_stream.h. C99. */
#include "int64_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct producer {
  int64_t next_value;
  int64_t rows;
  int batches;
  int produced;
  int fail_at;
};

/* One exported batch: the struct array, its one child and their buffers, freed together. */
struct batch {
  struct ArrowArray child;
  struct ArrowArray* children[1];
  const void* top_buffers[1];
  const void* child_buffers[2];
  int64_t* values;
};

/* A schema node and its one child, freed together. */
struct schema_nodes {
  struct ArrowSchema child;
  struct ArrowSchema* children[1];
};

static void release_child_schema(struct ArrowSchema* schema) { schema->release = NULL; }

static void release_schema(struct ArrowSchema* schema) {
  free(schema->private_data);
  schema->release = NULL;
}

static void release_child_array(struct ArrowArray* array) { array->release = NULL; }

static void release_array(struct ArrowArray* array) {
  struct batch* batch = (struct batch*)array->private_data;
  free(batch->values);
  free(batch);
  array->release = NULL;
}

static int get_schema(struct ArrowArrayStream* stream, struct ArrowSchema* out) {
  (void)stream;
  struct schema_nodes* nodes = (struct schema_nodes*)calloc(1, sizeof(struct schema_nodes));
  if (nodes == NULL) {
    return ENOMEM;
  }
  nodes->child.format = "l";
  nodes->child.name = "v";
  nodes->child.release = release_child_schema;
  nodes->children[0] = &nodes->child;
  memset(out, 0, sizeof(*out));
  out->format = "+s";
  out->name = "";
  out->n_children = 1;
  out->children = nodes->children;
  out->release = release_schema;
  out->private_data = nodes;
  return 0;
}

static int get_next(struct ArrowArrayStream* stream, struct ArrowArray* out) {
  struct producer* producer = (struct producer*)stream->private_data;
  memset(out, 0, sizeof(*out));
  if (producer->produced == producer->fail_at) {
    return EIO;
  }
  if (producer->produced == producer->batches) {
    return 0; /* end of stream: out->release stays NULL */
  }
  struct batch* batch = (struct batch*)calloc(1, sizeof(struct batch));
  int64_t* values = (int64_t*)malloc((size_t)(producer->rows > 0 ? producer->rows : 1) * sizeof(int64_t));
  if (batch == NULL || values == NULL) {
    free(batch);
    free(values);
    return ENOMEM;
  }
  for (int64_t i = 0; i < producer->rows; i++) {
    values[i] = producer->next_value++;
  }
  batch->values = values;
  batch->child_buffers[0] = NULL;
  batch->child_buffers[1] = values;
  batch->child.length = producer->rows;
  batch->child.n_buffers = 2;
  batch->child.buffers = batch->child_buffers;
  batch->child.release = release_child_array;
  batch->children[0] = &batch->child;
  batch->top_buffers[0] = NULL;
  out->length = producer->rows;
  out->n_buffers = 1;
  out->buffers = batch->top_buffers;
  out->n_children = 1;
  out->children = batch->children;
  out->release = release_array;
  out->private_data = batch;
  producer->produced++;
  return 0;
}

static const char* get_last_error(struct ArrowArrayStream* stream) {
  (void)stream;
  return "int64_stream: failing on purpose";
}

static void release_stream(struct ArrowArrayStream* stream) {
  free(stream->private_data);
  stream->release = NULL;
}

int int64_stream_make(struct ArrowArrayStream* out, int64_t first, int64_t rows, int batches, int fail_at) {
  struct producer* producer = (struct producer*)calloc(1, sizeof(struct producer));
  if (producer == NULL) {
    return ENOMEM;
  }
  producer->next_value = first;
  producer->rows = rows;
  producer->batches = batches;
  producer->fail_at = fail_at;
  out->get_schema = get_schema;
  out->get_next = get_next;
  out->get_last_error = get_last_error;
  out->release = release_stream;
  out->private_data = producer;
  return 0;
}

int int64_stream_sum(struct ArrowArrayStream* stream, int64_t* sum, int64_t* rows, const char** error) {
  struct ArrowSchema schema;
  int code = stream->get_schema(stream, &schema);
  *sum = 0;
  *rows = 0;
  if (code == 0) {
    schema.release(&schema);
    for (;;) {
      struct ArrowArray array;
      code = stream->get_next(stream, &array);
      if (code != 0 || array.release == NULL) {
        break;
      }
      const struct ArrowArray* column = array.children[0];
      const int64_t* values = (const int64_t*)column->buffers[1];
      for (int64_t i = 0; i < column->length; i++) {
        *sum += values[column->offset + i];
      }
      *rows += column->length;
      array.release(&array);
    }
  }
  if (code != 0 && error != NULL) {
    *error = stream->get_last_error(stream);
  }
  stream->release(stream);
  return code;
}
