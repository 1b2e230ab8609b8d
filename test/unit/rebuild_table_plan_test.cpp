#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/planner.hpp"

using namespace pgshift;

namespace {

// Bound values here are constants: no column references.
class ConstantsOnly final : public ExpressionParser {
public:
	std::vector<ColumnReference> column_references(const std::string &) const override { return {}; }
	DefaultKind default_kind(const std::string &, const std::string &) const override { return DefaultKind::stable; }
};

const json catalog = json::parse(R"({"name": "public", "tables": {
  "queue": {"name": "queue", "columns": {"name": {"name": "name", "type": "text", "attnum": 1, "nullable": false}},
            "primaryKey": ["name"]},
  "job": {"name": "job", "primaryKey": ["id"],
          "columns": {"id": {"name": "id", "type": "integer", "attnum": 1, "nullable": false},
                      "name": {"name": "name", "type": "text", "attnum": 2, "nullable": false},
                      "doubled": {"name": "doubled", "type": "integer", "attnum": 3, "generated": "id * 2"}},
          "foreignKeys": {"job_queue_fk": {"name": "job_queue_fk", "referencedTable": "queue", "columns": ["name"],
                                           "referencedColumns": ["name"], "onDelete": "CASCADE"}}}}})");

json plan(const std::string &operations, const json &context = json::object())
{
	static const ConstantsOnly parser;
	return plan_start("public", json::parse(R"({"name": "02", "operations": )" + operations + "}"), catalog, context,
	                  parser);
}

std::string plan_error(const std::string &operations)
{
	try {
		plan(operations);
		return "";
	} catch (const Error &error) {
		return error.what();
	}
}

const std::string partitioned_rebuild = R"([{"rebuild_table": {"table": "job", "primary_key": ["name", "id"],
    "partition_by": {"strategy": "list", "columns": ["name"]},
    "partitions": [{"name": "job_rest", "default": true}]}}])";

}  // namespace

TEST(RebuildTablePlan, StartMakesTheRebuildItsPartitionsAndBothTriggers)
{
	json result = plan(partitioned_rebuild);
	std::vector<std::string> start;
	for (const auto &step : result["start"])
		start.push_back(step["sql"]);
	ASSERT_EQ(start.size(), 14u);   // and the TRUNCATE trigger of its partition, at the end
	// First, a check that no other schema's foreign key points at the table.
	EXPECT_NE(start[0].find("in another schema"), std::string::npos);
	EXPECT_EQ(start[1], "CREATE TABLE \"public\".\"_pgshift_rebuild_job\" (LIKE \"public\".\"job\" INCLUDING DEFAULTS "
	                    "INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING "
	                    "COMMENTS) PARTITION BY LIST (\"name\")");
	EXPECT_EQ(start[2], "CREATE TABLE \"public\".\"job_rest\" PARTITION OF \"public\".\"_pgshift_rebuild_job\" DEFAULT");
	EXPECT_EQ(start[3], "SELECT pgshift._rebuild_prepare('\"public\".\"job\"'::pg_catalog.regclass, "
	                    "'\"public\".\"_pgshift_rebuild_job\"'::pg_catalog.regclass, ARRAY['name', 'id']::pg_catalog.name[])");
	// Each table's trigger finds rows in the other by the other's key, and carries no generated column.
	// The old table's trigger inserts a row an update finds missing (not copied yet); the rebuild's does not.
	EXPECT_EQ(start[4], "CREATE TRIGGER \"~pgshift_rebuild_sync\" AFTER INSERT OR UPDATE OR DELETE ON \"public\".\"job\" "
	                    "FOR EACH ROW WHEN (pgshift._rebuild_sync_wanted()) EXECUTE FUNCTION "
	                    "pgshift.rebuild_sync('\"public\".\"_pgshift_rebuild_job\"', 'insert-missing', '2', "
	                    "'name', 'id', 'id', 'name')");
	EXPECT_EQ(start[5], "CREATE TRIGGER \"~pgshift_rebuild_truncate\" BEFORE TRUNCATE ON \"public\".\"job\" FOR EACH "
	                    "STATEMENT EXECUTE FUNCTION pgshift.rebuild_sync()");
	EXPECT_EQ(start[8], "CREATE TRIGGER \"~pgshift_rebuild_sync\" AFTER INSERT OR UPDATE OR DELETE ON "
	                    "\"public\".\"_pgshift_rebuild_job\" FOR EACH ROW WHEN (pgshift._rebuild_sync_wanted()) EXECUTE "
	                    "FUNCTION pgshift.rebuild_sync('\"public\".\"job\"', 'ignore-missing', '1', 'id', 'id', 'name')");
	// The copy is a backfill job of the table, so the new version opens when it is done.
	ASSERT_EQ(result["jobs"].size(), 1u);
	EXPECT_EQ(result["jobs"][0]["kind"], "backfill");
	EXPECT_EQ(result["jobs"][0]["table"], "job");
	const std::string copy = result["jobs"][0]["statement"];
	EXPECT_NE(copy.find("INSERT INTO \"public\".\"_pgshift_rebuild_job\" (\"id\", \"name\") SELECT \"id\", \"name\" FROM "
	                    "\"public\".\"job\" _pgshift_t WHERE"),
	          std::string::npos);
	EXPECT_NE(copy.find("FOR SHARE ON CONFLICT (\"name\", \"id\") DO NOTHING"), std::string::npos);
	// The new version's view reads the rebuild.
	std::string physical;
	for (const auto &table : result["overlay"]["tables"])
		if (table["name"] == "job")
			physical = table["physical"];
	EXPECT_EQ(physical, "_pgshift_rebuild_job");
	ASSERT_EQ(result["complete"].size(), 2u);
	EXPECT_EQ(result["complete"][0]["sql"], "SELECT pgshift._rebuild_swap('\"public\".\"job\"'::pg_catalog.regclass, "
	                                        "'\"public\".\"_pgshift_rebuild_job\"'::pg_catalog.regclass)");
	EXPECT_EQ(result["complete"][1]["sql"], "ALTER TABLE \"public\".\"_pgshift_rebuild_job\" RENAME TO \"job\"");
	ASSERT_EQ(result["rollback"].size(), 4u);   // the two tables locked first, as the old version's writers lock them
	EXPECT_EQ(result["rollback"][0]["sql"],
	          "LOCK TABLE \"public\".\"job\", \"public\".\"_pgshift_rebuild_job\" IN ACCESS EXCLUSIVE MODE");
	EXPECT_EQ(result["rollback"][3]["sql"], "DROP TABLE IF EXISTS \"public\".\"_pgshift_rebuild_job\"");
}

