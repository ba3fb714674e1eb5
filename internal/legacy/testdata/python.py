# Writes python.jsonl: what Python 3's json and repr make of the inputs below,
# the reference for internal/legacy's tests. Run: python3 python.py > python.jsonl
import json, random, struct

random.seed(9)
texts = [
    '{}', '[]', '""', '0', '-0', '1', '-12', 'true', 'false', 'null',
    '{"n": 1, "phone": "123"}', '{"phone": "123", "n": 1}',
    '{"a": [1, 2.5, -0.5e10, 1E+2, 0, -0], "b": {"c": null, "d": true, "e": false}, "f": [], "g": {}}',
    ' {"a" :1 ,"b":[ 1 , 2 ] } ', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    '{"\\u00e9": "\\u4e2d\\ud83d\\ude00", "k": "\\u00e9 \\n \\"q\\" \\\\ \\/ \\b \\f \\r \\t"}',
    '"\u00e9\u4e2d\U0001F600\u2028\u2029\u007f\u0080\uffff\U0010FFFF"', '"<script>&amp;</script>"',
    '"\\u0000\\u0001\\u001f\\u007f"', '{"big": 123456789012345678901234567890}',
    '{"pg": 1000, "f": 1.50, "g": 0.0015, "h": 0.0000001, "i": 100000000000000000000.0}',
    '1.0', '-1.0', '0.0', '-0.0', '1e-400', '-1e-400', '1e400', '-1e400', '1e308', '2.2250738585072014e-308',
    '5e-324', '1.7976931348623157e308', '0.1', '0.30000000000000004', '1e16', '1e15', '1e-4', '1e-5',
    '123456789.123456789', '9007199254740993.0', '0.000123', '12345678901234567.0', '1E+2', '1e0', '-5e-7',
]
for _ in range(400):
    while True:
        f = struct.unpack('<d', struct.pack('<Q', random.getrandbits(64)))[0]
        if f == f and abs(f) != float('inf'):
            break
    texts.append(random.choice(['%r', '%.17g', '%.3e', '%.6f', '%.20f', '%.1f']) % f if abs(f) < 1e30 else '%r' % f)
    texts.append('%.*g' % (random.randint(1, 17), random.uniform(-1e6, 1e6) * 10 ** random.randint(-30, 30)))
texts = [t for t in texts if 'inf' not in t and 'nan' not in t]

strings = ['', 'alice', 'it\'s', 'say "hi"', 'both \' and "', 'back\\slash', 'tab\tnew\nline\rret',
           '\x00\x01\x1f\x7f', '\u00e9\u4e2d\U0001F600', '\u2028\u00a0\u200b\x85\U000e0001', '/<>&', ''.join(chr(c) for c in range(128))]

out = []
for t in texts:
    out.append({'kind': 'json', 'in': t, 'out': json.dumps(json.loads(t))})
for s in strings:
    out.append({'kind': 'string', 'in': s, 'out': json.dumps(s)})
    out.append({'kind': 'repr', 'in': s, 'out': repr(s)})
for o in out:
    print(json.dumps(o))
