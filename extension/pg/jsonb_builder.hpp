// A small writer that builds a jsonb value directly with pushJsonbValue, so read_schema never
// prints JSON text only to parse it again. Plain C style: the builder is a POD, every string is
// copied with palloc into the current memory context, and errors are PostgreSQL errors.
//
// Null values are simply not written (the *_field helpers skip NULL strings), which gives the
// same result as pgroll's jsonb_strip_nulls.
#pragma once

extern "C" {
#include "postgres.h"
#include "utils/jsonb.h"
}

struct JsonbBuilder
{
	JsonbParseState *state;
	JsonbValue *result;
	MemoryContext context;	/* where the value is built: the caller's context at jb_init */
};

void jb_init(JsonbBuilder *b);
Jsonb *jb_finish(JsonbBuilder *b);

void jb_begin_object(JsonbBuilder *b);
void jb_end_object(JsonbBuilder *b);
void jb_begin_array(JsonbBuilder *b);
void jb_end_array(JsonbBuilder *b);

// A key inside an object; the next value written belongs to it.
void jb_key(JsonbBuilder *b, const char *key);

// Scalars: an object member's value right after jb_key, otherwise an array element.
void jb_string(JsonbBuilder *b, const char *value);
void jb_bool(JsonbBuilder *b, bool value);
void jb_int(JsonbBuilder *b, int64 value);

// key + value in one call; jb_string_field writes nothing when value is NULL.
void jb_string_field(JsonbBuilder *b, const char *key, const char *value);
void jb_bool_field(JsonbBuilder *b, const char *key, bool value);
void jb_int_field(JsonbBuilder *b, const char *key, int64 value);
