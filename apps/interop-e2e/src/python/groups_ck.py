"""confluent-kafka-python (librdkafka 2.0.2) consumer groups.

Usage: groups_ck.py '{"bootstrap": "...", "topic": "t", "group": "g", "count": 300, "strategy": "range"}'
Produces `count` records, then two group members consume them (the second joins midway, so the group
rebalances), committing manually (range) or automatically (cooperative-sticky). Prints a JSON summary:
records seen, assignment events, committed offsets, list_groups() and a restarted member's start position.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient

args = json.loads(sys.argv[1])
bootstrap = args["bootstrap"]
topic = args["topic"]
group = args["group"]
count = args.get("count", 300)
strategy = args.get("strategy", "range")
cooperative = strategy == "cooperative-sticky"

producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
for i in range(count):
    producer.produce(topic, key=("k%d" % i).encode(), value=("v%d" % i).encode(), partition=i % 3)
left = producer.flush(30)
assert left == 0, "produce did not complete"

events = []
seen = {}


def make(name):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "partition.assignment.strategy": strategy,
        "enable.auto.commit": cooperative,
        "auto.commit.interval.ms": 200,
    }
    c = Consumer(conf)

    def on_assign(consumer, partitions):
        events.append([name, "assign", sorted(p.partition for p in partitions)])

    def on_revoke(consumer, partitions):
        events.append([name, "revoke", sorted(p.partition for p in partitions)])

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return c


def poll(c, name):
    m = c.poll(0.02)
    if m is None:
        return 0
    if m.error():
        events.append([name, "error", m.error().name()])
        return 0
    v = m.value().decode()
    seen[v] = seen.get(v, 0) + 1
    if not cooperative:
        c.commit(message=m, asynchronous=False)
    return 1


c1 = make("m1")
deadline = time.time() + 60
got1 = 0
while got1 < count // 3 and time.time() < deadline:
    got1 += poll(c1, "m1")
c2 = make("m2")
while len(seen) < count and time.time() < deadline:
    poll(c1, "m1")
    poll(c2, "m2")
# Let the second member's assignment settle (both members must have partitions).
settle = time.time() + 5
while time.time() < settle and not any(e[0] == "m2" and e[1] == "assign" and e[2] for e in events):
    poll(c1, "m1")
    poll(c2, "m2")

tps = [TopicPartition(topic, p) for p in range(3)]
if cooperative:
    for c in (c1, c2):
        try:
            c.commit(asynchronous=False)
        except KafkaException:
            pass
committed = {str(tp.partition): tp.offset for tp in c1.committed(tps, timeout=10)}
admin = AdminClient({"bootstrap.servers": bootstrap})
groups = [{"id": g.id, "state": g.state, "protocol_type": g.protocol_type, "protocol": g.protocol, "members": len(g.members)}
          for g in admin.list_groups(timeout=10) if g.id == group]
c2.close()
# After m2 leaves, m1 owns every partition again (eager: one full assignment; cooperative: increments).
mark = len(events)
owned = set()
for e in events:
    if e[0] == "m1" and e[1] == "assign":
        owned = set(e[2]) if not cooperative else owned | set(e[2])
    elif e[0] == "m1" and e[1] == "revoke":
        owned -= set(e[2])
end = time.time() + 20
while time.time() < end:
    poll(c1, "m1")
    for e in events[mark:]:
        if e[0] == "m1" and e[1] == "assign":
            owned = set(e[2]) if not cooperative else owned | set(e[2])
        elif e[0] == "m1" and e[1] == "revoke":
            owned -= set(e[2])
    mark = len(events)
    if owned == {0, 1, 2} and any(e[0] == "m1" for e in events[-2:]):
        break
m1_final = sorted(owned)
c1.close()

# A restarted member starts at the committed offsets: nothing left to read.
c3 = make("m3")
extra = 0
end = time.time() + 4
while time.time() < end:
    extra += poll(c3, "m3")
c3.close()

print(json.dumps({
    "produced": count,
    "unique": len(seen),
    "duplicates": sum(1 for n in seen.values() if n > 1),
    "events": events,
    "committed": committed,
    "groups": groups,
    "after_restart": extra,
    "m1_final": m1_final,
}))
