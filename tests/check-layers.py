#!/usr/bin/env python3
# Fails when a file of src/core includes a header of a layer it does not build on
# (docs/ARCHITECTURE.md, "The dependency rule"): webrtc/, signalling/ and dht/ build on the
# base folder and not on each other, room/ on base, webrtc and signalling, transfer/ on those and
# room, pairing/ on all the others but session (dht included, for the rendezvous of rooms), session/
# on all.  Generated headers belong to the layer they are generated for (ferry-LAYER-enums.h;
# ferry-defaults.h to the base).
import pathlib
import re
import sys

LAYERS = ['base', 'webrtc', 'signalling', 'dht', 'room', 'transfer', 'pairing', 'session']
BUILDS_ON = {'base': set(), 'webrtc': {'base'}, 'signalling': {'base'}, 'dht': {'base'},
             'room': {'base', 'webrtc', 'signalling'},
             'transfer': {'base', 'webrtc', 'signalling', 'room'},
             'pairing': {'base', 'webrtc', 'signalling', 'dht', 'room', 'transfer'},
             'session': {'base', 'webrtc', 'signalling', 'dht', 'room', 'transfer', 'pairing'}}
core = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else 'src/core')


def layer_of(path):
    folder = path.parent.relative_to(core).as_posix()
    return 'base' if folder == '.' else folder


owner = {'ferry-defaults.h': 'base'}
owner.update({f'ferry-{layer}-enums.h': layer for layer in LAYERS[1:]})
files = [p for p in core.rglob('ferry-*.[ch]')]
for path in files:
    if layer_of(path) not in LAYERS:
        sys.exit(f'{path}: not in a known layer folder ({", ".join(LAYERS[1:])})')
    owner[path.name] = layer_of(path)

errors = []
for path in files:
    mine = layer_of(path)
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r'\s*#\s*include\s+"(ferry-[^"]+)"', line)
        if not m:
            continue
        header = m.group(1)
        if header not in owner:
            errors.append(f'{path}:{number}: includes {header}, which no layer has')
        elif owner[header] != mine and owner[header] not in BUILDS_ON[mine]:
            errors.append(f'{path}:{number}: the {mine} layer includes {header} '
                          f'of the {owner[header]} layer, which it does not build on')

print('\n'.join(errors) if errors else f'{len(files)} files, every include stays in its layer or goes down')
sys.exit(1 if errors else 0)
