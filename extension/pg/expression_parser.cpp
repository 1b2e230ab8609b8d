// The C++ methods convert; the parsing runs behind call_postgres (pg/postgres_guard.hpp), in
// PostgreSQL-regime frames owning no C++ object: a syntax error is rolled back with its
// subtransaction and comes back as a pgshift::Error for the bridge to raise again.
#include "pg/expression_parser.hpp"
#include "pg/postgres_guard.hpp"

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

}  // namespace

pgshift::ExpressionParser::DefaultKind PostgresExpressionParser::default_kind(const std::string &expression,
                                                                           const std::string &type) const
{
	// Whether `expression` coerced to `type` calls volatile functions, as cookDefault would see it.
	VolatilityCheck check{expression.c_str(), type.c_str(), 0};
	auto work = [&check]() { check_volatility(&check); };
	call_postgres("invalid default \"" + expression + "\" for type " + type, work);
	return check.kind == 0 ? DefaultKind::incompatible : check.kind == 2 ? DefaultKind::volatile_ : DefaultKind::stable;
}

std::vector<pgshift::ColumnReference> PostgresExpressionParser::column_references(const std::string &expression) const
{
	// Parses `expression` as PL/pgSQL parses an expression.
	Found found{};
	found.text = expression.c_str();
	ReferenceSearch search{expression.c_str(), &found};
	auto work = [&search]() { search_references(&search); };
	call_postgres("cannot parse SQL expression \"" + expression + "\"", work);
	std::vector<pgshift::ColumnReference> references;
	for (int i = 0; i < found.count; i++)
		references.push_back({static_cast<std::size_t>(found.items[i].offset),
		                      static_cast<std::size_t>(found.items[i].length), found.items[i].name});
	return references;
}
