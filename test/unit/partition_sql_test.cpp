#include <gtest/gtest.h>

#include "core/partition_sql.hpp"

using namespace pgshift;

TEST(PartitionIndexName, PartitionThenIndexWhenItFits)
{
	EXPECT_EQ(partition_index_name("job_email", "job_by_payload"), "job_email_job_by_payload");
	EXPECT_EQ(partition_index_name(std::string(31, 'p'), std::string(31, 'i')).size(), 63u);
}

TEST(PartitionIndexName, LongNamesKeepTheirStartAndAStableHash)
{
	const std::string partition(40, 'p'), index(40, 'i');
	const std::string name = partition_index_name(partition, index);
	EXPECT_EQ(name.size(), 63u);
	EXPECT_EQ(name.substr(0, 54), (partition + "_" + index).substr(0, 54));
	EXPECT_EQ(name, partition_index_name(partition, index));
	EXPECT_NE(name, partition_index_name(partition, index + "x"));   // the hash covers the part cut off
}

TEST(PartitionIndexName, NeverCutsAUtf8Character)
{
	std::string partition;
	for (int i = 0; i < 30; i++)
		partition += "\xc3\xa9";   // é, two bytes each
	const std::string name = partition_index_name(partition, "index");
	const std::string head = name.substr(0, name.size() - 9);
	EXPECT_LE(name.size(), 63u);
	EXPECT_EQ(head.size() % 2, 0u);
	EXPECT_EQ(head, partition.substr(0, head.size()));
}