TEST(RebuildTablePlan, RefusesWhatItCannotCarryOverYet)
{
	EXPECT_EQ(plan_error(R"([{"rebuild_table": {"table": "job", "primary_key": ["name"]}}])"),
	          "operations[0] (rebuild_table \"job\"): the rebuilt table's primary key must contain the table's key column "
	          "\"id\"");
	EXPECT_EQ(plan_error(R"([{"rebuild_table": {"table": "job", "partition_by": {"strategy": "list", "columns": ["name"]}}}])"),
	          "operations[0] (rebuild_table \"job\"): the primary key of the rebuilt table \"job\" must include partition "
	          "key column \"name\"");
	EXPECT_EQ(plan_error(R"([{"rebuild_table": {"table": "job"}},
	                         {"rename_table": {"from": "job", "to": "jobs"}}])"),
	          "operations[1] (rename_table \"job\"): table \"job\" is rebuilt by this migration: pgshift can combine "
	          "only column and index operations with rebuild_table yet");
	EXPECT_EQ(plan_error(R"([{"rebuild_table": {"table": "job"}},
	                         {"alter_column": {"table": "job", "column": "id", "type": "bigint", "up": "id", "down": "id"}}])"),
	          "operations[1] (alter_column \"job\"): column \"id\" is in the key of table \"job\", which this migration "
	          "rebuilds: pgshift cannot alter it in the same migration yet");
	EXPECT_EQ(plan_error(R"([{"add_column": {"table": "job", "column": {"name": "note", "type": "text", "nullable": true}}},
	                         {"rebuild_table": {"table": "job"}}])"),
	          "operations[1] (rebuild_table \"job\"): table \"job\" has columns added or dropped by an earlier operation "
	          "of this migration: pgshift cannot rebuild it yet");
	EXPECT_EQ(plan_error(R"([{"rename_column": {"table": "job", "from": "name", "to": "queue"}},
	                         {"rebuild_table": {"table": "job"}}])"),
	          "operations[1] (rebuild_table \"job\"): table \"job\" has a column renamed by an earlier operation of this "
	          "migration: pgshift cannot rebuild it yet");
}

