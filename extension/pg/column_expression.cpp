// PostgreSQL regime: plain data only in these frames (see docs/design.md).
#include "pg/column_expression.hpp"
#include "pg/trusted_functions.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
}

#include "nodes/params.h"

namespace {

struct ColumnMap {
	JsonbContainer *columns;       // virtual name -> physical name
	ParseNamespaceItem *table;
	ParseState *table_level;       // the parse state `table` belongs to (subqueries have their own)
};

// The physical name behind a virtual one, or NULL when the map does not name it.
const char *mapped_column(JsonbContainer *columns, const char *name)
{
	if (columns == nullptr)
		return nullptr;
	JsonbValue found;
	if (getKeyJsonValueFromContainer(columns, name, strlen(name), &found) == nullptr || found.type != jbvString)
		return nullptr;
	return pnstrdup(found.val.string.val, found.val.string.len);
}

// Parser hook: an unqualified column name that the map knows resolves to its physical column.
Node *resolve_virtual_column(ParseState *pstate, ColumnRef *ref)
{
	ColumnMap *map = static_cast<ColumnMap *>(pstate->p_ref_hook_state);
	if (list_length(ref->fields) != 1 || !IsA(linitial(ref->fields), String))
		return nullptr;
	const char *physical = mapped_column(map->columns, strVal(linitial(ref->fields)));
	if (physical == nullptr)
		return nullptr;
	// Inside a subquery (whose parse state inherits this hook) the row is an outer reference.
	int levels_up = 0;
	ParseState *level = pstate;
	while (level != nullptr && level != map->table_level) {
		level = level->parentParseState;
		levels_up++;
	}
	if (level == nullptr)
		return nullptr;
	return scanNSItemForColumn(pstate, map->table, levels_up, physical, ref->location);
}

// `SELECT CASE ... END` (pgroll allows a whole SELECT without FROM) is the expression it selects.
Node *unwrap_trivial_select(Node *node)
{
	if (node == nullptr || !IsA(node, SubLink))
		return node;
	SubLink *sublink = castNode(SubLink, node);
	if (sublink->subLinkType != EXPR_SUBLINK || !IsA(sublink->subselect, SelectStmt))
		return node;
	SelectStmt *select = castNode(SelectStmt, sublink->subselect);
	if (select->fromClause != NIL || select->whereClause != nullptr || select->groupClause != NIL ||
	    select->havingClause != nullptr || select->sortClause != NIL || select->limitCount != nullptr ||
	    select->distinctClause != NIL || select->op != SETOP_NONE || list_length(select->targetList) != 1)
		return node;
	return unwrap_trivial_select(castNode(ResTarget, linitial(select->targetList))->val);
}

// The one expression of `expression`, parsed as PL/pgSQL parses the right side of an assignment.
Node *parse_one_expression(const char *expression, const char *what)
{
	List *parsed = raw_parser(expression, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *select = castNode(SelectStmt, castNode(RawStmt, linitial(parsed))->stmt);
	if (list_length(select->targetList) != 1 || select->fromClause != NIL || select->whereClause != nullptr)
		ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("%s must be a single expression", what),
		                errdetail("Got: %s", expression)));
	return unwrap_trivial_select(castNode(ResTarget, linitial(select->targetList))->val);
}

bool is_stable_function(Oid function, void *)
{
	return func_volatile(function) == PROVOLATILE_STABLE;
}

bool contains_stable_function(Node *node, void *context)
{
	if (node == nullptr)
		return false;
	if (check_functions_in_node(node, is_stable_function, context))
		return true;
	// PostgreSQL 15 declares the walker as `bool (*)()`; casting through `void (*)()` says we mean it.
	auto walker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(contains_stable_function));
	return expression_tree_walker(node, walker, context);
}

