"""confluent-kafka-python against a replicated topic: acks=all idempotent producer, then a consumer that reads
every partition from the beginning (manual assignment, no group).

Usage: ck_replicated.py '{"bootstrap": "h:p,h:p", "topic": "t", "partitions": 3, "count": 3000}'
Prints delivered/error counts and what the consumer read back.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

args = json.loads(sys.argv[1])
topic = args["topic"]
count = args["count"]
partitions = args["partitions"]

producer = Producer({
    "bootstrap.servers": args["bootstrap"],
    "client.id": "runnel-e2e-ck-replicated",
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 5,
})
delivered = []
errors = []


def on_delivery(err, msg):
    if err is not None:
        errors.append(err.name())
    else:
        delivered.append(msg.value().decode())


for i in range(count):
    producer.produce(topic, value=("ck-%d" % i).encode(), partition=i % partitions, on_delivery=on_delivery)
    if i % 500 == 0:
        producer.poll(0)
unflushed = producer.flush(60)

consumer = Consumer({
    "bootstrap.servers": args["bootstrap"],
    "client.id": "runnel-e2e-ck-replicated-consumer",
    "group.id": "runnel-e2e-ck-replicated-unused",
    "enable.auto.commit": False,
    "enable.partition.eof": True,
})
consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
values = []
eof = set()
deadline = time.time() + 60
while time.time() < deadline and (len(eof) < partitions or len(values) < len(delivered)):
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == -191:  # _PARTITION_EOF
            eof.add(msg.partition())
            continue
        errors.append(msg.error().name())
        continue
    values.append(msg.value().decode())
consumer.close()
print(json.dumps({
    "delivered": len(delivered),
    "errors": errors[:20],
    "unflushed": unflushed,
    "read": len(values),
    "distinct": len(set(values)),
    "missing": len(set(delivered) - set(values)),
}))
