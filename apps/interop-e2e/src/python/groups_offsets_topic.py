"""Reads __consumer_offsets like an external tool (Burrow, kafka-consumer-groups) would and decodes Kafka's
binary key/value formats: key v0/v1 = OffsetCommitKey(group, topic, partition), key v2 = GroupMetadataKey(group);
value = OffsetCommitValue v0-3 / GroupMetadataValue v0-3 (int16 version prefix, big-endian fields).

Usage: groups_offsets_topic.py '{"bootstrap": "...", "group": "g"}'
Prints the latest decoded offset commits and group metadata of that group.
"""
import json
import struct
import sys

from kafka import KafkaConsumer, TopicPartition

args = json.loads(sys.argv[1])
want = args["group"]


class R:
    def __init__(self, b):
        self.b = b
        self.p = 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.b[self.p:self.p + n].decode()
        self.p += n
        return s

    def bytes_(self):
        n = self.take(">i")
        if n < 0:
            return b""
        v = self.b[self.p:self.p + n]
        self.p += n
        return v


c = KafkaConsumer(bootstrap_servers=args["bootstrap"], enable_auto_commit=False, group_id=None)
parts = c.partitions_for_topic("__consumer_offsets") or set()
tps = [TopicPartition("__consumer_offsets", p) for p in parts]
c.assign(tps)
c.seek_to_beginning(*tps)
end = c.end_offsets(tps)
offsets = {}
groups = {}
versions = set()
done = {tp: c.position(tp) >= end[tp] for tp in tps}
while not all(done.values()):
    batch = c.poll(timeout_ms=1000)
    for tp, msgs in batch.items():
        for m in msgs:
            k = R(m.key)
            kv = k.take(">h")
            if kv in (0, 1):
                g, t, p = k.string(), k.string(), k.take(">i")
                if g != want:
                    continue
                if m.value is None:
                    offsets.pop("%s-%d" % (t, p), None)
                    continue
                v = R(m.value)
                vv = v.take(">h")
                versions.add("key%d/offset-value%d" % (kv, vv))
                off = v.take(">q")
                epoch = v.take(">i") if vv >= 3 else -1
                meta = v.string()
                ts = v.take(">q")
                offsets["%s-%d" % (t, p)] = {"offset": off, "leader_epoch": epoch, "metadata": meta, "commit_ts": ts}
            elif kv == 2:
                g = k.string()
                if g != want:
                    continue
                if m.value is None:
                    groups.pop(g, None)
                    continue
                v = R(m.value)
                vv = v.take(">h")
                versions.add("key2/group-value%d" % vv)
                ptype = v.string()
                gen = v.take(">i")
                proto = v.string()
                leader = v.string()
                if vv >= 2:
                    v.take(">q")
                members = []
                for _ in range(v.take(">i")):
                    mid = v.string()
                    inst = v.string() if vv >= 3 else None
                    cid, host = v.string(), v.string()
                    if vv >= 1:
                        v.take(">i")
                    v.take(">i")
                    v.bytes_()
                    assignment = v.bytes_()
                    members.append({"member_id": mid, "instance_id": inst, "client_id": cid, "host": host, "assignment_bytes": len(assignment)})
                groups[g] = {"protocol_type": ptype, "generation": gen, "protocol": proto, "leader": leader, "members": members}
        if c.position(tp) >= end[tp]:
            done[tp] = True
    for tp in tps:
        if c.position(tp) >= end[tp]:
            done[tp] = True
c.close()
print(json.dumps({"partitions": len(tps), "offsets": offsets, "group": groups.get(want), "versions": sorted(versions)}))
