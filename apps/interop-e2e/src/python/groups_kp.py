"""kafka-python 2.0.2 consumer group: JoinGroup v2, SyncGroup/Heartbeat/LeaveGroup v1, OffsetCommit v2,
OffsetFetch v1, plus commits from outside any group (generation -1) through a manually assigned consumer.

Usage: groups_kp.py '{"bootstrap": "...", "topic": "t", "group": "g", "count": 60}'
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata

args = json.loads(sys.argv[1])
bootstrap = args["bootstrap"]
topic = args["topic"]
group = args["group"]
count = args.get("count", 60)

producer = KafkaProducer(bootstrap_servers=bootstrap)
for i in range(count):
    producer.send(topic, value=("v%d" % i).encode(), partition=i % 3)
producer.flush(30)
producer.close()

consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=500,
                         consumer_timeout_ms=10000)
seen = []
for m in consumer:
    seen.append(m.value.decode())
    if len(seen) >= count:
        break
consumer.commit()
tps = [TopicPartition(topic, p) for p in range(3)]
committed = {str(tp.partition): consumer.committed(tp) for tp in tps}
assignment = sorted(tp.partition for tp in consumer.assignment())
consumer.close()

# A consumer outside any group (assign(), no subscription) commits with generation -1 and member "".
simple = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group + "-simple", enable_auto_commit=False)
simple.assign([TopicPartition(topic, 0)])
simple.commit({TopicPartition(topic, 0): OffsetAndMetadata(7, "simple")})
simple_committed = simple.committed(TopicPartition(topic, 0))
simple.close()

admin = KafkaAdminClient(bootstrap_servers=bootstrap)
listed = [g for g in admin.list_consumer_groups() if g[0] in (group, group + "-simple")]
described = admin.describe_consumer_groups([group])
offsets = admin.list_consumer_group_offsets(group)
admin.close()

print(json.dumps({
    "seen": len(set(seen)),
    "committed": committed,
    "assignment": assignment,
    "simple_committed": simple_committed,
    "listed": sorted([list(g) for g in listed]),
    "described_state": described[0].state,
    "admin_offsets": {str(tp.partition): om.offset for tp, om in offsets.items()},
}))
