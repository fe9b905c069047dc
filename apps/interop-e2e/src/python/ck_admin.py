"""confluent-kafka-python 1.7.0 (librdkafka 2.0.2) AdminClient against Runnel.

Usage: ck_admin.py '{"bootstrap": "127.0.0.1:9092", "topic": "t"}'
Prints one JSON object with what each operation returned (error names for expected failures).
"""
import json
import sys
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

args = json.loads(sys.argv[1])
topic = args["topic"]
admin = AdminClient({"bootstrap.servers": args["bootstrap"], "client.id": "runnel-e2e-ck-admin"})
out = {}


def outcome(future):
    """'OK' or the librdkafka error name (e.g. TOPIC_ALREADY_EXISTS)."""
    try:
        future.result(timeout=30)
        return "OK"
    except KafkaException as e:
        return e.args[0].name()


def create(new_topic):
    try:
        futures = admin.create_topics([new_topic], operation_timeout=10, request_timeout=15)
    except Exception as e:  # rejected client-side, never reached the broker
        return "CLIENT: %s" % e
    return outcome(futures[new_topic.topic])


def describe(resource_type, name):
    res = ConfigResource(resource_type, name)
    entries = admin.describe_configs([res], request_timeout=15)[res].result(timeout=30)
    return {k: {"value": v.value, "source": int(getattr(v.source, "value", v.source)), "is_default": v.is_default, "read_only": v.is_read_only} for k, v in entries.items()}


def topics():
    return {name: len(t.partitions) for name, t in admin.list_topics(timeout=15).topics.items()}


out["create"] = create(NewTopic(topic, num_partitions=3, replication_factor=1, config={"retention.ms": "3600000"}))
out["create_existing"] = create(NewTopic(topic, num_partitions=3, replication_factor=1))
out["create_bad_config_value"] = create(NewTopic(topic + "-badvalue", num_partitions=1, replication_factor=1, config={"retention.ms": "soon"}))
out["create_unknown_config"] = create(NewTopic(topic + "-badname", num_partitions=1, replication_factor=1, config={"no.such.config": "1"}))
out["create_bad_name"] = create(NewTopic("bad/name", num_partitions=1, replication_factor=1))
out["create_dot_name"] = create(NewTopic("..", num_partitions=1, replication_factor=1))
out["create_too_long_name"] = create(NewTopic("x" * 250, num_partitions=1, replication_factor=1))
out["create_bad_replication"] = create(NewTopic(topic + "-rf3", num_partitions=1, replication_factor=3))
try:
    out["create_zero_partitions"] = create(NewTopic(topic + "-p0", num_partitions=0, replication_factor=1))
except Exception as e:
    out["create_zero_partitions"] = "CLIENT: %s" % e
out["topics_after_create"] = topics()

out["describe"] = describe("topic", topic)
res = ConfigResource("topic", topic, set_config={"retention.ms": "7200000", "cleanup.policy": "compact"})
out["alter"] = outcome(admin.alter_configs([res], request_timeout=15)[res])
out["describe_after_alter"] = describe("topic", topic)
bad = ConfigResource("topic", topic, set_config={"retention.ms": "-5"})
out["alter_bad_value"] = outcome(admin.alter_configs([bad], request_timeout=15)[bad])
missing = ConfigResource("topic", topic + "-missing", set_config={"retention.ms": "1000"})
out["alter_missing_topic"] = outcome(admin.alter_configs([missing], request_timeout=15)[missing])
out["describe_broker"] = describe("broker", "1")

out["create_partitions"] = outcome(admin.create_partitions([NewPartitions(topic, 5)], operation_timeout=10, request_timeout=15)[topic])
out["create_partitions_fewer"] = outcome(admin.create_partitions([NewPartitions(topic, 2)], operation_timeout=10, request_timeout=15)[topic])
out["partitions_after_create_partitions"] = topics().get(topic)

out["delete"] = outcome(admin.delete_topics([topic], operation_timeout=10, request_timeout=15)[topic])
deadline = time.time() + 10
while topic in topics() and time.time() < deadline:
    time.sleep(0.2)
out["topic_gone"] = topic not in topics()
out["delete_missing"] = outcome(admin.delete_topics([topic + "-never"], operation_timeout=10, request_timeout=15)[topic + "-never"])
print(json.dumps(out))