// An implicit cast to a type with a length (varchar(n), char(n), bit(n)) raises an error for a
// value too long; written out as SQL it would read as an explicit cast, which truncates.
bool has_implicit_length_coercion(Node *node, void *context)
{
	if (node == nullptr)
		return false;
	if (IsA(node, FuncExpr) && castNode(FuncExpr, node)->funcformat == COERCE_IMPLICIT_CAST &&
	    exprIsLengthCoercion(node, nullptr))
		return true;
	if (IsA(node, ArrayCoerceExpr) && castNode(ArrayCoerceExpr, node)->coerceformat == COERCE_IMPLICIT_CAST &&
	    castNode(ArrayCoerceExpr, node)->resulttypmod >= 0)
		return true;
	if (IsA(node, CoerceToDomain) && castNode(CoerceToDomain, node)->coercionformat == COERCE_IMPLICIT_CAST)
		return true;   // (its base type may have a length, and a domain's check runs either way)
	auto walker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(has_implicit_length_coercion));
	return expression_tree_walker(node, walker, context);
}

}  // namespace

namespace {
CompiledColumnExpression compile(Relation rel, const char *expression, JsonbContainer *columns,
                                 const char *target_column, const char *what);
}

CompiledColumnExpression compile_column_expression(Relation rel, const char *expression, JsonbContainer *columns,
                                                   const char *target_column, const char *what, const char *schema)
{
	// Errors name the expression they come from: `up expression "x + 1" for column "y": ...`.
	MemoryContext caller = CurrentMemoryContext;
	CompiledColumnExpression compiled{};
	// Names resolve in the managed schema (after pg_catalog, and with temporary objects last), as
	// pgroll's triggers resolve them on its connection; a prepared query keeps this search_path when
	// it is planned again.
	const char *search_path = psprintf("pg_catalog, %s, pg_temp", quote_identifier(schema));
	int nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		compiled = compile(rel, expression, columns, target_column, what);
		// (A query form names everything outside pg_catalog qualified: see compile_as_query.)
		compiled.search_path = compiled.query != nullptr ? "pg_catalog" : search_path;
		AtEOXact_GUC(true, nest_level);
	}
	PG_CATCH();
	{
		// Caught only to name the expression, then raised again at once: nothing runs in between, and
		// the caller's abort (of the transaction or a subtransaction) cleans up after the error, the
		// GUC level above included.
		MemoryContextSwitchTo(caller);
		ErrorData *error = CopyErrorData();
		FlushErrorState();
		error->message = psprintf("%s: %s", what, error->message);
		ReThrowError(error);
	}
	PG_END_TRY();
	return compiled;
}

