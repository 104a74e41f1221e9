#!/usr/bin/env python3
"""Generates Sources/Sim/Scenario/ManifestSchema.swift: the field names `kubectl apply
--validate=strict` accepts for the kinds kruise-sim loads.

Inputs (both read from local copies, nothing is downloaded by this script):
  1. the models of the official Kubernetes Python client (a wheel from PyPI, unpacked):
     their pydantic fields carry the JSON names and types of every core/batch API type;
  2. OpenKruise's CRDs (config/crd/bases/apps.kruise.io_{broadcastjobs,advancedcronjobs}.yaml).

Usage: gen-manifest-schema.py MODELS_DIR CRD_DIR CLIENT_VERSION KRUISE_COMMIT > ManifestSchema.swift

Output line format (one type per line): `TypeName field:T field:T ...` where T is a type
name, `[]T` (list), `{}T` (map with free keys), a scalar (`-s` string, `-i` integer, `-n` number,
`-b` boolean, `-t` date-time string, `-x` int-or-string, `-` other) or `*` (anything: preserved).
"""
import os, re, sys, yaml

models_dir, crd_dir, client_version, kruise_commit = sys.argv[1:5]

classes = {}  # class name -> {json name: type expr}
field_re = re.compile(r'^    ([a-z_0-9]+): (.+?)(?: = (?:Field\((.*)\)|None))?\s*$')
for fn in sorted(os.listdir(models_dir)):
    if not fn.endswith('.py'):
        continue
    src = open(os.path.join(models_dir, fn)).read()
    m = re.search(r'^class (\w+)\(BaseModel\):', src, re.M)
    if not m:
        continue
    fields = {}
    for line in src.splitlines():
        fm = field_re.match(line)
        if not fm or 'ClassVar' in line:
            continue
        py, typ, args = fm.groups()
        args = args or ''
        am = re.search(r'serialization_alias="([^"]+)"', args) or re.search(r'\balias="([^"]+)"', args)
        fields[am.group(1) if am else py] = typ
    classes[m.group(1)] = fields

def texpr(t):
    t = t.strip()
    m = re.fullmatch(r'Optional\[(.*)\]', t)
    if m:
        return texpr(m.group(1))
    m = re.fullmatch(r'List\[(.*)\]', t)
    if m:
        return '[]' + texpr(m.group(1))
    m = re.fullmatch(r'Dict\[str, (.*)\]', t)
    if m:
        inner = texpr(m.group(1))
        return '*' if inner == '*' else '{}' + inner
    if t in classes:
        return t
    if t == 'Any' or '|' in t and 'Dict' in t:
        return '*'
    return scalar(t)

def scalar(t):
    """The scalar's JSON type: -s string, -i integer, -n number, -b boolean, -t date-time
    string, -x int-or-string, - anything else."""
    if t in ('StrictStr', 'str'):
        return '-s'
    if t == 'StrictInt':
        return '-i'
    if t == 'StrictBool':
        return '-b'
    if t == 'datetime':
        return '-t'
    if t.replace(' ', '') in ('StrictInt|StrictStr', 'Union[StrictInt,StrictStr]'):
        return '-x'
    if t.replace(' ', '') in ('Union[StrictFloat,StrictInt]', 'StrictFloat', 'float'):
        return '-n'
    if 'bytes' in t:
        return '-s'
    return '-'

out = {}
def add_class(name):
    if name in out:
        return
    out[name] = None
    fields = {k: texpr(v) for k, v in classes[name].items()}
    out[name] = fields
    for v in fields.values():
        base = v.lstrip('[]{}')
        if base in classes:
            add_class(base)

roots = {'Pod': 'V1Pod', 'Node': 'V1Node', 'Job': 'V1Job', 'Event': 'CoreV1Event'}
for r in roots.values():
    add_class(r)

def crd_type(name, s, root=False):
    """Flattens an openAPIV3Schema node into out[...] entries; returns its type expr."""
    if s.get('x-kubernetes-preserve-unknown-fields'):
        return '*'
    t = s.get('type')
    if t == 'array':
        return '[]' + crd_type(name + '[]', s.get('items', {}))
    if t == 'object' or 'properties' in s:
        if 'properties' not in s and 'additionalProperties' in s:
            ap = s['additionalProperties']
            return '{}' + (crd_type(name + '{}', ap) if isinstance(ap, dict) else '*')
        fields = {}
        for k, v in (s.get('properties') or {}).items():
            if root and k == 'metadata':
                fields[k] = 'V1ObjectMeta'  # the API server validates root metadata as ObjectMeta
            else:
                fields[k] = crd_type(name + '.' + k, v)
        out[name] = fields
        if s.get('description'):
            descriptions[name] = s['description']
        for k, v in (s.get('properties') or {}).items():
            if v.get('description') and not (root and k == 'metadata'):
                descriptions[name + '\t' + k] = v['description']
        return name
    if s.get('x-kubernetes-int-or-string'):
        return '-x'
    if t == 'string':
        return '-t' if s.get('format') == 'date-time' else '-s'
    return {'integer': '-i', 'number': '-n', 'boolean': '-b'}.get(t, '-')

descriptions = {}  # CRD type name, or type name TAB field -> description (OpenKruise kinds only)
for plural, kind in (('broadcastjobs', 'BroadcastJob'), ('advancedcronjobs', 'AdvancedCronJob')):
    crd = yaml.safe_load(open(os.path.join(crd_dir, 'apps.kruise.io_%s.yaml' % plural)))
    for v in crd['spec']['versions']:
        tn = 'apps.kruise.io/%s/%s' % (v['name'], kind)
        crd_type(tn, v['schema']['openAPIV3Schema'], root=True)
        roots['apps.kruise.io/%s/%s' % (v['name'], kind)] = tn

print('// Generated by tools/gen-manifest-schema.py; do not edit.')
print('// Core kinds: the models of the Kubernetes Python client %s (OpenAPI of Kubernetes' % client_version)
print('// release it names). OpenKruise kinds: config/crd/bases of openkruise/kruise at %s.' % kruise_commit)
print('// Line format: `TypeName field:T ...`; T is a type name, []T (list), {}T (map), a scalar (-s string, -i integer,')
print('// -n number, -b boolean, -t date-time, -x int-or-string, - other) or * (preserved).')
print()
print('enum ManifestSchemaData {')
print('    /// apiVersion/kind (core kinds by kind alone) -> root type name.')
print('    static let roots: [String: String] = [')
for k in sorted(roots):
    print('        "%s": "%s",' % (k, roots[k]))
print('    ]')
print('    static let types = """')
for name in sorted(out):
    f = out[name]
    print(' '.join([name] + ['%s:%s' % (k, f[k]) for k in sorted(f)]))
print('"""')
print('    /// The OpenKruise CRDs\' descriptions, one a line: `TypeName<TAB>text` or `TypeName<TAB>field<TAB>text`,')
print('    /// a newline in a text written as a backslash and `n` (for the served OpenAPI: `kubectl explain`).')
print('    static let descriptions = #"""')
for key in sorted(descriptions):
    text = descriptions[key].replace('\\', '\\\\').replace('\n', '\\n').replace('\t', ' ')
    print('%s\t%s' % (key, text))
print('"""#')
print('}')
