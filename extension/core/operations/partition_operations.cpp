// create_partition and detach_partition (pgshift's extensions of the format).
//
// create_partition: a new partition of a partitioned table.
//
// On a table that exists, the partition is made as an ordinary table shaped like its parent and then
// attached: ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent, which lets the application
// read and write throughout, where CREATE TABLE ... PARTITION OF takes ACCESS EXCLUSIVE and queues
// every query on the table behind it. The new table is empty, so the attach's bound check reads
// nothing (a default partition, if the table has one, is read under its own lock). A partition is
// storage, not schema: both versions see the rows routed to it. Rollback drops it, but only while it
// is empty: rows written into it during the migration were written through one of the versions, and
// dropping them would lose them.
//
// detach_partition: the partition stays part of the table for both versions until complete, which
// detaches it last (after the final column renames, so that it keeps the table's final shape), and
// drops it if asked to. Start changes nothing, so rollback has nothing to undo.
#include "core/error.hpp"
#include "core/operation_plan.hpp"
#include "core/partition_sql.hpp"
#include "core/sql_text.hpp"

namespace pgshift {

void plan_create_partition(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	const std::string name = body.at("name").get<std::string>();
	check_identifier(name, "partition name");
	if (!table.partitioned)
		throw Error(sqlstate::invalid_migration, "table \"" + table.name + "\" is not partitioned",
		            "Partitions belong to a table made with PARTITION BY (create_table's \"partition_by\").");
	if (context.virt.find_table(name) != nullptr)
		throw Error(sqlstate::duplicate_table, "table \"" + name + "\" already exists in schema \"" + context.schema + "\"");
	for (const auto &partition : table.partitions)
		if (partition == name)
			throw Error(sqlstate::duplicate_table, "table \"" + table.name + "\" already has a partition \"" + name + "\"");

	const std::string bound = partition_bound_sql(body, "", context.parser);
	const std::string parent = quote_qualified(context.schema, table.physical);
	const std::string qualified = quote_qualified(context.schema, name);
	if (!table.catalog.is_object()) {
		plan.start.push_back("CREATE TABLE " + qualified + " PARTITION OF " + parent + " " + bound);   // nobody uses it yet
	} else {
		plan.start.push_back("CREATE TABLE " + qualified + " (LIKE " + parent +
		                     " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE"
		                     " INCLUDING COMPRESSION)");
		plan.start.push_back("ALTER TABLE " + parent + " ATTACH PARTITION " + qualified + " " + bound);
	}
	// Locked first: an insert into it that has not committed yet is waited for, then seen.
	plan.rollback.push_back("LOCK TABLE " + qualified + " IN ACCESS EXCLUSIVE MODE");
	plan.rollback.push_back("SELECT pgshift._raise(" +
	                        quote_literal("partition \"" + name + "\" holds rows written during the migration") +
	                        ", '55000', NULL, " +
	                        quote_literal("Rolling back would drop them. Move or delete them (they are in table " +
	                                      qualified + "), then roll back again; or complete the migration.") +
	                        ") FROM ONLY " + qualified + " LIMIT 1");
	plan.rollback.push_back("DROP TABLE IF EXISTS " + qualified);
	table.partitions.push_back(name);
}

void plan_detach_partition(const json &body, PlanningContext &context, OperationPlan &plan)
{
	VirtualTable &table = existing_table(context, body.at("table").get<std::string>());
	const std::string name = body.at("name").get<std::string>();
	bool found = false;
	for (const auto &partition : table.partitions)
		found = found || partition == name;
	if (!found)
		throw Error(sqlstate::undefined_table, "table \"" + table.name + "\" has no partition \"" + name + "\"");
	// Its index of an index the migration builds on the table is still built: the table's index is
	// valid only once every partition has one.
	const std::string qualified = quote_qualified(context.schema, name);
	plan.complete_after_renames.push_back("ALTER TABLE " + quote_qualified(context.schema, table.name) +
	                                      " DETACH PARTITION " + qualified);
	if (body.value("drop", false))
		plan.complete_after_renames.push_back("DROP TABLE " + qualified);
}

}  // namespace pgshift
