"""Emits a JSON corpus of request and response bodies encoded by kafka-python's own protocol classes.

Used by codec/kafka-python-interop.spec.ts: every Request class kafka-python defines (and its RESPONSE_TYPE) is filled
with deterministic values derived from its SCHEMA and encoded; the test decodes the bytes with our codec.
Run: /usr/bin/python3 kafka_python_corpus.py > corpus.json
"""
import importlib
import json
import pkgutil

import kafka
import kafka.protocol as proto
from kafka.protocol.api import Request
from kafka.protocol.types import Array, Boolean, Bytes, Int8, Int16, Int32, Int64, Schema, String


class Gen(object):
    def __init__(self):
        self.n = 0

    def tick(self):
        self.n += 1
        return self.n

    def value(self, t, depth, leaves):
        if isinstance(t, Schema):
            return tuple(self.value(f, depth, leaves) for f in t.fields)
        if isinstance(t, Array):
            return [self.value(t.array_of, depth + 1, leaves) for _ in range(2 if depth < 3 else 1)]
        if isinstance(t, String) or t is String:
            v = 's%d' % self.tick()
            leaves.append('s:' + v)
            return v
        if isinstance(t, Bytes) or t is Bytes:
            v = bytes([self.tick() % 256]) * 3
            leaves.append('b:' + v.hex())
            return v
        n = self.tick()
        if t is Int8:
            v = n % 100
        elif t is Int16:
            v = n * 3
        elif t is Int32:
            v = n * 100003
        elif t is Int64:
            v = n * 10000000019
        elif t is Boolean:
            v = n % 2 == 1
            leaves.append('n:%d' % (1 if v else 0))
            return v
        else:
            raise TypeError('unknown type %r' % (t,))
        leaves.append('n:%d' % v)
        return v


def request_classes():
    seen = set()
    for m in pkgutil.iter_modules(proto.__path__):
        mod = importlib.import_module('kafka.protocol.' + m.name)
        for obj in vars(mod).values():
            if isinstance(obj, type) and issubclass(obj, Request) and obj is not Request:
                try:
                    key, ver = obj.API_KEY, obj.API_VERSION
                except Exception:
                    continue
                if not isinstance(key, int) or not isinstance(ver, int) or obj in seen:
                    continue
                seen.add(obj)
                yield obj


out = []
skipped = []
for cls in sorted(request_classes(), key=lambda c: (c.API_KEY, c.API_VERSION, c.__name__)):
    for kind, klass in (('request', cls), ('response', cls.RESPONSE_TYPE)):
        gen = Gen()
        leaves = []
        values = gen.value(klass.SCHEMA, 0, leaves)
        try:
            inst = klass(*values)  # kafka-python binds encode() weakly: keep the instance alive
            body = inst.encode()
        except Exception as e:  # a few kafka-python schemas can't encode themselves; report, don't fail
            skipped.append({'kind': kind, 'name': klass.__name__, 'error': repr(e)})
            continue
        out.append({'kind': kind, 'name': klass.__name__, 'apiKey': cls.API_KEY, 'version': cls.API_VERSION,
                    'hex': body.hex(), 'leaves': leaves})
print(json.dumps({'kafkaPython': kafka.__version__, 'entries': out, 'skipped': skipped}))
