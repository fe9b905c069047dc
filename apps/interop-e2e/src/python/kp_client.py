"""kafka-python 2.0.2 against Runnel.

Usage: kp_client.py '{"mode": "connect"|"produce_consume"|"admin", "bootstrap": "...", ...}'
Prints one JSON object.
"""
import json
import sys
import time

args = json.loads(sys.argv[1])
bootstrap = args["bootstrap"]
mode = args["mode"]
out = {}

if mode == "connect":
    # check_version(): ApiVersions v0 pipelined with Metadata v0, both answered within 2 s.
    from kafka.client_async import KafkaClient

    client = KafkaClient(bootstrap_servers=bootstrap, client_id="runnel-e2e-kp", api_version_auto_timeout_ms=2000)
    t0 = time.time()
    version = client.check_version(timeout=5)
    out["version"] = list(version)
    out["check_ms"] = int((time.time() - t0) * 1000)
    client.close()

elif mode == "produce_consume":
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    topic = args["topic"]
    n = args["count"]
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id="runnel-e2e-kp", acks=args.get("acks", 1), linger_ms=5,
                             compression_type=args.get("compression"), max_block_ms=30000)
    out["api_version"] = list(producer.config["api_version"])
    futures = [producer.send(topic, key=("k%d" % (i % 5)).encode(), value=("kp-%d" % i).encode(),
                             headers=[("idx", str(i).encode())], partition=0) for i in range(n)]
    producer.flush(30)
    offsets = [f.get(timeout=30).offset for f in futures]
    # With acks=0 there is no response, so kafka-python reports offset -1 for every record.
    out["offsets_contiguous"] = offsets == list(range(offsets[0], offsets[0] + n)) or set(offsets) == {-1}
    out["first_offset"] = offsets[0]
    producer.close(10)

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="runnel-e2e-kp", group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest", consumer_timeout_ms=1000,
                             check_crcs=True)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    out["end_offsets"] = consumer.end_offsets([tp])[tp]
    out["beginning_offsets"] = consumer.beginning_offsets([tp])[tp]
    got = []
    deadline = time.time() + 30
    while len(got) < n and time.time() < deadline:
        batch = consumer.poll(timeout_ms=1000, max_records=1000)
        for records in batch.values():
            for r in records:
                got.append({"offset": r.offset, "key": r.key.decode() if r.key is not None else None,
                            "value": r.value.decode(), "headers": [[k, v.decode()] for k, v in r.headers],
                            "timestamp": r.timestamp, "timestamp_type": r.timestamp_type})
    out["consumed"] = len(got)
    out["values_in_order"] = [g["value"] for g in got] == ["kp-%d" % i for i in range(n)]
    out["first"] = got[0] if got else None
    out["last"] = got[-1] if got else None
    # Seek into the middle: manual assignment with an explicit position.
    consumer.seek(tp, n // 2)
    batch = consumer.poll(timeout_ms=5000, max_records=1)
    mid = [r for rs in batch.values() for r in rs]
    out["seek_middle_value"] = mid[0].value.decode() if mid else None
    consumer.close()

elif mode == "consume":
    # Reads a whole partition with CRC checks on (kafka-python's default) and reports timestamps.
    from kafka import KafkaConsumer, TopicPartition

    tp = TopicPartition(args["topic"], args.get("partition", 0))
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="runnel-e2e-kp", group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest", check_crcs=True)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    end = consumer.end_offsets([tp])[tp]
    got = []
    deadline = time.time() + 30
    while consumer.position(tp) < end and time.time() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            for r in records:
                got.append({"offset": r.offset, "value": r.value.decode(), "timestamp": r.timestamp,
                            "timestamp_type": r.timestamp_type})
    out["records"] = got
    out["end"] = end
    consumer.close()

elif mode == "admin":
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import KafkaError

    topic = args["topic"]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="runnel-e2e-kp-admin", request_timeout_ms=15000)

    def attempt(fn):
        try:
            fn()
            return "OK"
        except KafkaError as e:
            return type(e).__name__
        except Exception as e:  # kafka-python raises plain exceptions for some response errors
            return "%s: %s" % (type(e).__name__, e)

    out["create"] = attempt(lambda: admin.create_topics([NewTopic(topic, 2, 1)], timeout_ms=10000))
    out["create_existing"] = attempt(lambda: admin.create_topics([NewTopic(topic, 2, 1)], timeout_ms=10000))
    out["create_bad_name"] = attempt(lambda: admin.create_topics([NewTopic("bad name", 1, 1)], timeout_ms=10000))
    out["listed"] = topic in admin.list_topics()
    out["describe_partitions"] = [len(t["partitions"]) for t in admin.describe_topics([topic])]
    from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions

    out["create_partitions"] = attempt(lambda: admin.create_partitions({topic: NewPartitions(4)}, timeout_ms=10000))
    out["partitions_after"] = [len(t["partitions"]) for t in admin.describe_topics([topic])]
    out["alter_configs"] = attempt(lambda: admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "5555"})]))
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    entries = described[0].resources[0][4]
    out["describe_configs"] = {e[0]: e[1] for e in entries}
    out["delete"] = attempt(lambda: admin.delete_topics([topic], timeout_ms=10000))
    deadline = time.time() + 10
    while topic in admin.list_topics() and time.time() < deadline:
        time.sleep(0.2)
    out["listed_after_delete"] = topic in admin.list_topics()
    out["delete_missing"] = attempt(lambda: admin.delete_topics([topic + "-never"], timeout_ms=10000))
    admin.close()

print(json.dumps(out))
