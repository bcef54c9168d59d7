"""JUnit XML (the format CI systems show as test results), written with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Case:
    name: str
    classname: str
    time: float = 0.0
    failure: str | None = None
    error: str | None = None
    skipped: str | None = None
    output: str | None = None


def write_junit(path: str | Path, suite: str, cases: Iterable[Case], redact: Callable[[str], str] = str,
                properties: dict[str, str] | None = None) -> None:
    """One <testsuite> with a <testcase> per case (and its <properties>); every text goes through `redact` first."""
    cases = list(cases)
    root = ET.Element("testsuites")
    node = ET.SubElement(root, "testsuite", {
        "name": suite,
        "tests": str(len(cases)),
        "failures": str(sum(1 for c in cases if c.failure is not None)),
        "errors": str(sum(1 for c in cases if c.error is not None)),
        "skipped": str(sum(1 for c in cases if c.skipped is not None)),
        "time": f"{sum(c.time for c in cases):.3f}",
    })
    if properties:
        props = ET.SubElement(node, "properties")
        for name, value in properties.items():
            ET.SubElement(props, "property", {"name": name, "value": redact(value)})
    for case in cases:
        element = ET.SubElement(node, "testcase", {"name": case.name, "classname": case.classname,
                                                   "time": f"{case.time:.3f}"})
        for tag, text in (("failure", case.failure), ("error", case.error), ("skipped", case.skipped)):
            if text is not None:
                clean = redact(text)
                child = ET.SubElement(element, tag, {"message": clean.splitlines()[0][:200] if clean else tag})
                child.text = clean
        if case.output:
            ET.SubElement(element, "system-out").text = redact(case.output)
    ET.indent(root)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
