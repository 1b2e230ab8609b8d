// The C++ method converts; the parsing runs in find_column_references, a PostgreSQL-regime frame
// owning no C++ object, whose PG_TRY sits below every C++ frame: a syntax error comes back as a
// message, and the method throws it as a pgshift::Error for the bridge to raise again.
#include "pg/expression_parser.hpp"

#include "core/error.hpp"

extern "C" {
#include "postgres.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/memutils.h"
}

namespace {

struct FoundReference {
	int offset;
	int length;
	char *name;
};

struct Found {
	const char *text;
	FoundReference *items;
	int count;
	int capacity;
};

// Bytes of the identifier token starting at `start` (quoted or not).
int token_length(const char *text, int start)
{
	int i = start;
	if (text[i] == '"') {
		for (i++; text[i] != '\0'; i++)
			if (text[i] == '"') {
				if (text[i + 1] != '"')
					return i + 1 - start;
				i++;
			}
		return i - start;
	}
	while (text[i] != '\0' && (isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '$' ||
	                           static_cast<unsigned char>(text[i]) >= 0x80))
		i++;
	return i - start;
}

bool collect_column_references(Node *node, void *context)
{
	if (node == nullptr)
		return false;
	if (IsA(node, ColumnRef)) {
		ColumnRef *ref = castNode(ColumnRef, node);
		if (list_length(ref->fields) == 1 && IsA(linitial(ref->fields), String) && ref->location >= 0) {
			Found *found = static_cast<Found *>(context);
			if (found->count == found->capacity) {
				found->capacity = found->capacity * 2 + 8;
				found->items = static_cast<FoundReference *>(
				    found->items == nullptr ? palloc(sizeof(FoundReference) * found->capacity)
				                            : repalloc(found->items, sizeof(FoundReference) * found->capacity));
			}
			found->items[found->count++] = {ref->location, token_length(found->text, ref->location),
			                                strVal(linitial(ref->fields))};
		}
		return false;
	}
	// PostgreSQL 15 declares the walker as `bool (*)()`; casting through `void (*)()` says we mean it.
	auto walker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(collect_column_references));
	return raw_expression_tree_walker(node, walker, context);
}

// Parses `expression` as PL/pgSQL parses an expression. Returns false and sets *error on failure.
bool find_column_references(const char *expression, Found *found, char **error)
{
	MemoryContext caller = CurrentMemoryContext;
	volatile bool ok = true;
	found->text = expression;
	PG_TRY();
	{
		List *parsed = raw_parser(expression, RAW_PARSE_PLPGSQL_EXPR);
		collect_column_references(castNode(RawStmt, linitial(parsed))->stmt, found);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		ErrorData *data = CopyErrorData();
		FlushErrorState();
		*error = data->message;
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

}  // namespace

std::vector<pgshift::ColumnReference> PostgresExpressionParser::column_references(const std::string &expression) const
{
	Found found{};
	char *error = nullptr;
	if (!find_column_references(expression.c_str(), &found, &error))
		throw pgshift::Error("42601", std::string("cannot parse SQL expression \"") + expression + "\": " + error);
	std::vector<pgshift::ColumnReference> references;
	for (int i = 0; i < found.count; i++)
		references.push_back({static_cast<std::size_t>(found.items[i].offset),
		                      static_cast<std::size_t>(found.items[i].length), found.items[i].name});
	return references;
}
