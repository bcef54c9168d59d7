"""One JSON-Schema toolkit for the server, the contract kit and the tests.

- `Schemas`: the schema files of a folder, their registry, `$ref` resolution and validators
  (with the formats the fake checks);
- `flatten()`: one view of a schema with `$ref`, `allOf`, `anyOf`/`oneOf` and `nullable`
  merged into plain facts (types, enum, properties, required, items, constraints), used to
  lay answers out, to find undocumented fields and to compare with a published document;
- `inline()`: a schema with every `$ref` replaced by its target (for generators);
- `pointer()`, `follow()`, `leaf_error()`, `missing_properties()`: JSON pointers and the
  field a validation error is about.

Everything here is public: the kit (contracts/) imports from this package, never a private name.
"""

from .errors import follow, leaf_error, missing_properties, pointer
from .formats import FORMATS
from .registry import SCHEMA_BASE, Schemas
from .view import Node, Resolve, View, flatten, inline

__all__ = ["FORMATS", "SCHEMA_BASE", "Node", "Resolve", "Schemas", "View", "flatten", "follow", "inline",
           "leaf_error", "missing_properties", "pointer"]
