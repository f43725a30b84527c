"""What an assistant reads rather than calls: the resources and the prompts of the MCP server.

Resources (MCP "resources/read") are the documents a client may load into
the conversation: the ontology and the SHACL shapes as shipped, the JSON-LD
context every JSON-LD answer uses, and the framework tree (functions,
categories, subcategories with their labels) as compact JSON. Prompts
("prompts/get") are worked plans that show an assistant which tools answer a
common question, and in what order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import api
from ..named_queries import QueryCatalogue
from ..ordering import notation_key
from ..resources import ontology_path, shapes_path


@dataclass(frozen=True)
class ResourceSpec:
    """One readable document."""

    uri: str
    name: str
    title: str
    description: str
    mime_type: str
    read: Callable[[], str]


def framework_tree(catalogue: QueryCatalogue) -> dict[str, Any]:
    """Functions -> categories -> subcategories with labels and definitions, from the named queries
    ``functions-overview`` and ``function-structure`` (``cyberframe.query`` in-process: fixed queries over a
    frozen graph)."""
    kg = catalogue.kg
    functions: list[dict[str, Any]] = []
    for row in api.query("functions-overview", knowledge_graph=kg):
        code = str(row["function"])
        categories: dict[str, dict[str, Any]] = {}
        for item in api.query("function-structure", function=code, knowledge_graph=kg):
            category = categories.setdefault(
                str(item["category"]),
                {"notation": str(item["category"]), "label": str(item["categoryLabel"]), "subcategories": []},
            )
            category["subcategories"].append(
                {
                    "notation": str(item["subcategory"]),
                    "label": str(item["subcategoryLabel"]),
                    "definition": str(item["definition"]),
                }
            )
        functions.append(
            {
                "notation": code,
                "label": str(row["label"]),
                "categories": sorted(categories.values(), key=lambda c: notation_key(c["notation"])),
            }
        )
    return {"framework": "ISO/IEC TS 27103:2026", "functions": functions}


def resources(catalogue: QueryCatalogue) -> list[ResourceSpec]:
    """The four resources, each read when asked for."""
    def tree() -> str:
        return json.dumps(framework_tree(catalogue), ensure_ascii=False, indent=1) + "\n"

    return [
        ResourceSpec(
            "cyberframe://ontology",
            "ontology",
            "The cyberframe ontology (OWL, Turtle)",
            "Classes and properties of https://w3id.org/cyberframe/ontology# (cf:), as shipped.",
            "text/turtle",
            lambda: ontology_path().read_text(encoding="utf-8"),
        ),
        ResourceSpec(
            "cyberframe://shapes",
            "shapes",
            "The SHACL shapes (Turtle)",
            "The shapes the validate tool checks data against.",
            "text/turtle",
            lambda: shapes_path().read_text(encoding="utf-8"),
        ),
        ResourceSpec(
            "cyberframe://context.jsonld",
            "context",
            "The JSON-LD 1.1 context",
            "The context every JSON-LD answer and export of cyberframe is compacted with (/context.jsonld).",
            "application/ld+json",
            lambda: api.export("context").decode("utf-8"),
        ),
        ResourceSpec(
            "cyberframe://framework",
            "framework",
            "The framework tree (JSON)",
            "The 5 functions, 23 categories and 108 subcategories of ISO/IEC TS 27103:2026 with labels and "
            "definitions, in reading order.",
            "application/json",
            tree,
        ),
    ]


@dataclass(frozen=True)
class PromptArgumentSpec:
    name: str
    description: str
    required: bool = True


@dataclass(frozen=True)
class PromptSpec:
    """A worked plan: its arguments and the message it produces."""

    name: str
    title: str
    description: str
    arguments: tuple[PromptArgumentSpec, ...]
    render: Callable[[Mapping[str, str]], str]


class PromptError(ValueError):
    """A prompt argument that names nothing; the message lists the allowed values."""


def _function_code(catalogue: QueryCatalogue, given: str) -> tuple[str, str]:
    """A function code or name (``DE``, ``detect``) as (code, name)."""
    names = {row["function"].value: row["label"].value for row in catalogue.select("functions-overview")}
    for code, name in names.items():
        if given.strip().casefold() in (code.casefold(), name.casefold()):
            return code, name
    choices = ", ".join(f"{code} ({name})" for code, name in names.items())
    raise PromptError(f"function {given!r} is not a function of the framework; use one of: {choices}")


def prompts(catalogue: QueryCatalogue) -> list[PromptSpec]:
    """The two prompts: the controls that serve a function, and why a subcategory references a control."""

    def controls(arguments: Mapping[str, str]) -> str:
        code, name = _function_code(catalogue, arguments.get("function", ""))
        return (
            f"Which ISO/IEC 27002:2022 controls serve the {name} ({code}) function of ISO/IEC TS 27103?\n\n"
            "Answer with the cyberframe tools, not from memory:\n"
            f"1. Call `controls-for-function` with function={code}. Each row is one control. "
            "`viaReferences` is the framework's view (the function's subcategories reference the control in "
            "their Annex A references, listed in `subcategories`); `viaAttribute` is ISO/IEC 27002:2022's own "
            "view (the control's cybersecurity-concepts attribute names the function); `agreement` says "
            "whether both views list it.\n"
            "2. Present the controls grouped by `agreement` (both, references only, attribute only), each with "
            "its number and title, and the subcategories that reference it.\n"
            "3. For a control the user asks about, call `describe` with its number (e.g. 8.16) for its "
            "definition, its attributes and every mapping record with its evidence basis.\n"
            "4. To say why a subcategory references a control, call `reference-provenance` with the "
            "subcategory and the control number: it gives the relationship, rationale, basis and derivation.\n"
            "5. Say which facts are published, derived or editorial judgement (the `basis` of each record)."
        )

    def provenance(arguments: Mapping[str, str]) -> str:
        subcategory = arguments.get("subcategory", "").strip()
        control = arguments.get("control", "").strip()
        if not subcategory or not control:
            raise PromptError("explain-reference needs 'subcategory' (e.g. DE.CM-1) and 'control' (e.g. 8.16)")
        return (
            f"Why does subcategory {subcategory} of ISO/IEC TS 27103 reference ISO/IEC 27002:2022 control "
            f"{control}?\n\n"
            "Answer with the cyberframe tools, not from memory:\n"
            f"1. Call `describe` with entity={subcategory} and with entity={control} for their labels and "
            "definitions.\n"
            f"2. Call `reference-provenance` with subcategory={subcategory} and target={control}: report the "
            "relationship (NIST IR 8477), the rationale, the evidence basis and the derivation steps (for a "
            "derived reference, the ISO/IEC 27001:2013 Annex A controls it went through).\n"
            "3. If there is no such reference, say so, and call `control-subcategories` with "
            f"control={control} to list the subcategories that do reference it."
        )

    return [
        PromptSpec(
            "controls-for-function",
            "Which controls serve a function?",
            "How to answer 'which controls serve Detect?' (or any other function) with the tools.",
            (PromptArgumentSpec("function", "A function code or name: ID, PR, DE, RS, RC or Identify ... Recover"),),
            controls,
        ),
        PromptSpec(
            "explain-reference",
            "Why does a subcategory reference a control?",
            "How to explain one of the framework's references to an ISO/IEC 27002:2022 control.",
            (
                PromptArgumentSpec("subcategory", "A subcategory code such as DE.CM-1"),
                PromptArgumentSpec("control", "An ISO/IEC 27002:2022 control number such as 8.16"),
            ),
            provenance,
        ),
    ]
