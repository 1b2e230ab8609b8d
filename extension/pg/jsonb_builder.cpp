// See jsonb_builder.hpp.
#include "pg/jsonb_builder.hpp"

extern "C" {
#include "utils/numeric.h"
}

void jb_init(JsonbBuilder *b)
{
	b->state = NULL;
	b->result = NULL;
	b->context = CurrentMemoryContext;
}

Jsonb *jb_finish(JsonbBuilder *b)
{
	Assert(b->state == NULL && b->result != NULL);
	return JsonbValueToJsonb(b->result);
}

// Every push allocates in the builder's context (the value outlives the callers' scratch memory).
static JsonbValue *push(JsonbBuilder *b, JsonbIteratorToken token, JsonbValue *value)
{
	MemoryContext caller = MemoryContextSwitchTo(b->context);
	JsonbValue *result = pushJsonbValue(&b->state, token, value);
	MemoryContextSwitchTo(caller);
	return result;
}

// Scalars are object values when the innermost open container is an object (a key came just
// before), array elements otherwise.
static void push_scalar(JsonbBuilder *b, JsonbValue *value)
{
	push(b, b->state->contVal.type == jbvObject ? WJB_VALUE : WJB_ELEM, value);
}

// Closing the outermost container returns the finished value; inner ones return NULL.
static void push_end(JsonbBuilder *b, JsonbIteratorToken token)
{
	JsonbValue *finished = push(b, token, NULL);
	if (b->state == NULL)
		b->result = finished;
}

void jb_begin_object(JsonbBuilder *b)
{
	push(b, WJB_BEGIN_OBJECT, NULL);
}

void jb_end_object(JsonbBuilder *b)
{
	push_end(b, WJB_END_OBJECT);
}

void jb_begin_array(JsonbBuilder *b)
{
	push(b, WJB_BEGIN_ARRAY, NULL);
}

void jb_end_array(JsonbBuilder *b)
{
	push_end(b, WJB_END_ARRAY);
}

static void set_string(JsonbValue *v, const char *s, size_t len)
{
	v->type = jbvString;
	v->val.string.len = (int) len;
	v->val.string.val = (char *) s;
}

// The builder keeps pointers to its strings until jb_finish, and the callers' strings often live
// in caches (relcache, syscache) or scratch memory that may be gone by then: copy them.
static void set_string_copy(JsonbBuilder *b, JsonbValue *v, const char *s)
{
	size_t len = strlen(s);
	char *copy = (char *) MemoryContextAlloc(b->context, len + 1);

	memcpy(copy, s, len + 1);
	set_string(v, copy, len);
}

void jb_key(JsonbBuilder *b, const char *key)
{
	JsonbValue v;
	set_string_copy(b, &v, key);
	push(b, WJB_KEY, &v);
}

void jb_field(JsonbBuilder *b, const char *literal_key)
{
	JsonbValue v;
	set_string(&v, literal_key, strlen(literal_key));
	push(b, WJB_KEY, &v);
}

void jb_string(JsonbBuilder *b, const char *value)
{
	JsonbValue v;
	set_string_copy(b, &v, value);
	push_scalar(b, &v);
}

void jb_bool(JsonbBuilder *b, bool value)
{
	JsonbValue v;
	v.type = jbvBool;
	v.val.boolean = value;
	push_scalar(b, &v);
}

void jb_int(JsonbBuilder *b, int64 value)
{
	MemoryContext caller = MemoryContextSwitchTo(b->context);
	JsonbValue v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	MemoryContextSwitchTo(caller);
	push_scalar(b, &v);
}

void jb_string_field(JsonbBuilder *b, const char *literal_key, const char *value)
{
	if (value == NULL)
		return;
	jb_field(b, literal_key);
	jb_string(b, value);
}

void jb_bool_field(JsonbBuilder *b, const char *literal_key, bool value)
{
	jb_field(b, literal_key);
	jb_bool(b, value);
}

void jb_int_field(JsonbBuilder *b, const char *literal_key, int64 value)
{
	jb_field(b, literal_key);
	jb_int(b, value);
}
