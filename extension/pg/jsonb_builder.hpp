// A small writer that builds a jsonb value directly with pushJsonbValue, so read_schema never
// prints JSON text only to parse it again. Plain C style: the builder is a POD, and errors are
// PostgreSQL errors. Strings given as values, and keys given to jb_key, are copied into the
// builder's own memory context, so callers may write from short-lived scratch memory.
//
// Null values are simply not written (jb_string_field skips NULL), which gives the same result
// as pgroll's jsonb_strip_nulls.
//
// jsonb stores an object's keys sorted (shorter keys first, then bytewise) and sorts each object
// when it is closed. Writers that know their keys write them in that order, which leaves the sort
// nothing to do; the order of the output is the same either way.
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
Jsonb *jb_finish(JsonbBuilder *b);	/* the result, in the current memory context */

void jb_begin_object(JsonbBuilder *b);
void jb_end_object(JsonbBuilder *b);
void jb_begin_array(JsonbBuilder *b);
void jb_end_array(JsonbBuilder *b);

// A key inside an object (copied); the next value written belongs to it.
void jb_key(JsonbBuilder *b, const char *key);

// Scalars: an object member's value right after a key, otherwise an array element.
void jb_string(JsonbBuilder *b, const char *value);
void jb_bool(JsonbBuilder *b, bool value);
void jb_int(JsonbBuilder *b, int64 value);

// key + value in one call. These keys must be string literals: they are not copied.
// jb_string_field writes nothing when value is NULL.
void jb_field(JsonbBuilder *b, const char *literal_key);	/* the key alone, for containers */
void jb_string_field(JsonbBuilder *b, const char *literal_key, const char *value);
void jb_bool_field(JsonbBuilder *b, const char *literal_key, bool value);
void jb_int_field(JsonbBuilder *b, const char *literal_key, int64 value);
