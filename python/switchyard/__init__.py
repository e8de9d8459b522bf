"""Switchyard: run programs (.syp) on XNNPACK, Vulkan, portable or plugin delegates, and export
PyTorch / Hugging Face models to them (`switchyard.export`, which needs torch)."""

from .errors import ExportError, SwitchyardError
from .graph import Graph
from .generate import GenerationResult, Generator
from .runtime import Program, Runtime, backends, cli_path
from .tokenizer import TokenDecoder, Tokenizer

__version__ = "0.1.0"
__all__ = ["Program", "Runtime", "Graph", "backends", "cli_path", "SwitchyardError", "ExportError",
           "Tokenizer", "TokenDecoder", "Generator", "GenerationResult"]
