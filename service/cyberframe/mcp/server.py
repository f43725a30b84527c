"""The MCP server: the toolbox, resources and prompts behind the official SDK's low-level ``Server``.

Model Context Protocol (specification 2025-11-25): ``tools/list`` and
``tools/call`` (server/tools), ``resources/list`` and ``resources/read``
(server/resources), ``prompts/list`` and ``prompts/get`` (server/prompts).
Errors follow the specification's two kinds: an unknown tool, resource or
prompt, or a prompt argument that names nothing, is a protocol error
(JSON-RPC ``-32602`` invalid params, the message naming the valid choices);
a tool call with bad arguments, a refused query or a query past its time limit
is a tool result with ``isError: true`` and a message that names what is
allowed, so the model can correct itself.

Blocking work (a query waiting on its worker, a validation) runs in a thread,
so one slow call never stalls the others.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import anyio.to_thread
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from .. import __version__
from ..knowledge import KnowledgeGraph
from ..settings import Settings
from .content import PromptError, prompts, resources
from .tools import DEFAULT_MAX_OUTPUT_BYTES, Toolbox, ToolError, UnknownTool, dumps

INVALID_PARAMS = -32602
INSTRUCTIONS = (
    "cyberframe answers questions about the ISO/IEC TS 27103:2026 cybersecurity framework (functions, "
    "categories, subcategories), the ISO/IEC 27002:2022 controls with their attributes, the ISO/IEC 27001:2022 "
    "clauses, NIST CSF 1.1 and 2.0, and the mapping records between them with their evidence basis. Prefer a "
    "named-query tool (e.g. controls-for-function, control-subcategories, search) over sparql_query; use "
    "describe for one entity. Every answer comes from the graph: cite it, do not guess identifiers."
)


@dataclass
class Backend:
    """What the server answers from: the toolbox (knowledge graph and engine), resources and prompts."""

    toolbox: Toolbox

    def close(self) -> None:
        """Stop the query workers; a client waits about two seconds for its server to exit before killing it."""
        self.toolbox.engine.executor.close(timeout=1.0)


def open_backend(
    settings: Settings | None = None,
    *,
    knowledge_graph: KnowledgeGraph | None = None,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    progress: Callable[[str], None] | None = None,
) -> Backend:
    """Open the knowledge graph and build the SPARQL engine as ``cyberframe serve`` does (same limits).

    The query workers start on the first query, or with :func:`serve_stdio`.
    """
    from ..knowledge import open_knowledge_graph
    from ..progress import quiet
    from ..sparql.cache import AnswerCache
    from ..sparql.dataset import serve_dataset
    from ..sparql.engine import Limits, SparqlEngine
    from ..sparql.executor import QueryExecutor
    from ..sparql.worker import WorkerSettings

    settings = settings or Settings.resolve()
    if settings.workers is None:  # one client, one conversation: one worker unless told otherwise
        settings = replace(settings, workers=1)
    kg = knowledge_graph or open_knowledge_graph(progress=progress or quiet)
    dataset = serve_dataset(kg)
    mib = 1 << 20
    executor = QueryExecutor(
        dataset.nquads(),
        workers=settings.worker_count,
        max_waiting=settings.waiting_limit,
        settings=WorkerSettings(
            isolate_network=settings.isolate_network, memory_limit=settings.worker_memory_mb * mib or None
        ),
    )
    cache = AnswerCache(settings.cache_mb * mib, settings.cache_entry_mb * mib, max_waiters=settings.waiting_limit)
    engine = SparqlEngine(
        dataset, executor, cache, Limits(settings.timeout, settings.max_rows, settings.max_query_length)
    )
    toolbox = Toolbox(
        kg, engine, max_output_bytes=max_output_bytes, validate_max_bytes=settings.validate_max_bytes
    )
    return Backend(toolbox)


def _error(message: str) -> MCPError:
    return MCPError(INVALID_PARAMS, message)


def build_server(backend: Backend) -> Server[Any]:
    """The SDK server with cyberframe's handlers."""
    toolbox = backend.toolbox
    catalogue = toolbox.catalogue
    read_only = types.ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
    tools = [
        types.Tool(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            input_schema=spec.input_schema,
            annotations=read_only,
        )
        for spec in toolbox.specs()
    ]
    documents = {spec.uri: spec for spec in resources(catalogue)}
    plans = {spec.name: spec for spec in prompts(catalogue)}

    async def list_tools(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
        try:
            payload = await anyio.to_thread.run_sync(toolbox.call, params.name, params.arguments)
        except UnknownTool as exc:
            raise _error(str(exc)) from exc
        except ToolError as exc:
            return types.CallToolResult(content=[types.TextContent(text=exc.message)], is_error=True)
        return types.CallToolResult(content=[types.TextContent(text=dumps(payload))], structured_content=payload)

    async def list_resources(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=spec.uri, name=spec.name, title=spec.title, description=spec.description,
                    mime_type=spec.mime_type,
                )
                for spec in documents.values()
            ]
        )  # fmt: skip

    async def read_resource(ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams) -> Any:
        spec = documents.get(str(params.uri))
        if spec is None:
            raise _error(f"unknown resource {params.uri}; the resources are: {', '.join(documents)}")
        text = await anyio.to_thread.run_sync(spec.read)
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=spec.uri, mime_type=spec.mime_type, text=text)]
        )

    async def list_prompts(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=spec.name,
                    title=spec.title,
                    description=spec.description,
                    arguments=[
                        types.PromptArgument(name=a.name, description=a.description, required=a.required)
                        for a in spec.arguments
                    ],
                )
                for spec in plans.values()
            ]
        )

    async def get_prompt(ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams) -> Any:
        spec = plans.get(params.name)
        if spec is None:
            raise _error(f"unknown prompt {params.name!r}; the prompts are: {', '.join(plans)}")
        try:
            text = await anyio.to_thread.run_sync(spec.render, params.arguments or {})
        except PromptError as exc:
            raise _error(str(exc)) from exc
        message = types.PromptMessage(role="user", content=types.TextContent(text=text))
        return types.GetPromptResult(description=spec.description, messages=[message])

    return Server(
        "cyberframe",
        version=__version__,
        title="cyberframe: ISO/IEC TS 27103 knowledge graph",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


async def _serve_stdio(backend: Backend) -> None:
    server = build_server(backend)
    async with stdio_server() as (read_stream, write_stream):
        # Started here, once the SDK has moved fd 1 to standard error: no worker can write on the wire.
        backend.toolbox.engine.executor.start(wait=False)
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve_stdio(backend: Backend) -> None:
    """Serve MCP over standard input and output until the client closes them."""
    try:
        anyio.run(_serve_stdio, backend)
    finally:
        backend.close()
        sys.stderr.flush()
