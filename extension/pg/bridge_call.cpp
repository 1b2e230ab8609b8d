#include "pg/bridge_call.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

namespace {

struct OwnedResult {
	MemoryContextCallback callback;
	BridgeResult result;
};

void free_owned_result(void *arg)
{
	bridge_result_free(&static_cast<OwnedResult *>(arg)->result);
}

// Moves the result into a palloc'd holder whose reset callback frees the malloc'd parts.
BridgeResult *own(BridgeResult *result)
{
	OwnedResult *owned = static_cast<OwnedResult *>(palloc0(sizeof(OwnedResult)));
	owned->result = *result;
	*result = BridgeResult{};
	owned->callback.func = free_owned_result;
	owned->callback.arg = owned;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &owned->callback);
	return &owned->result;
}

void raise_if_error(const BridgeResult *result)
{
	if (result->error == nullptr)
		return;
	const char *s = result->sqlstate;
	ereport(ERROR, (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])), errmsg_internal("%s", result->error),
	                result->hint != nullptr ? errhint("%s", result->hint) : 0));
}

}  // namespace

char *bridge_take_text(BridgeResult *result)
{
	BridgeResult *owned = own(result);
	raise_if_error(owned);
	return pstrdup(owned->text != nullptr ? owned->text : "");
}

Datum bridge_take_text_array(BridgeResult *result)
{
	BridgeResult *owned = own(result);
	raise_if_error(owned);
	Datum *elements = static_cast<Datum *>(palloc(sizeof(Datum) * (owned->item_count + 1)));
	for (int i = 0; i < owned->item_count; i++)
		elements[i] = PointerGetDatum(cstring_to_text(owned->items[i]));
	return PointerGetDatum(construct_array(elements, owned->item_count, TEXTOID, -1, false, TYPALIGN_INT));
}
