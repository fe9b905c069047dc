"""A confluent-kafka group member that runs until killed, printing one JSON line per assignment change.

Usage: groups_ck_member.py '{"bootstrap": "...", "topic": "t", "group": "g", "session_timeout_ms": 6000,
                              "instance_id": null}'
With "instance_id" the member is static (group.instance.id): it sends no LeaveGroup when it stops.
"""
import json
import sys

from confluent_kafka import Consumer

args = json.loads(sys.argv[1])
conf = {
    "bootstrap.servers": args["bootstrap"],
    "group.id": args["group"],
    "client.id": "ck-member",
    "session.timeout.ms": args.get("session_timeout_ms", 6000),
    "heartbeat.interval.ms": 500,
    "auto.offset.reset": "earliest",
}
if args.get("instance_id"):
    conf["group.instance.id"] = args["instance_id"]
c = Consumer(conf)


def on_assign(consumer, partitions):
    print(json.dumps({"assigned": sorted(p.partition for p in partitions)}), flush=True)


c.subscribe([args["topic"]], on_assign=on_assign)
while True:
    c.poll(0.2)
