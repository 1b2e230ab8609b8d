// pgshift._view_columns(view oid) -> (view_column, table_oid, table_column): the table column behind
// each column of a view that is a plain projection of one table (what version views are), read
// from the view's own query, so it is right whatever the columns are called now. No row for any
// other view (an expression column, a join, grouping, set operations...).
//
// PostgreSQL regime: plain data only in these frames (see docs/design.md).
extern "C" {
#include "postgres.h"
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "funcapi.h"
#include "nodes/parsenodes.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(pgshift_view_columns);
}

namespace {

// The range-table entry of the view's one table, or nullptr when the view is no plain projection.
RangeTblEntry *projected_table(Query *query)
{
	if (query->setOperations != nullptr || query->groupClause != NIL || query->havingQual != nullptr ||
	    query->distinctClause != NIL || query->hasAggs || query->hasWindowFuncs || query->hasTargetSRFs ||
	    query->cteList != NIL || query->jointree == nullptr || list_length(query->jointree->fromlist) != 1 ||
	    !IsA(linitial(query->jointree->fromlist), RangeTblRef))
		return nullptr;
	auto *reference = static_cast<RangeTblRef *>(linitial(query->jointree->fromlist));
	RangeTblEntry *entry = rt_fetch(reference->rtindex, query->rtable);
	return entry->rtekind == RTE_RELATION ? entry : nullptr;
}

}  // namespace

extern "C" Datum pgshift_view_columns(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	auto *result = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	Relation view = try_relation_open(PG_GETARG_OID(0), AccessShareLock);
	if (view == nullptr)
		PG_RETURN_VOID();
	if (view->rd_rel->relkind != RELKIND_VIEW) {
		relation_close(view, AccessShareLock);
		PG_RETURN_VOID();
	}
	Query *query = get_view_query(view);
	RangeTblEntry *table = projected_table(query);
	int base_index = table == nullptr ? 0 : static_cast<RangeTblRef *>(linitial(query->jointree->fromlist))->rtindex;
	// Every column must be a column of the table, or the view is not one of these.
	bool plain = table != nullptr;
	ListCell *cell;
	foreach (cell, query->targetList) {
		auto *column = static_cast<TargetEntry *>(lfirst(cell));
		if (column->resjunk)
			continue;
		if (!IsA(column->expr, Var) || reinterpret_cast<Var *>(column->expr)->varno != base_index ||
		    reinterpret_cast<Var *>(column->expr)->varattno <= 0)
			plain = false;
	}
	if (plain)
		foreach (cell, query->targetList) {
			auto *column = static_cast<TargetEntry *>(lfirst(cell));
			if (column->resjunk)
				continue;
			auto *var = reinterpret_cast<Var *>(column->expr);
			Datum values[3] = {CStringGetDatum(column->resname), ObjectIdGetDatum(table->relid),
			                   CStringGetDatum(get_attname(table->relid, var->varattno, false))};
			Datum names[3] = {DirectFunctionCall1(namein, values[0]), values[1], DirectFunctionCall1(namein, values[2])};
			bool nulls[3] = {false, false, false};
			tuplestore_putvalues(result->setResult, result->setDesc, names, nulls);
		}
	relation_close(view, AccessShareLock);
	PG_RETURN_VOID();
}
