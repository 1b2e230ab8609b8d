// See jsonb_builder.hpp.
#include "pg/jsonb_builder.hpp"

extern "C" {
#include "utils/numeric.h"
}

void jb_init(JsonbBuilder *b)
{
	b->state = NULL;
	b->result = NULL;
}

Jsonb *jb_finish(JsonbBuilder *b)
{
	Assert(b->state == NULL && b->result != NULL);
	return JsonbValueToJsonb(b->result);
}

// Scalars are object values when the innermost open container is an object (jb_key came just
// before), array elements otherwise.
static void push_scalar(JsonbBuilder *b, JsonbValue *value)
{
	JsonbIteratorToken token = b->state->contVal.type == jbvObject ? WJB_VALUE : WJB_ELEM;
	pushJsonbValue(&b->state, token, value);
}

// Closing the outermost container returns the finished value; inner ones return NULL.
static void push_end(JsonbBuilder *b, JsonbIteratorToken token)
{
	JsonbValue *finished = pushJsonbValue(&b->state, token, NULL);
	if (b->state == NULL)
		b->result = finished;
}

void jb_begin_object(JsonbBuilder *b)
{
	pushJsonbValue(&b->state, WJB_BEGIN_OBJECT, NULL);
}

void jb_end_object(JsonbBuilder *b)
{
	push_end(b, WJB_END_OBJECT);
}

void jb_begin_array(JsonbBuilder *b)
{
	pushJsonbValue(&b->state, WJB_BEGIN_ARRAY, NULL);
}

void jb_end_array(JsonbBuilder *b)
{
	push_end(b, WJB_END_ARRAY);
}

// The builder keeps pointers to the strings until jb_finish, and the caller's strings often live
// in caches (relcache, syscache) that may be rebuilt meanwhile: copy them.
static void set_string(JsonbValue *v, const char *s)
{
	size_t len = strlen(s);
	v->type = jbvString;
	v->val.string.len = (int) len;
	v->val.string.val = pnstrdup(s, len);
}

void jb_key(JsonbBuilder *b, const char *key)
{
	JsonbValue v;
	set_string(&v, key);
	pushJsonbValue(&b->state, WJB_KEY, &v);
}

void jb_string(JsonbBuilder *b, const char *value)
{
	JsonbValue v;
	set_string(&v, value);
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
	JsonbValue v;
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	push_scalar(b, &v);
}

void jb_string_field(JsonbBuilder *b, const char *key, const char *value)
{
	if (value == NULL)
		return;
	jb_key(b, key);
	jb_string(b, value);
}

void jb_bool_field(JsonbBuilder *b, const char *key, bool value)
{
	jb_key(b, key);
	jb_bool(b, value);
}

void jb_int_field(JsonbBuilder *b, const char *key, int64 value)
{
	jb_key(b, key);
	jb_int(b, value);
}