namespace {

struct ParameterState {
	JsonbContainer *columns;   // virtual name -> physical name
	TupleDesc descriptor;
};

// Parser hook of the query form: a column of the row becomes parameter $attnum.
Node *column_as_parameter(ParseState *pstate, ColumnRef *ref)
{
	ParameterState *state = static_cast<ParameterState *>(pstate->p_ref_hook_state);
	if (list_length(ref->fields) != 1 || !IsA(linitial(ref->fields), String))
		return nullptr;
	const char *name = strVal(linitial(ref->fields));
	const char *physical = mapped_column(state->columns, name);
	if (physical == nullptr)
		physical = name;
	for (int i = 0; i < state->descriptor->natts; i++) {
		Form_pg_attribute attribute = TupleDescAttr(state->descriptor, i);
		if (attribute->attisdropped || strcmp(NameStr(attribute->attname), physical) != 0)
			continue;
		Param *param = makeNode(Param);
		param->paramkind = PARAM_EXTERN;
		param->paramid = attribute->attnum;
		param->paramtype = attribute->atttypid;
		param->paramtypmod = attribute->atttypmod;
		param->paramcollid = attribute->attcollation;
		param->location = ref->location;
		return reinterpret_cast<Node *>(param);
	}
	return nullptr;
}

void setup_parameters(ParseState *pstate, void *arg)
{
	pstate->p_pre_columnref_hook = column_as_parameter;
	pstate->p_ref_hook_state = arg;
}

// The query is analyzed once, with the row's columns as parameters, checked, and kept as the text
// PostgreSQL deparses from it with every name outside pg_catalog qualified. That text is what is
// prepared, and run with search_path = pg_catalog: when the plan cache analyzes it again (after a
// schema change, an ANALYZE...), its names resolve to what they resolved to here, not to a function
// planted since; and it needs no parser hook whose state would have to outlive this call.
CompiledColumnExpression compile_as_query(Relation rel, const char *source, JsonbContainer *columns, AttrNumber target)
{
	TupleDesc descriptor = RelationGetDescr(rel);
	Form_pg_attribute target_attr = TupleDescAttr(descriptor, target - 1);
	ParameterState state{columns, descriptor};
	const char *query = psprintf("SELECT CAST(%s AS %s)", source,
	                             format_type_with_typemod(target_attr->atttypid, target_attr->atttypmod));
	CompiledColumnExpression compiled{};
	compiled.target = target;
	compiled.result_length = target_attr->attlen;
	compiled.result_by_value = target_attr->attbyval;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SPIPlanPtr analyzed = SPI_prepare_params(query, setup_parameters, &state, 0);
	if (analyzed == nullptr)
		elog(ERROR, "could not prepare %s: %s", query, SPI_result_code_string(SPI_result));
	List *sources = SPI_plan_get_plan_sources(analyzed);
	if (list_length(sources) != 1 || list_length(static_cast<CachedPlanSource *>(linitial(sources))->query_list) != 1)
		elog(ERROR, "pgshift: an expression's query must be one query");
	Query *tree = linitial_node(Query, static_cast<CachedPlanSource *>(linitial(sources))->query_list);
	require_trusted_functions(reinterpret_cast<Node *>(tree), rel->rd_rel->relowner);

	int nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	const char *qualified = pg_get_querydef(tree, false);
	Oid *types = static_cast<Oid *>(palloc(sizeof(Oid) * Max(descriptor->natts, 1)));
	for (int i = 0; i < descriptor->natts; i++) {
		Form_pg_attribute attribute = TupleDescAttr(descriptor, i);
		types[i] = attribute->attisdropped ? TEXTOID : attribute->atttypid;   // (a dropped column is never named)
	}
	compiled.query = SPI_prepare(qualified, descriptor->natts, types);
	if (compiled.query == nullptr)
		elog(ERROR, "could not prepare %s: %s", qualified, SPI_result_code_string(SPI_result));
	AtEOXact_GUC(true, nest_level);
	SPI_keepplan(compiled.query);
	SPI_freeplan(analyzed);
	SPI_finish();
	return compiled;
}

CompiledColumnExpression compile(Relation rel, const char *expression, JsonbContainer *columns,
                                 const char *target_column, const char *what)
{
	AttrNumber target = get_attnum(RelationGetRelid(rel), target_column);
	if (target == InvalidAttrNumber)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("%s: column \"%s\" does not exist in table \"%s\"", what, target_column,
		                       RelationGetRelationName(rel))));
	Form_pg_attribute target_attr = TupleDescAttr(RelationGetDescr(rel), target - 1);

	// pgroll assigns `NEW.col = (expr)`: the parentheses make `SELECT ...` a scalar subquery.
	const char *source = expression[0] == '(' ? expression : psprintf("(%s)", expression);
	Node *raw = parse_one_expression(source, what);

	ParseState *pstate = make_parsestate(nullptr);
	pstate->p_sourcetext = source;
	ParseNamespaceItem *table = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, nullptr, false, true);
	addNSItemToQuery(pstate, table, true, true, true);
	ColumnMap map{columns, table, pstate};
	pstate->p_pre_columnref_hook = resolve_virtual_column;
	pstate->p_ref_hook_state = &map;

	Node *expr = transformExpr(pstate, raw, EXPR_KIND_OTHER);
	if (pstate->p_hasSubLinks) {
		free_parsestate(pstate);
		return compile_as_query(rel, source, columns, target);
	}
	if (pstate->p_hasAggs || pstate->p_hasWindowFuncs || pstate->p_hasTargetSRFs)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("aggregates, window and set-returning functions are not allowed here")));
	Oid type = exprType(expr);
	Node *coerced = coerce_to_target_type(pstate, expr, type, target_attr->atttypid, target_attr->atttypmod,
	                                      COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	if (coerced == nullptr)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("its value is of type %s but column \"%s\" is of type %s", format_type_be(type),
		                       target_column, format_type_be(target_attr->atttypid))));
	assign_expr_collations(pstate, coerced);
	free_parsestate(pstate);
	// Before planning: the planner runs immutable functions on constants and inlines SQL functions.
	require_trusted_functions(coerced, rel->rd_rel->relowner);

	Expr *planned = expression_planner(reinterpret_cast<Expr *>(coerced));
	require_trusted_functions(reinterpret_cast<Node *>(planned), rel->rd_rel->relowner);
	CompiledColumnExpression compiled{};
	compiled.target = target;
	compiled.state = ExecInitExpr(planned, nullptr);
	Expr *set_value = expression_planner(static_cast<Expr *>(copyObjectImpl(expr)));
	require_trusted_functions(reinterpret_cast<Node *>(set_value), rel->rd_rel->relowner);
	compiled.set_value = has_implicit_length_coercion(reinterpret_cast<Node *>(set_value), nullptr)
	                         ? nullptr : reinterpret_cast<Node *>(set_value);
	compiled.depends_on_settings = contains_stable_function(reinterpret_cast<Node *>(planned), nullptr);
	return compiled;
}

}  // namespace

