"""kafka-python 2.0.2 consumer group: JoinGroup v2, SyncGroup/Heartbeat/LeaveGroup v1, OffsetCommit v2,
OffsetFetch v1, plus commits from outside any group (generation -1) through a manually assigned consumer.

Usage: groups_kp.py '{"bootstrap": "...", "topic": "t", "group": "g", "count": 60}'
"""
import json
import sys
import threading
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

# Two members of a second group rebalance with each other (JoinGroup v2 / SyncGroup v1 / Heartbeat v1). Each runs
# in its own thread: kafka-python's poll() blocks inside JoinGroup until every member has rejoined.
pair_seen = set()
lock = threading.Lock()
stop = threading.Event()
members = []


def run_member():
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group + "-pair", auto_offset_reset="earliest",
                      session_timeout_ms=6000, heartbeat_interval_ms=500, auto_commit_interval_ms=200,
                      max_poll_interval_ms=20000)
    members.append(c)
    while not stop.is_set():
        for recs in c.poll(timeout_ms=100).values():
            with lock:
                for r in recs:
                    pair_seen.add(r.value.decode())


t1 = threading.Thread(target=run_member)
t1.start()
deadline = time.time() + 60
while time.time() < deadline and not (members and members[0].assignment()):
    time.sleep(0.1)
t2 = threading.Thread(target=run_member)
t2.start()
while time.time() < deadline:
    if len(members) == 2 and members[0].assignment() and members[1].assignment() and len(pair_seen) >= count:
        break
    time.sleep(0.1)
pair_assignments = [sorted(tp.partition for tp in c.assignment()) for c in members]
stop.set()
t1.join()
t2.join()
for c in members:
    c.close()

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
    "pair_seen": len(pair_seen),
    "pair_assignments": pair_assignments,
    "committed": committed,
    "assignment": assignment,
    "simple_committed": simple_committed,
    "listed": sorted([list(g) for g in listed]),
    "described_state": described[0].state,
    "admin_offsets": {str(tp.partition): om.offset for tp, om in offsets.items()},
}))
