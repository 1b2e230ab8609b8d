// The C++ method converts; the parsing runs in find_column_references, a PostgreSQL-regime frame
// owning no C++ object, whose PG_TRY sits below every C++ frame, in a subtransaction: a syntax error
// is rolled back with it and comes back as a message, which the method throws as a pgshift::Error
// for the bridge to raise again.
#include "pg/expression_parser.hpp"

#include "core/error.hpp"

extern "C" {
#include "postgres.h"
#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
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

// Runs work(argument) in a subtransaction: on an error the subtransaction is rolled back (the only
// safe way to go on after an error), and false is returned with the error's message and SQLSTATE.
bool in_subtransaction(void (*work)(void *), void *argument, char **error, const char **sqlstate)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;
	BeginInternalSubTransaction(nullptr);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		work(argument);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		ErrorData *data = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		*error = data->message;
		*sqlstate = unpack_sql_state(data->sqlerrcode);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

struct ReferenceSearch {
	const char *expression;
	Found *found;
};

void search_references(void *argument)
{
	auto *search = static_cast<ReferenceSearch *>(argument);
	List *parsed = raw_parser(search->expression, RAW_PARSE_PLPGSQL_EXPR);
	collect_column_references(castNode(RawStmt, linitial(parsed))->stmt, search->found);
}

// Parses `expression` as PL/pgSQL parses an expression. Returns false and sets *error on failure.
bool find_column_references(const char *expression, Found *found, char **error, const char **sqlstate)
{
	found->text = expression;
	ReferenceSearch search{expression, found};
	return in_subtransaction(search_references, &search, error, sqlstate);
}

struct VolatilityCheck {
	const char *expression;
	const char *type;
	int kind;
};

void check_volatility(void *argument)
{
	auto *check = static_cast<VolatilityCheck *>(argument);
	Oid type_oid;
	int32 typmod;
	typenameTypeIdAndMod(nullptr, typeStringToTypeName(check->type), &type_oid, &typmod);
	List *parsed = raw_parser(check->expression, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *select = castNode(SelectStmt, castNode(RawStmt, linitial(parsed))->stmt);
	Node *raw = castNode(ResTarget, linitial(select->targetList))->val;
	ParseState *pstate = make_parsestate(nullptr);
	Node *expr = transformExpr(pstate, raw, EXPR_KIND_COLUMN_DEFAULT);
	expr = coerce_to_target_type(pstate, expr, exprType(expr), type_oid, typmod, COERCION_ASSIGNMENT,
	                             COERCE_IMPLICIT_CAST, -1);
	check->kind = expr == nullptr ? 0 : contain_volatile_functions(expr) ? 2 : 1;
	free_parsestate(pstate);
}

// Whether `expression` coerced to `type` calls volatile functions, as cookDefault would see it.
bool check_default_volatility(const char *expression, const char *type, int *kind, char **error,
                              const char **sqlstate)
{
	VolatilityCheck check{expression, type, 0};
	bool ok = in_subtransaction(check_volatility, &check, error, sqlstate);
	*kind = check.kind;
	return ok;
}

}  // namespace

pgshift::ExpressionParser::DefaultKind PostgresExpressionParser::default_kind(const std::string &expression,
                                                                           const std::string &type) const
{
	int kind = 0;
	char *error = nullptr;
	const char *sqlstate = nullptr;
	if (!check_default_volatility(expression.c_str(), type.c_str(), &kind, &error, &sqlstate))
		throw pgshift::Error(sqlstate, std::string("invalid default \"") + expression + "\" for type " + type + ": " + error);
	return kind == 0 ? DefaultKind::incompatible : kind == 2 ? DefaultKind::volatile_ : DefaultKind::stable;
}

std::vector<pgshift::ColumnReference> PostgresExpressionParser::column_references(const std::string &expression) const
{
	Found found{};
	char *error = nullptr;
	const char *sqlstate = nullptr;
	if (!find_column_references(expression.c_str(), &found, &error, &sqlstate))
		throw pgshift::Error(sqlstate, std::string("cannot parse SQL expression \"") + expression + "\": " + error);
	std::vector<pgshift::ColumnReference> references;
	for (int i = 0; i < found.count; i++)
		references.push_back({static_cast<std::size_t>(found.items[i].offset),
		                      static_cast<std::size_t>(found.items[i].length), found.items[i].name});
	return references;
}
