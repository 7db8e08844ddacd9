#!/usr/bin/env python3
# Writes a C header with the defaults of the GSettings schema's network keys, so that the schema
# stays the one place where the default trackers, STUN servers and DHT bootstrap nodes are written down.
#
#   schema-defaults.py SCHEMA.xml OUTPUT.h
import ast
import sys
import xml.etree.ElementTree as ET

KEYS = {'trackers': 'FERRY_DEFAULT_TRACKERS', 'stun-servers': 'FERRY_DEFAULT_STUN_SERVERS',
        'dht-bootstrap': 'FERRY_DEFAULT_DHT_BOOTSTRAP'}

schema, output = sys.argv[1:]
found = {}
for key in ET.parse(schema).getroot().iter('key'):
    if key.get('name') in KEYS:
        if key.get('type') != 'as':
            sys.exit(f'{schema}: key {key.get("name")} must have type "as"')
        # A GVariant string array in text form reads like a Python list of strings.
        values = ast.literal_eval(key.find('default').text)
        if not all(isinstance(v, str) and '"' not in v and '\\' not in v for v in values):
            sys.exit(f'{schema}: key {key.get("name")}: unexpected default')
        found[KEYS[key.get('name')]] = values

missing = set(KEYS.values()) - set(found)
if missing:
    sys.exit(f'{schema}: no default for {", ".join(sorted(missing))}')

with open(output, 'w') as out:
    out.write('/* Generated from the GSettings schema by build-aux/schema-defaults.py. */\n')
    out.write('#pragma once\n\n')
    for macro, values in sorted(found.items()):
        items = ''.join(f'"{v}", ' for v in values)
        out.write(f'#define {macro} {{ {items}NULL }}\n')