// Column and index operations after the rebuild change the rebuild: at start, while it is empty;
// at complete, after the swap.
TEST(RebuildTablePlan, LaterColumnAndIndexOperationsChangeTheRebuild)
{
	json result = plan(R"([{"rebuild_table": {"table": "job", "primary_key": ["name", "id"],
	                          "partition_by": {"strategy": "list", "columns": ["name"]},
	                          "partitions": [{"name": "job_rest", "default": true}]}},
	                        {"rename_column": {"table": "job", "from": "name", "to": "queue"}},
	                        {"add_column": {"table": "job", "column": {"name": "note", "type": "text", "nullable": true},
	                                        "up": "'copied'"}},
	                        {"create_index": {"name": "job_queue", "table": "job", "columns": [{"column": "queue"}]}}])",
	                   json{{"pending_version", "_pgshift_pending_02"}});
	std::string start;
	for (const auto &step : result["start"])
		start += step["sql"].get<std::string>() + "\n";
	const std::string rebuild = "\"public\".\"_pgshift_rebuild_job\"";
	EXPECT_NE(start.find("ALTER TABLE " + rebuild + " ADD COLUMN \"_pgshift_new_note\""), std::string::npos) << start;
	// Built plainly on the empty rebuild (a partitioned table has no CREATE INDEX CONCURRENTLY).
	EXPECT_NE(start.find("CREATE INDEX \"job_queue\" ON " + rebuild + " (\"name\")"), std::string::npos) << start;
	EXPECT_NE(start.find("BEFORE INSERT OR UPDATE ON " + rebuild), std::string::npos) << start;
	EXPECT_EQ(start.find("BEFORE INSERT OR UPDATE ON \"public\".\"job\""), std::string::npos) << start;
	// The dual-write trigger knows the new version by its pending name: it opens after the copy.
	EXPECT_NE(start.find("\"pending_version\":\"_pgshift_pending_02\""), std::string::npos) << start;
	// No backfill of the rebuild: the copy's inserts fire its dual-write trigger. The one job is the copy.
	ASSERT_EQ(result["jobs"].size(), 1u) << result["jobs"].dump();
	EXPECT_NE(result["jobs"][0]["statement"].get<std::string>().find("INSERT INTO " + rebuild), std::string::npos);
	// Complete: the swap first, then the rebuild's column renames, then its own name.
	std::vector<std::string> complete;
	for (const auto &step : result["complete"])
		complete.push_back(step["sql"]);
	std::size_t swap = complete.size(), rename_queue = complete.size(), rename_table = complete.size();
	for (std::size_t i = 0; i < complete.size(); i++) {
		if (complete[i].find("pgshift._rebuild_swap(") != std::string::npos)
			swap = i;
		if (complete[i].find("ALTER TABLE " + rebuild + " RENAME COLUMN \"name\" TO \"queue\"") != std::string::npos)
			rename_queue = i;
		if (complete[i] == "ALTER TABLE " + rebuild + " RENAME TO \"job\"")
			rename_table = i;
	}
	ASSERT_LT(rename_table, complete.size()) << result["complete"].dump();
	EXPECT_LT(swap, rename_queue);
	EXPECT_LT(rename_queue, rename_table);
	// Rollback: the later operations' undoing first, the rebuild's drop last.
	EXPECT_EQ(result["rollback"].back()["sql"], "DROP TABLE IF EXISTS " + rebuild);
}

// A foreign key of another table that points at the rebuilt table gets a copy onto the rebuild
// after the rows are copied (NOT VALID, then VALIDATE); complete swaps them before it drops the
// table; rollback drops the copy before the rebuild.
TEST(RebuildTablePlan, ForeignKeysPointingAtTheTableFollowIt)
{
	json result = plan(R"([{"rebuild_table": {"table": "queue"}}])");
	std::vector<std::string> jobs;
	for (const auto &job : result["jobs"])
		jobs.push_back(job["statement"]);
	ASSERT_EQ(jobs.size(), 3u);
	EXPECT_NE(jobs[0].find("INSERT INTO \"public\".\"_pgshift_rebuild_queue\""), std::string::npos);
	// With a short lock timeout (the worker tries again), and a cleanup that locks only a copy there is.
	EXPECT_NE(jobs[1].find("set_config('lock_timeout', '100ms', true);\n        EXECUTE 'ALTER TABLE \"public\".\"job\" ADD "
	                       "CONSTRAINT \"_pgshift_rb_job_queue_fk\" FOREIGN KEY (\"name\") REFERENCES "
	                       "\"public\".\"_pgshift_rebuild_queue\" (\"name\") ON DELETE CASCADE NOT VALID'"),
	          std::string::npos)
	    << jobs[1];
	const std::string cleanup = result["jobs"][1]["cleanup"];
	EXPECT_LT(cleanup.find("IF EXISTS (SELECT FROM pg_catalog.pg_constraint"),
	          cleanup.find("DROP CONSTRAINT IF EXISTS \"_pgshift_rb_job_queue_fk\""))
	    << cleanup;
	EXPECT_EQ(jobs[2], "ALTER TABLE \"public\".\"job\" VALIDATE CONSTRAINT \"_pgshift_rb_job_queue_fk\"");
	std::vector<std::string> complete;
	for (const auto &step : result["complete"])
		complete.push_back(step["sql"]);
	ASSERT_GE(complete.size(), 3u);
	EXPECT_EQ(complete[0], "LOCK TABLE \"public\".\"job\", \"public\".\"_pgshift_rebuild_queue\", \"public\".\"queue\" IN "
	                       "ACCESS EXCLUSIVE MODE");
	EXPECT_NE(complete[1].find("RENAME CONSTRAINT \"_pgshift_rb_job_queue_fk\" TO \"job_queue_fk\""), std::string::npos)
	    << complete[1];
	EXPECT_NE(complete[2].find("pgshift._rebuild_swap("), std::string::npos);
	const json &rollback = result["rollback"];
	ASSERT_GE(rollback.size(), 2u);
	// The table and its rebuild first, as the old version's writers lock them.
	EXPECT_EQ(rollback[0]["sql"], "LOCK TABLE \"public\".\"queue\", \"public\".\"_pgshift_rebuild_queue\" IN ACCESS EXCLUSIVE MODE");
	EXPECT_EQ(rollback[1]["sql"], "ALTER TABLE \"public\".\"job\" DROP CONSTRAINT IF EXISTS \"_pgshift_rb_job_queue_fk\"");
	EXPECT_EQ(rollback.back()["sql"], "DROP TABLE IF EXISTS \"public\".\"_pgshift_rebuild_queue\"");
}