Datum evaluate_column_expression(const CompiledColumnExpression &compiled, TupleTableSlot *slot, ExprContext *econtext,
                                 bool *isnull)
{
	if (compiled.state != nullptr) {
		econtext->ecxt_scantuple = slot;
		return ExecEvalExprSwitchContext(compiled.state, econtext, isnull);
	}
	MemoryContext caller = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	slot_getallattrs(slot);
	int count = slot->tts_tupleDescriptor->natts;
	ParamListInfo parameters = makeParamList(count);
	for (int i = 0; i < count; i++) {
		parameters->params[i].value = slot->tts_values[i];
		parameters->params[i].isnull = slot->tts_isnull[i];
		parameters->params[i].pflags = PARAM_FLAG_CONST;
		parameters->params[i].ptype = TupleDescAttr(slot->tts_tupleDescriptor, i)->atttypid;
	}
	// PostgreSQL plans a prepared query again when search_path differs from the one it was planned
	// with, resolving names anew: run it with the managed schema's.
	int nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", compiled.search_path, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
	                         false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_plan_with_paramlist(compiled.query, parameters, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "pgshift: the expression's query returned no row");
	Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	if (!*isnull)
		value = SPI_datumTransfer(value, compiled.result_by_value, compiled.result_length);
	SPI_finish();
	AtEOXact_GUC(true, nest_level);
	MemoryContextSwitchTo(caller);
	return value;
}

void release_column_expression(CompiledColumnExpression &compiled)
{
	if (compiled.query != nullptr)
		SPI_freeplan(compiled.query);
	compiled.query = nullptr;
}

const char *set_value_sql(Relation rel, Node *set_value)
{
	if (set_value == nullptr)
		return nullptr;
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	const char *volatile sql = nullptr;
	// Deparsing or parsing back may fail (a node ruleutils prints but the parser does not take):
	// that only means the trigger computes it, so the attempt runs in a subtransaction.
	BeginInternalSubTransaction(nullptr);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		int nest_level = NewGUCNestLevel();
		// Every name outside pg_catalog qualified; parsed back as the batch parses it.
		(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		const char *text = deparse_expression(set_value, deparse_context_for("_pgshift_t", RelationGetRelid(rel)), true, true);
		(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
		                         false);
		const char *source = psprintf("(%s)", text);
		Node *raw = parse_one_expression(source, "a backfill's SET value");
		ParseState *pstate = make_parsestate(nullptr);
		pstate->p_sourcetext = source;
		ParseNamespaceItem *table =
		    addRangeTableEntryForRelation(pstate, rel, AccessShareLock, makeAlias("_pgshift_t", NIL), false, true);
		addNSItemToQuery(pstate, table, true, true, true);
		Node *parsed = transformExpr(pstate, raw, EXPR_KIND_UPDATE_SOURCE);
		assign_expr_collations(pstate, parsed);
		bool subqueries = pstate->p_hasSubLinks;
		free_parsestate(pstate);
		// (equal() ignores locations and how casts are spelled, not what they do: a collation, a
		// length coercion's explicitness, a folded constant all count.)
		if (!subqueries && equal(expression_planner(reinterpret_cast<Expr *>(parsed)), set_value))
			sql = text;
		AtEOXact_GUC(true, nest_level);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		sql = nullptr;
	}
	PG_END_TRY();
	return sql;
}
