"""confluent-kafka-python idempotent producer: enable.idempotence=true, several batches in flight.

Usage: ck_idempotent.py '{"bootstrap": "...", "topic": "t", "count": 5000}'
Prints delivered/failed counts and per-partition offset checks.
"""
import json
import sys

from confluent_kafka import Producer

args = json.loads(sys.argv[1])
topic = args["topic"]
count = args["count"]
producer = Producer({
    "bootstrap.servers": args["bootstrap"],
    "client.id": "runnel-e2e-ck-idempotent",
    "enable.idempotence": True,
    "linger.ms": 5,
    "batch.num.messages": 200,
    "compression.type": args.get("compression", "none"),
})
delivered = []
errors = []


def on_delivery(err, msg):
    if err is not None:
        errors.append(err.name())
    else:
        delivered.append((msg.partition(), msg.offset(), msg.value().decode()))


import time

for i in range(count):
    producer.produce(topic, key=("k%d" % (i % 7)).encode(), value=("v-%d" % i).encode(), on_delivery=on_delivery)
    if i % 1000 == 0:
        producer.poll(0)
        if args.get("throttle"):
            # Spread the writes over a few seconds so a restart happens mid-stream.
            time.sleep(0.05)
remaining = producer.flush(60)

by_partition = {}
for p, o, v in delivered:
    by_partition.setdefault(p, []).append(o)
contiguous = all(sorted(offs) == list(range(min(offs), min(offs) + len(offs))) for offs in by_partition.values())
print(json.dumps({
    "delivered": len(delivered),
    "errors": errors[:20],
    "error_count": len(errors),
    "unflushed": remaining,
    "partitions": {str(p): [min(o), max(o), len(o)] for p, o in by_partition.items()},
    "unique_offsets": len(set((p, o) for p, o, _ in delivered)) == len(delivered),
    "contiguous": contiguous,
}))
